// The HTTP transport node-vault sends through (its `request-promise` option). Ours instead of its
// axios default because we need per-request AbortSignals, a custom CA per provider, TLS verification
// that no environment variable (VAULT_SKIP_VERIFY) can switch off, and failures that carry only a
// status or an error code: axios errors hold the request headers, token included.
import http from 'node:http';
import https from 'node:https';
import { parseRetryAfter } from '../errors.js';

/** A non-success HTTP answer. Carries no body: Vault error bodies are not for our messages. */
export class VaultHttpStatus extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}`);
    this.name = 'VaultHttpStatus';
  }
}

/** The request did not get an answer (connection refused, DNS, TLS, timeout). */
export class VaultTransportFailure extends Error {
  constructor(readonly code: string) {
    super(code);
    this.name = 'VaultTransportFailure';
  }
}

/** What node-vault hands its request function (the parts we use). */
interface NodeVaultRequest {
  method: string;
  uri: string;
  headers?: Record<string, string>;
  json?: unknown;
  signal?: AbortSignal;
}

interface NodeVaultResponse {
  statusCode: number;
  body: unknown;
  request: { path: string };
}

export interface VaultTransportOptions {
  /** PEM CA bundle replacing the default trust store. */
  ca?: string;
  /** Per-request socket inactivity limit. Default 30 s. */
  timeoutMs?: number;
  /** Largest response accepted. Default 16 MiB. */
  maxResponseBytes?: number;
  now?: () => number;
}

export class VaultTransport {
  readonly #httpAgent = new http.Agent({ keepAlive: true });
  readonly #httpsAgent: https.Agent;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #now: () => number;

  constructor(options: VaultTransportOptions = {}) {
    this.#httpsAgent = new https.Agent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) });
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  /** The `request-promise` stand-in for node-vault's config; node-vault's defaults are ignored. */
  get requestPromise(): { defaults(): (request: NodeVaultRequest) => Promise<NodeVaultResponse> } {
    return { defaults: () => (request) => this.send(request) };
  }

  send(request: NodeVaultRequest): Promise<NodeVaultResponse> {
    const url = new URL(request.uri);
    const secure = url.protocol === 'https:';
    const body = request.json === undefined ? undefined : Buffer.from(JSON.stringify(request.json), 'utf8');
    const headers: Record<string, string> = { ...request.headers, accept: 'application/json' };
    if (body) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(body.length);
    }
    return new Promise<NodeVaultResponse>((resolve, reject) => {
      const signal = request.signal;
      if (signal?.aborted) return reject(signal.reason as unknown);
      const options: http.RequestOptions = {
        method: request.method,
        headers,
        agent: secure ? this.#httpsAgent : this.#httpAgent,
        timeout: this.#timeoutMs,
        ...(signal ? { signal } : {}),
      };
      const req = (secure ? https : http).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.#maxResponseBytes) {
            req.destroy(new VaultTransportFailure('RESPONSE_TOO_LARGE'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => reject(this.#failure(error, signal)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status !== 200 && status !== 204) {
            const retryAfter = res.headers['retry-after'];
            reject(new VaultHttpStatus(status, parseRetryAfter(retryAfter, this.#now())));
            return;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text.trim() === '' ? undefined : JSON.parse(text);
          } catch {
            reject(new VaultTransportFailure('INVALID_RESPONSE'));
            return;
          }
          resolve({ statusCode: status, body: parsed, request: { path: url.pathname } });
        });
      });
      req.on('timeout', () => req.destroy(new VaultTransportFailure('ETIMEDOUT')));
      req.on('error', (error) => reject(this.#failure(error, signal)));
      req.end(body);
    });
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  #failure(error: unknown, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return signal.reason;
    if (error instanceof VaultTransportFailure) return error;
    const code =
      typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
        ? error.code
        : 'REQUEST_FAILED';
    return new VaultTransportFailure(code);
  }
}
