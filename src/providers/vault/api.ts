// Vault HTTP calls through node-vault, each counted for metrics and every failure turned into a typed
// error that names only the status and the Vault path.
import nodeVault from 'node-vault';
import { errorFromHttpStatus, UnavailableError, type ErrorSubject, type ProviderError } from '../errors.js';
import type { OnProviderCall } from '../types.js';
import type { VaultOperation } from './operations.js';
import { VaultHttpStatus, VaultTransport, VaultTransportFailure } from './transport.js';

export type VaultMethod = 'GET' | 'POST' | 'PATCH' | 'LIST' | 'DELETE';

export interface VaultRequest {
  /** Vault API path without /v1, e.g. `secret/data/payments/db`; may carry a query. */
  path: string;
  method: VaultMethod;
  token?: string;
  body?: unknown;
  contentType?: string;
}

/** What the session, auth methods and client need from the API (faked in unit tests). */
export interface VaultRequester {
  readonly provider: string;
  subject(path: string): ErrorSubject;
  request(operation: VaultOperation, request: VaultRequest, signal: AbortSignal): Promise<unknown>;
  close(): void;
}

export interface VaultApiOptions {
  server: string;
  namespace?: string;
  ca?: string;
  /** Provider description for error messages. */
  provider: string;
  onCall: OnProviderCall<VaultOperation>;
  timeoutMs?: number;
  now?: () => number;
}

export class VaultApi implements VaultRequester {
  readonly #client: nodeVault.client;
  readonly #transport: VaultTransport;
  readonly #provider: string;
  readonly #onCall: OnProviderCall<VaultOperation>;

  constructor(options: VaultApiOptions) {
    this.#transport = new VaultTransport({
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    this.#client = nodeVault({
      endpoint: options.server,
      apiVersion: 'v1',
      'request-promise': this.#transport.requestPromise,
      // node-vault's debug output prints request bodies (tokens, secret-ids, values).
      debug: () => {},
    });
    // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE / VAULT_PREFIX from the environment;
    // this client uses only what the provider spec says. Tokens go per request (X-Vault-Token).
    Object.assign(this.#client, { token: '', namespace: options.namespace ?? '', pathPrefix: '' });
    this.#provider = options.provider;
    this.#onCall = options.onCall;
  }

  /** Provider description for error messages. */
  get provider(): string {
    return this.#provider;
  }

  subject(path: string): ErrorSubject {
    return { provider: this.#provider, path: path.replace(/\?.*$/, '') };
  }

  /** Sends one request; `operation` labels the call in metrics ('read', 'login', ...). */
  async request(operation: VaultOperation, request: VaultRequest, signal: AbortSignal): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (request.token !== undefined) headers['X-Vault-Token'] = request.token;
    if (request.contentType !== undefined) headers['content-type'] = request.contentType;
    try {
      const body: unknown = await this.#client.request({
        path: `/${request.path}`,
        method: request.method,
        headers,
        signal,
        ...(request.body === undefined ? {} : { json: request.body }),
      });
      this.#onCall('vault', operation, 'success');
      return body;
    } catch (error) {
      if (signal.aborted) {
        this.#onCall('vault', operation, 'aborted');
        throw signal.reason;
      }
      const typed = this.#typed(error, request.path);
      this.#onCall('vault', operation, typed.reason);
      throw typed;
    }
  }

  close(): void {
    this.#transport.close();
  }

  #typed(error: unknown, path: string): ProviderError {
    const subject = this.subject(path);
    if (error instanceof VaultHttpStatus) {
      return errorFromHttpStatus({ status: error.status, retryAfterMs: error.retryAfterMs }, subject);
    }
    if (error instanceof VaultTransportFailure) {
      return new UnavailableError(subject, `cannot reach the Vault server (${error.code})`);
    }
    // Anything else came from node-vault itself; its errors may hold request options, so only a
    // generic message leaves this function.
    return new UnavailableError(subject, 'the Vault request failed');
  }
}
