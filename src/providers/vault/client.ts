// The Vault / OpenBao provider client: KV v1 and v2 reads and writes, and dynamic secrets with their
// leases (dynamic.ts), over one cached, renewed token.
import { InvalidRefError, NotFoundError } from '../errors.js';
import { encodeDocument, parseDocument, selectProperty, type Document } from '../property.js';
import type {
  IssueRequest,
  IssuedCredentials,
  ProviderClient,
  RemoteLease,
  RemoteRef,
  RemoteValue,
} from '../types.js';
import type { VaultRequester } from './api.js';
import { issuePath, parseIssued, parseLease } from './dynamic.js';
import { kvReadPath, kvWritePath, parseKvRead, type KvLocation, type KvSecret } from './kv.js';
import type { VaultSession } from './session.js';

export class VaultProviderClient implements ProviderClient {
  readonly #api: VaultRequester;
  readonly #session: VaultSession;
  readonly #location: KvLocation;
  readonly #clock: { now(): number };
  #closed = false;

  constructor(
    api: VaultRequester,
    session: VaultSession,
    location: KvLocation,
    clock: { now(): number } = Date,
  ) {
    this.#api = api;
    this.#session = session;
    this.#location = location;
    this.#clock = clock;
  }

  async get(ref: RemoteRef, signal: AbortSignal): Promise<RemoteValue> {
    const secret = await this.#read(ref, signal);
    const subject = this.#api.subject(ref.path);
    const value: RemoteValue = {
      value:
        ref.property === undefined
          ? encodeDocument(secret.data)
          : selectProperty(secret.data, ref.property, subject),
    };
    if (secret.version !== undefined) value.version = secret.version;
    return value;
  }

  /**
   * Without `property` the value must be a JSON object and replaces the whole secret; with `property`
   * only that key changes (read-modify-write; on KV v2 with check-and-set so a concurrent writer is
   * not overwritten silently).
   */
  async write(ref: RemoteRef, value: Buffer, signal: AbortSignal): Promise<void> {
    const subject = this.#api.subject(ref.path);
    const path = kvWritePath(this.#location, ref, subject);
    let data: Document;
    let cas: number | undefined;
    if (ref.property === undefined) {
      data = parseDocument(value, subject);
    } else {
      const text = value.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(value)) {
        throw new InvalidRefError(subject, 'Vault KV stores text; the value to write is not valid UTF-8');
      }
      const current = await this.#readOrEmpty({ path: ref.path }, signal);
      data = { ...current.data, [ref.property]: text };
      // A missing or deleted secret is written unconditionally: cas 0 would refuse a deleted one.
      if (this.#location.kvVersion === 2 && current.version !== undefined) cas = Number(current.version);
    }
    const body =
      this.#location.kvVersion === 2 ? { data, ...(cas === undefined ? {} : { options: { cas } }) } : data;
    await this.#session.withToken(signal, (token) =>
      this.#api.request('write', { method: 'POST', path, token, body }, signal),
    );
  }

  /** GET or POST on a secrets engine's issuing path; each call issues new credentials. */
  async issue(request: IssueRequest, signal: AbortSignal): Promise<IssuedCredentials> {
    const subject = this.#api.subject(request.path);
    const path = issuePath(request, subject);
    const body = await this.#session.withToken(signal, (token) =>
      this.#api.request(
        'issue',
        {
          method: request.method,
          path,
          token,
          ...(request.method === 'POST' ? { body: { ...request.parameters } } : {}),
        },
        signal,
      ),
    );
    return parseIssued(body, subject, this.#clock.now());
  }

  async renewLease(leaseId: string, incrementSeconds: number, signal: AbortSignal): Promise<RemoteLease> {
    const path = 'sys/leases/renew';
    const body = await this.#session.withToken(signal, (token) =>
      this.#api.request(
        'renew_lease',
        { method: 'POST', path, token, body: { lease_id: leaseId, increment: incrementSeconds } },
        signal,
      ),
    );
    return parseLease(body, this.#api.subject(path));
  }

  async revokeLease(leaseId: string, signal: AbortSignal): Promise<void> {
    await this.#session.withToken(signal, (token) =>
      this.#api.request(
        'revoke_lease',
        { method: 'POST', path: 'sys/leases/revoke', token, body: { lease_id: leaseId } },
        signal,
      ),
    );
  }

  validate(signal: AbortSignal): Promise<void> {
    return this.#session.validate(signal);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#session.close();
      this.#api.close();
    }
    return Promise.resolve();
  }

  async #read(ref: RemoteRef, signal: AbortSignal): Promise<KvSecret> {
    const subject = this.#api.subject(ref.path);
    const path = kvReadPath(this.#location, ref, subject);
    const body = await this.#session.withToken(signal, (token) =>
      this.#api.request('read', { method: 'GET', path, token }, signal),
    );
    return parseKvRead(this.#location, body, this.#api.subject(path));
  }

  async #readOrEmpty(ref: RemoteRef, signal: AbortSignal): Promise<KvSecret> {
    try {
      return await this.#read(ref, signal);
    } catch (error) {
      if (error instanceof NotFoundError) return { data: {} };
      throw error;
    }
  }
}
