// The operator's HTTP surface: /healthz, /readyz and /metrics. Metrics and probes usually listen on
// different ports (--metrics-addr, --health-addr), so each server serves only the parts it is given.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseListenAddress, type ListenAddress } from './address.js';
import { serializeError } from './logger.js';

export interface Readiness {
  ready: boolean;
  /** Why not ready, e.g. "informer secretsources has not synced"; shown in the 503 body. */
  reasons: string[];
}

export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

export interface HealthChecks {
  /** /readyz answers 200 only when this says ready. */
  readiness: () => Readiness;
  /** /healthz answers 200 while the process answers at all, unless this says otherwise (e.g. a stuck loop). */
  liveness?: () => Readiness;
}

export interface HttpServerLogger {
  warn(object: object, message: string): void;
}

export interface OperatorHttpServerOptions {
  address: ListenAddress | string;
  metrics?: MetricsSource;
  health?: HealthChecks;
  logger?: HttpServerLogger;
  /** How long close() waits for in-flight requests before dropping connections. */
  closeGraceMs?: number;
}

export class OperatorHttpServer {
  readonly #address: ListenAddress;
  readonly #metrics: MetricsSource | undefined;
  readonly #health: HealthChecks | undefined;
  readonly #logger: HttpServerLogger | undefined;
  readonly #closeGraceMs: number;
  readonly #server: Server;
  #listening = false;

  constructor(options: OperatorHttpServerOptions) {
    this.#address =
      typeof options.address === 'string' ? parseListenAddress(options.address) : options.address;
    this.#metrics = options.metrics;
    this.#health = options.health;
    this.#logger = options.logger;
    this.#closeGraceMs = options.closeGraceMs ?? 5_000;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) =>
        this.#fail(response, 'request failed', error),
      );
    });
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(this.#address.port, this.#address.host, () => {
        this.#server.off('error', onError);
        this.#listening = true;
        resolve(this.port);
      });
    });
  }

  get port(): number {
    const bound = this.#server.address() as AddressInfo | null;
    if (bound === null) throw new Error('http server is not listening');
    return bound.port;
  }

  /** Stops accepting connections, lets in-flight requests finish for a grace period, then drops the rest. */
  async close(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const force = setTimeout(() => this.#server.closeAllConnections(), this.#closeGraceMs);
    force.unref();
    try {
      await closed;
    } finally {
      clearTimeout(force);
    }
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = this.#route(path);
    if (route === undefined) return this.#send(response, 404, 'not found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return this.#send(response, 405, 'method not allowed\n');
    }
    await route(response);
  }

  #route(path: string): ((response: ServerResponse) => Promise<void> | void) | undefined {
    const health = this.#health;
    const metrics = this.#metrics;
    if (health && path === '/healthz') return (response) => this.#probe(response, health.liveness);
    if (health && path === '/readyz') return (response) => this.#probe(response, health.readiness);
    if (metrics && path === '/metrics') {
      return async (response) => {
        let body: string;
        try {
          body = await metrics.render();
        } catch (error) {
          return this.#fail(response, 'metrics collection failed', error);
        }
        this.#send(response, 200, body, metrics.contentType);
      };
    }
    return undefined;
  }

  #probe(response: ServerResponse, check: (() => Readiness) | undefined): void {
    let result: Readiness;
    try {
      result = check ? check() : { ready: true, reasons: [] };
    } catch (error) {
      this.#logger?.warn({ err: serializeError(error) }, 'health check threw');
      result = { ready: false, reasons: ['health check failed'] };
    }
    if (result.ready) return this.#send(response, 200, 'ok\n');
    const reasons = result.reasons.length > 0 ? result.reasons : ['not ready'];
    this.#send(response, 503, reasons.map((reason) => `- ${reason}\n`).join(''));
  }

  #fail(response: ServerResponse, message: string, error: unknown): void {
    this.#logger?.warn({ err: serializeError(error) }, message);
    if (!response.headersSent) this.#send(response, 500, `${message}\n`);
    else response.destroy();
  }

  #send(
    response: ServerResponse,
    status: number,
    body: string,
    contentType = 'text/plain; charset=utf-8',
  ): void {
    // While closing, end keep-alive connections after this response instead of waiting for their timeout.
    if (!this.#listening) response.setHeader('connection', 'close');
    response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    response.end(response.req.method === 'HEAD' ? undefined : body);
  }
}
