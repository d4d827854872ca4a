// A provider client as the provider e2e tests drive it, without the operator: created from a
// prepared provider with scoped credentials, its calls recorded, its log lines and the errors the
// test saw kept (to check that none carries a value), and every client closed at the end.
import { scopeCredentials, type CredentialSource } from '../../src/providers/credentials.js';
import type { PreparedProvider } from '../../src/providers/registry.js';
import {
  systemProviderClock,
  type ProviderCallStatus,
  type ProviderClient,
  type ProviderIdentity,
  type ProviderLogger,
} from '../../src/providers/types.js';

export interface Harness {
  client: ProviderClient;
  calls: Array<{ operation: string; status: ProviderCallStatus }>;
}

export interface OpenOptions {
  provider: ProviderIdentity;
  credentials: CredentialSource;
  consumerNamespace: string;
  signal: AbortSignal;
  /** The provider type every call must be counted under. */
  type?: string;
  /** Default: the harness's capturing logger. */
  logger?: ProviderLogger;
}

export class ProviderHarness {
  /** Every error a test saw through failure(). */
  readonly errorsSeen: unknown[] = [];
  /** What the providers logged through `logger`, one JSON line per entry. */
  readonly logLines: string[] = [];
  readonly logger: ProviderLogger = {
    debug: (fields, message) => this.logLines.push(JSON.stringify({ fields, message })),
    info: (fields, message) => this.logLines.push(JSON.stringify({ fields, message })),
    warn: (fields, message) => this.logLines.push(JSON.stringify({ fields, message })),
  };
  readonly #opened: ProviderClient[] = [];

  async open(prepared: PreparedProvider, options: OpenOptions): Promise<Harness> {
    const calls: Harness['calls'] = [];
    const { provider, consumerNamespace } = options;
    const client = await prepared.create({
      provider,
      credentials: scopeCredentials(options.credentials, { provider, consumerNamespace }),
      clock: systemProviderClock,
      logger: options.logger ?? this.logger,
      onCall: (type, operation, status) => {
        if (options.type !== undefined && type !== options.type)
          throw new Error(`a call counted under provider type ${type}, not ${options.type}`);
        calls.push({ operation, status });
      },
      signal: options.signal,
    });
    this.#opened.push(client);
    return { client, calls };
  }

  /** The error `promise` rejects with (a resolved promise is an error too), remembered. */
  async failure<E = unknown>(promise: Promise<unknown>): Promise<E> {
    const error = await promise.then(
      () => new Error('expected a failure'),
      (e: unknown) => e,
    );
    this.errorsSeen.push(error);
    return error as E;
  }

  /** A client the test created itself, closed at the end with the others. */
  keep(client: ProviderClient): void {
    this.#opened.push(client);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#opened.splice(0).map((client) => client.close()));
  }
}
