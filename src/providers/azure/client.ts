// The Azure Key Vault provider client: reads of secrets and certificates, find, write and validate
// over one Key Vault API whose Entra token is cached and refreshed (auth.ts).
//
// Versions outside their validity window: Key Vault returns a version whose `exp` is past or whose
// `nbf` is ahead (the service documents that it does not enforce them). With versionValidity Warn
// the value is synced with a warning (RemoteValue.warnings: a Warning Event and a note in Ready);
// with Refuse the read fails (InvalidRef) and find leaves such secrets out. docs/adr/0015.
import { toPem } from '../../secrets/pem.js';
import { InvalidRefError, NotFoundError, type ErrorSubject } from '../errors.js';
import { compileFindPattern, runLimited } from '../find.js';
import { encodeDocument, parseDocument, selectProperty } from '../property.js';
import type {
  FindQuery,
  ProviderClient,
  ProviderClock,
  ProviderWarning,
  RemoteRef,
  RemoteValue,
} from '../types.js';
import type { KeyVaultApi, SecretItem } from './api.js';
import { AccessDeniedError } from './error-map.js';
import { objectRefOf, type ObjectRef } from './refs.js';
import type { VersionValidity } from './spec.js';

export interface AzureProviderClientOptions {
  clock: ProviderClock;
  versionValidity: VersionValidity;
  /** Largest number of secrets find() returns; more is an InvalidRefError. Default 1000. */
  maxFindResults?: number;
  /** Parallel reads within one find. Default 8. */
  concurrency?: number;
  /** Releases what the client was built with (SDK clients, the token session). */
  onClose?: () => void;
}

/** Key Vault's largest page (maxresults 1-25). */
const PAGE_SIZE = 25;

interface Validity {
  enabled?: boolean;
  notBefore?: Date;
  expiresOn?: Date;
  version?: string;
}

export class AzureProviderClient implements ProviderClient {
  readonly #api: KeyVaultApi;
  readonly #clock: ProviderClock;
  readonly #versionValidity: VersionValidity;
  readonly #maxFindResults: number;
  readonly #concurrency: number;
  readonly #onClose: (() => void) | undefined;
  #closed = false;

  constructor(api: KeyVaultApi, options: AzureProviderClientOptions) {
    this.#api = api;
    this.#clock = options.clock;
    this.#versionValidity = options.versionValidity;
    this.#maxFindResults = options.maxFindResults ?? 1000;
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    this.#onClose = options.onClose;
  }

  async get(ref: RemoteRef, signal: AbortSignal): Promise<RemoteValue> {
    const subject = this.#subject(ref.path);
    const object = objectRefOf(ref.path, ref.version, subject);
    const value =
      object.kind === 'certificate'
        ? await this.#certificate(object, subject, signal)
        : await this.#secret(object, subject, signal);
    if (ref.property === undefined) return value;
    if (object.kind === 'certificate') {
      throw new InvalidRefError(subject, 'a certificate is PEM, not a JSON document: remove property');
    }
    return { ...value, value: selectProperty(parseDocument(value.value, subject), ref.property, subject) };
  }

  /**
   * Lists the vault's secrets (names, tags and attributes: no values), keeps the enabled ones the
   * query matches — `path` as a name prefix, `name` as a regular expression, every tag exactly — and
   * reads only those. Keys of the result are secret names.
   */
  async find(query: FindQuery, signal: AbortSignal): Promise<Map<string, RemoteValue>> {
    const subject = this.#subject(query.path);
    const pattern = compileFindPattern(query.name, subject);
    const prefix = query.path === undefined || query.path === '' ? undefined : query.path;
    const tags = Object.entries(query.tags ?? {});
    const now = this.#clock.now();
    const names: string[] = [];
    for await (const page of this.#api.listSecrets('find', PAGE_SIZE, signal)) {
      for (const item of page) {
        if (item.enabled === false) continue; // a read would be refused (SecretDisabled)
        if (prefix !== undefined && !item.name.startsWith(prefix)) continue;
        if (pattern && !pattern.test(item.name)) continue;
        if (!tags.every(([key, value]) => item.tags[key] === value)) continue;
        if (this.#versionValidity === 'Refuse' && outsideValidity(item, now)) continue;
        names.push(item.name);
      }
      if (names.length > this.#maxFindResults) {
        throw new InvalidRefError(
          subject,
          `find matches more than ${this.#maxFindResults} secrets; narrow it with path, name or tags`,
        );
      }
    }
    const found = new Map<string, RemoteValue>();
    const reads = names.map((name) => async () => {
      const itemSubject = this.#subject(name);
      try {
        found.set(name, await this.#secret({ kind: 'secret', name }, itemSubject, signal));
      } catch (error) {
        // Deleted or disabled between the listing and the read: not found any more.
        if (error instanceof NotFoundError) return;
        throw error;
      }
    });
    await runLimited(reads, this.#concurrency);
    // In listing order, whatever order the reads finished in.
    return new Map(names.flatMap((name) => (found.has(name) ? [[name, found.get(name)!] as const] : [])));
  }

  /**
   * setSecret: a new version that becomes the latest. Without `property` the value is the whole
   * secret (Key Vault secrets are text); with `property` only that top-level key of the JSON
   * document changes (read-modify-write; Key Vault has no compare-and-set, so a concurrent writer's
   * change to another key can be lost). A missing secret is created.
   */
  async write(ref: RemoteRef, value: Buffer, signal: AbortSignal): Promise<void> {
    const subject = this.#subject(ref.path);
    const object = objectRefOf(ref.path, ref.version, subject);
    if (object.kind === 'certificate') {
      throw new InvalidRefError(subject, 'certificates are imported, not written: write a secret');
    }
    if (object.version !== undefined) {
      throw new InvalidRefError(subject, 'a write always creates the new latest version; remove version');
    }
    const text = value.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(value)) {
      throw new InvalidRefError(
        subject,
        'a Key Vault secret holds text; the value to write is not valid UTF-8',
      );
    }
    if (ref.property === undefined) {
      await this.#api.setSecret(object.name, text, signal);
      return;
    }
    if (ref.property === '') throw new InvalidRefError(subject, 'property must not be empty');
    // A secret that does not exist yet starts as an empty document (rotation creates it).
    const current = await this.#api.getSecret(object.name, undefined, signal).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    const document =
      current === undefined ? {} : parseDocument(Buffer.from(current.value ?? '', 'utf8'), subject);
    await this.#api.setSecret(
      object.name,
      encodeDocument({ ...document, [ref.property]: text }).toString('utf8'),
      signal,
    );
  }

  /**
   * The first page of the secret listing (maxresults 1). A 403 counts as success: Key Vault checks
   * the token before the access policy, so it proves the credential works and the vault answers,
   * while a least-privilege identity need not have the list permission.
   */
  async validate(signal: AbortSignal): Promise<void> {
    try {
      for await (const _page of this.#api.listSecrets('validate', 1, signal)) break;
    } catch (error) {
      if (error instanceof AccessDeniedError) return;
      throw error;
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#onClose?.();
    }
    return Promise.resolve();
  }

  async #secret(object: ObjectRef, subject: ErrorSubject, signal: AbortSignal): Promise<RemoteValue> {
    const secret = await this.#api.getSecret(object.name, object.version, signal);
    if (secret.value === undefined) throw new NotFoundError(subject, 'the secret version holds no value');
    return this.#checked(Buffer.from(secret.value, 'utf8'), secret, subject);
  }

  /** The certificate's public part (its `cer`, the leaf) as PEM. */
  async #certificate(object: ObjectRef, subject: ErrorSubject, signal: AbortSignal): Promise<RemoteValue> {
    const certificate = await this.#api.getCertificate(object.name, object.version, signal);
    if (certificate.cer === undefined || certificate.cer.length === 0) {
      throw new NotFoundError(subject, 'the certificate version holds no certificate');
    }
    return this.#checked(
      Buffer.from(toPem('CERTIFICATE', Buffer.from(certificate.cer)), 'utf8'),
      certificate,
      subject,
    );
  }

  /** The value with its version, or the refusal or warnings its validity window calls for. */
  #checked(value: Buffer, validity: Validity, subject: ErrorSubject): RemoteValue {
    if (validity.enabled === false) {
      throw new NotFoundError(subject, 'the version is disabled; enable it or pin an enabled version');
    }
    const result: RemoteValue = { value };
    if (validity.version !== undefined) result.version = validity.version;
    const problem = validityProblem(validity, this.#clock.now());
    if (problem === undefined) return result;
    if (this.#versionValidity === 'Refuse') {
      throw new InvalidRefError(
        subject,
        `${problem.what}; spec.azure.versionValidity Refuse does not sync it`,
      );
    }
    const warning: ProviderWarning = {
      reason: problem.reason,
      message: `${subject.provider}: ${problem.what}; synced anyway (spec.azure.versionValidity Warn) (path "${subject.path ?? ''}")`,
    };
    return { ...result, warnings: [warning] };
  }

  #subject(path: string | undefined): ErrorSubject {
    return path === undefined || path === ''
      ? { provider: this.#api.provider }
      : { provider: this.#api.provider, path };
  }
}

function validityProblem(
  validity: Validity,
  now: number,
): { reason: 'VersionExpired' | 'VersionNotYetValid'; what: string } | undefined {
  const version = validity.version === undefined ? 'the version' : `version ${validity.version}`;
  if (validity.expiresOn !== undefined && validity.expiresOn.getTime() <= now) {
    return { reason: 'VersionExpired', what: `${version} expired at ${validity.expiresOn.toISOString()}` };
  }
  if (validity.notBefore !== undefined && validity.notBefore.getTime() > now) {
    return {
      reason: 'VersionNotYetValid',
      what: `${version} is not valid before ${validity.notBefore.toISOString()}`,
    };
  }
  return undefined;
}

function outsideValidity(item: SecretItem, now: number): boolean {
  return validityProblem(item, now) !== undefined;
}
