// Provider clients are built once per (provider uid, generation, credential namespace) and reused
// across reconciles, with their logins and tokens; External Secrets Operator rebuilds them per
// reconcile, which is one Vault login per object per interval.
//
// - Concurrent acquires of the same key share one build; a failed build is not cached.
// - invalidate(uid) drops a provider's clients when it changes or is deleted; a client is closed once
//   its in-flight calls are done.
// - Credential rotation: at most every credentialCheckIntervalMs a client re-reads the credential
//   Secrets it was built from and is rebuilt when a resourceVersion changed. An Unauthorized call also
//   triggers one rebuild and retry (at most once per unauthorizedRebuildIntervalMs, so a path the
//   policy denies does not cause a login per call).
// - Clients unused for idleTimeoutMs are closed.
import { raceAbort } from '../kube/abort.js';
import {
  scopeCredentials,
  type CredentialSecretValue,
  type CredentialSource,
  type SecretKeyRef,
  type ServiceAccountRef,
  type ServiceAccountToken,
} from './credentials.js';
import { ProviderError, UnauthorizedError, UnavailableError } from './errors.js';
import {
  describeProvider,
  type PreparedProvider,
  type ProviderRegistry,
  type ProviderSpecFields,
} from './registry.js';
import {
  silentLogger,
  systemProviderClock,
  type FindQuery,
  type OnProviderCall,
  type ProviderClient,
  type ProviderClock,
  type ProviderIdentity,
  type ProviderLogger,
  type RemoteRef,
  type RemoteValue,
} from './types.js';

/** A SecretProvider or ClusterSecretProvider as the cache needs it. */
export interface ProviderObject extends ProviderIdentity {
  uid: string;
  generation: number;
  spec: ProviderSpecFields;
}

export interface ProviderClientCacheOptions {
  registry: ProviderRegistry;
  credentials: CredentialSource;
  clock?: ProviderClock;
  logger?: ProviderLogger;
  onCall?: OnProviderCall;
  /** How often a client re-checks its credential Secrets' resourceVersions. Default 60 s. */
  credentialCheckIntervalMs?: number;
  /** Clients unused this long are closed. Default 30 min. */
  idleTimeoutMs?: number;
  /** Minimum time between two rebuilds caused by Unauthorized errors. Default 30 s. */
  unauthorizedRebuildIntervalMs?: number;
}

/** A cached client. Its close() does nothing: the cache owns the lifecycle. */
export interface CachedProviderClient extends ProviderClient {
  /** Identifies the underlying client, e.g. for the read coalescer. */
  readonly key: string;
  readonly providerType: string;
  /** `ClusterSecretProvider vault-prod`, for error messages. */
  readonly description: string;
}

interface Built {
  client: ProviderClient;
  recorder: CredentialRecorder;
  checkedAt: number;
  checking?: Promise<Built>;
  inFlight: number;
  retired: boolean;
  closed: boolean;
}

interface Entry {
  key: string;
  provider: ProviderObject;
  type: string;
  prepared: PreparedProvider;
  consumerNamespace: string | undefined;
  /** The build in progress or done that calls use. */
  current: Promise<Built>;
  /** The last build that resolved and is still current; undefined while (re)building. */
  latest?: Built;
  lastUsedAt: number;
  lastUnauthorizedRebuildAt?: number;
  dropped: boolean;
  abort: AbortController;
}

export class ProviderClientCache {
  readonly #registry: ProviderRegistry;
  readonly #credentials: CredentialSource;
  readonly #clock: ProviderClock;
  readonly #logger: ProviderLogger;
  readonly #onCall: OnProviderCall;
  readonly #checkIntervalMs: number;
  readonly #idleTimeoutMs: number;
  readonly #unauthorizedRebuildIntervalMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #closing = new Set<Promise<void>>();
  #sweepTimer: unknown;

  constructor(options: ProviderClientCacheOptions) {
    this.#registry = options.registry;
    this.#credentials = options.credentials;
    this.#clock = options.clock ?? systemProviderClock;
    this.#logger = options.logger ?? silentLogger;
    this.#onCall = options.onCall ?? (() => {});
    this.#checkIntervalMs = options.credentialCheckIntervalMs ?? 60_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30 * 60_000;
    this.#unauthorizedRebuildIntervalMs = options.unauthorizedRebuildIntervalMs ?? 30_000;
  }

  /** Number of cached clients (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The client for a provider as used by a SecretSource in `consumerNamespace`. Rejects with
   * InvalidSpecError / ProviderNotAllowedError / CredentialsUnavailableError / ... when it cannot be built.
   */
  async acquire(
    provider: ProviderObject,
    consumerNamespace: string,
    signal: AbortSignal,
  ): Promise<CachedProviderClient> {
    const identity = identityOf(provider);
    const { type, prepared } = this.#registry.prepare(provider.spec, identity);
    const credentialNamespace =
      provider.kind === 'ClusterSecretProvider' && prepared.referencesDefaultNamespace
        ? consumerNamespace
        : undefined;
    const key = `${provider.uid}/${provider.generation}/${credentialNamespace ?? '*'}`;

    for (const other of this.#entries.values()) {
      if (other.provider.uid === provider.uid && other.provider.generation < provider.generation) {
        this.#drop(other);
      }
    }
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = {
        key,
        provider,
        type,
        prepared,
        consumerNamespace: credentialNamespace,
        current: undefined as unknown as Promise<Built>, // set right below: #build needs the entry
        lastUsedAt: this.#clock.now(),
        dropped: false,
        abort: new AbortController(),
      };
      entry.current = this.#build(entry);
      this.#entries.set(key, entry);
      this.#scheduleSweep();
    }
    entry.lastUsedAt = this.#clock.now();
    const built = await raceAbort(entry.current, signal);
    return this.#handle(entry, built.client);
  }

  /** Drops every client of a provider (it changed or was deleted). */
  async invalidate(uid: string): Promise<void> {
    for (const entry of this.#entries.values()) if (entry.provider.uid === uid) this.#drop(entry);
    await this.#settleClosing();
  }

  async closeAll(): Promise<void> {
    this.#clock.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    for (const entry of this.#entries.values()) this.#drop(entry, { force: true });
    await this.#settleClosing();
  }

  #handle(entry: Entry, sample: ProviderClient): CachedProviderClient {
    const handle: CachedProviderClient = {
      key: entry.key,
      providerType: entry.type,
      description: describeProvider(entry.provider),
      get: (ref: RemoteRef, signal: AbortSignal): Promise<RemoteValue> =>
        this.#call(entry, signal, (client) => client.get(ref, signal)),
      validate: (signal: AbortSignal): Promise<void> =>
        this.#call(entry, signal, (client) => client.validate(signal)),
      close: () => Promise.resolve(),
    };
    if (sample.getMany) {
      handle.getMany = (refs, signal) =>
        this.#call(entry, signal, (client) => {
          if (!client.getMany) throw lostCapability(entry, 'getMany');
          return client.getMany(refs, signal);
        });
    }
    if (sample.find) {
      handle.find = (query: FindQuery, signal) =>
        this.#call(entry, signal, (client) => {
          if (!client.find) throw lostCapability(entry, 'find');
          return client.find(query, signal);
        });
    }
    if (sample.write) {
      handle.write = (ref, value, signal) =>
        this.#call(entry, signal, (client) => {
          if (!client.write) throw lostCapability(entry, 'write');
          return client.write(ref, value, signal);
        });
    }
    return handle;
  }

  async #call<T>(
    entry: Entry,
    signal: AbortSignal,
    operation: (client: ProviderClient) => Promise<T>,
  ): Promise<T> {
    let built = await this.#ready(entry, signal);
    try {
      return await this.#run(built, operation);
    } catch (error) {
      if (!(error instanceof UnauthorizedError) || entry.dropped) throw error;
      // A client another call already replaced is simply retried; a rebuild of our own is rate-limited.
      if (entry.latest === built) {
        if (!this.#mayRebuildAfterUnauthorized(entry)) throw error;
        entry.lastUnauthorizedRebuildAt = this.#clock.now();
        this.#logger.info(
          { provider: describeProvider(entry.provider), reason: error.reason },
          'provider call unauthorized; rebuilding the client once',
        );
      }
      built = await raceAbort(this.#rebuild(entry, built), signal);
      return await this.#run(built, operation);
    }
  }

  async #ready(entry: Entry, signal: AbortSignal): Promise<Built> {
    if (entry.dropped) {
      throw new UnavailableError(
        { provider: describeProvider(entry.provider) },
        'the provider changed while this client was in use; retry',
      );
    }
    entry.lastUsedAt = this.#clock.now();
    const built = await raceAbort(entry.current, signal);
    if (this.#clock.now() - built.checkedAt < this.#checkIntervalMs) return built;
    built.checking ??= this.#checkCredentials(entry, built).finally(() => (built.checking = undefined));
    return raceAbort(built.checking, signal);
  }

  async #run<T>(built: Built, operation: (client: ProviderClient) => Promise<T>): Promise<T> {
    built.inFlight++;
    try {
      return await operation(built.client);
    } finally {
      built.inFlight--;
      if (built.retired && built.inFlight === 0) this.#close(built);
    }
  }

  #mayRebuildAfterUnauthorized(entry: Entry): boolean {
    const last = entry.lastUnauthorizedRebuildAt;
    return last === undefined || this.#clock.now() - last >= this.#unauthorizedRebuildIntervalMs;
  }

  async #checkCredentials(entry: Entry, built: Built): Promise<Built> {
    built.checkedAt = this.#clock.now();
    let changed: boolean;
    try {
      changed = await built.recorder.changed(this.#credentials, entry.abort.signal);
    } catch (error) {
      // Keep the working client: the Secret may be back on the next check, and the client's
      // own token stays valid meanwhile.
      this.#logger.warn(
        { provider: describeProvider(entry.provider), error: describeError(error) },
        'could not re-check provider credentials; keeping the current client',
      );
      return built;
    }
    if (!changed) return built;
    this.#logger.info(
      { provider: describeProvider(entry.provider) },
      'provider credentials changed; rebuilding the client',
    );
    return this.#rebuild(entry, built);
  }

  #rebuild(entry: Entry, stale: Built): Promise<Built> {
    // Another caller already replaced (or is replacing) this client.
    if (entry.latest !== stale || entry.dropped) return entry.current;
    entry.latest = undefined;
    const next = this.#build(entry);
    entry.current = next;
    next.then(
      () => this.#retire(stale),
      () => this.#retire(stale),
    );
    return next;
  }

  #build(entry: Entry): Promise<Built> {
    const building: Promise<Built> = this.#create(entry).then(
      (built) => {
        if (entry.current === building) entry.latest = built;
        return built;
      },
      (error: unknown) => {
        // Errors are not cached: the next acquire builds again.
        if (entry.current === building) this.#drop(entry);
        throw error;
      },
    );
    // A rebuild may have no waiter left; its failure has already dropped the entry.
    building.catch(() => {});
    return building;
  }

  async #create(entry: Entry): Promise<Built> {
    const recorder = new CredentialRecorder(this.#credentials);
    const identity = identityOf(entry.provider);
    const client = await entry.prepared.create({
      provider: identity,
      credentials: scopeCredentials(recorder, {
        provider: identity,
        consumerNamespace: entry.consumerNamespace,
      }),
      clock: this.#clock,
      logger: this.#logger,
      onCall: this.#onCall,
      signal: entry.abort.signal,
    });
    const built: Built = {
      client,
      recorder,
      checkedAt: this.#clock.now(),
      inFlight: 0,
      retired: false,
      closed: false,
    };
    if (entry.dropped) {
      this.#close(built);
      throw new UnavailableError(
        { provider: describeProvider(identity) },
        'the provider changed while building its client',
      );
    }
    return built;
  }

  #drop(entry: Entry, options: { force?: boolean } = {}): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    if (entry.dropped) return;
    entry.dropped = true;
    entry.abort.abort(
      new UnavailableError({ provider: describeProvider(entry.provider) }, 'provider client dropped'),
    );
    const latest = entry.latest;
    entry.latest = undefined;
    if (latest) {
      if (options.force) this.#close(latest);
      else this.#retire(latest);
    }
    if (this.#entries.size === 0) {
      this.#clock.clearTimeout(this.#sweepTimer);
      this.#sweepTimer = undefined;
    }
  }

  #retire(built: Built): void {
    built.retired = true;
    if (built.inFlight === 0) this.#close(built);
  }

  #close(built: Built): void {
    if (built.closed) return;
    built.closed = true;
    const closing = built.client.close().catch((error: unknown) => {
      this.#logger.warn({ error: describeError(error) }, 'closing a provider client failed');
    });
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }

  async #settleClosing(): Promise<void> {
    await Promise.all([...this.#closing]);
  }

  #scheduleSweep(): void {
    if (this.#sweepTimer !== undefined) return;
    const every = Math.min(this.#idleTimeoutMs, 60_000);
    this.#sweepTimer = this.#clock.setTimeout(() => {
      this.#sweepTimer = undefined;
      this.#sweepIdle();
      if (this.#entries.size > 0) this.#scheduleSweep();
    }, every);
  }

  #sweepIdle(): void {
    const now = this.#clock.now();
    for (const entry of this.#entries.values()) {
      const busy = entry.latest === undefined || entry.latest.inFlight > 0;
      if (!busy && now - entry.lastUsedAt >= this.#idleTimeoutMs) {
        this.#logger.debug({ provider: describeProvider(entry.provider) }, 'closing idle provider client');
        this.#drop(entry);
      }
    }
  }
}

/** Passes reads through and remembers the resourceVersion of every credential Secret read. */
class CredentialRecorder implements CredentialSource {
  readonly #source: CredentialSource;
  readonly #seen = new Map<string, { ref: SecretKeyRef; resourceVersion: string }>();

  constructor(source: CredentialSource) {
    this.#source = source;
  }

  async secretKey(ref: SecretKeyRef, signal: AbortSignal): Promise<CredentialSecretValue> {
    const result = await this.#source.secretKey(ref, signal);
    this.#seen.set(`${ref.namespace}/${ref.name}/${ref.key}`, {
      ref,
      resourceVersion: result.resourceVersion,
    });
    return result;
  }

  serviceAccountToken(
    ref: ServiceAccountRef,
    audiences: string[],
    expirationSeconds: number,
    signal: AbortSignal,
  ): Promise<ServiceAccountToken> {
    return this.#source.serviceAccountToken(ref, audiences, expirationSeconds, signal);
  }

  /** Whether any recorded Secret now has another resourceVersion. */
  async changed(source: CredentialSource, signal: AbortSignal): Promise<boolean> {
    for (const { ref, resourceVersion } of this.#seen.values()) {
      const now = await source.secretKey(ref, signal);
      if (now.resourceVersion !== resourceVersion) return true;
    }
    return false;
  }
}

function identityOf(provider: ProviderObject): ProviderIdentity {
  return provider.namespace === undefined
    ? { kind: provider.kind, name: provider.name }
    : { kind: provider.kind, name: provider.name, namespace: provider.namespace };
}

function lostCapability(entry: Entry, method: string): Error {
  return new UnavailableError(
    { provider: describeProvider(entry.provider) },
    `the rebuilt client no longer supports ${method}`,
  );
}

/** ProviderError messages are value-free by construction; of anything else only the name is kept. */
function describeError(error: unknown): string {
  if (error instanceof ProviderError) return error.message;
  return error instanceof Error ? error.name : 'unknown error';
}
