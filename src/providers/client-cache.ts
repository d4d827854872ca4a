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
// Each built client goes through one lifecycle (building → ready → retiring → closed), decided by
// the transition table in client-lifecycle.ts; the cache only feeds it events.
import { raceAbort } from '../kube/abort.js';
import {
  scopeCredentials,
  type CredentialSecretValue,
  type CredentialSource,
  type SecretKeyRef,
  type ServiceAccountRef,
  type ServiceAccountToken,
} from './credentials.js';
import { nextLifecycle, type Lifecycle, type LifecycleEvent } from './client-lifecycle.js';
import {
  CredentialsPerNamespaceError,
  ProviderError,
  UnauthorizedError,
  UnavailableError,
} from './errors.js';
import {
  describeProvider,
  type PreparedProvider,
  type ProviderRegistry,
  type ProviderSpecFields,
} from './registry.js';
import {
  silentLogger,
  systemProviderClock,
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

/** One built client of an entry, and where it is in its life (client-lifecycle.ts). */
interface Generation {
  lifecycle: Lifecycle;
  /** Resolves once the client is built; rejects when the build fails or was abandoned. */
  built: Promise<Generation>;
  client?: ProviderClient;
  recorder: CredentialRecorder;
  checkedAt: number;
  checking?: Promise<Generation>;
}

interface Entry {
  key: string;
  provider: ProviderObject;
  type: string;
  prepared: PreparedProvider;
  consumerNamespace: string | undefined;
  /** The generation calls use: building, or ready. */
  current: Generation;
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
   * The client for a provider as used by a SecretSource in `consumerNamespace` (undefined: by no
   * SecretSource, as the provider's own validation). Rejects with InvalidSpecError /
   * ProviderNotAllowedError / CredentialsUnavailableError / CredentialsPerNamespaceError / ... when
   * it cannot be built.
   */
  async acquire(
    provider: ProviderObject,
    consumerNamespace: string | undefined,
    signal: AbortSignal,
  ): Promise<CachedProviderClient> {
    const identity = identityOf(provider);
    const { type, prepared } = this.#registry.prepare(provider.spec, identity);
    if (
      provider.kind === 'ClusterSecretProvider' &&
      prepared.referencesDefaultNamespace &&
      consumerNamespace === undefined
    ) {
      throw new CredentialsPerNamespaceError({ provider: describeProvider(identity) });
    }
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
      const created: Omit<Entry, 'current'> = {
        key,
        provider,
        type,
        prepared,
        consumerNamespace: credentialNamespace,
        lastUsedAt: this.#clock.now(),
        dropped: false,
        abort: new AbortController(),
      };
      entry = created as Entry;
      entry.current = this.#build(entry);
      this.#entries.set(key, entry);
      this.#scheduleSweep();
    }
    entry.lastUsedAt = this.#clock.now();
    const generation = await raceAbort(entry.current.built, signal);
    return this.#handle(entry, generation.client!);
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
    // What a client may or may not do is forwarded when the first built client does it.
    for (const method of OPTIONAL_METHODS) {
      if (sample[method]) handle[method] = this.#forward(entry, method) as never;
    }
    return handle;
  }

  /** An optional method of the client, called through #call (its last argument is the signal). */
  #forward<M extends OptionalMethod>(entry: Entry, method: M): OptionalCall {
    return (...args) =>
      this.#call(entry, args[args.length - 1] as AbortSignal, (client) => {
        const call = client[method] as OptionalCall | undefined;
        if (!call) throw lostCapability(entry, method);
        return call.apply(client, args);
      });
  }

  async #call<T>(
    entry: Entry,
    signal: AbortSignal,
    operation: (client: ProviderClient) => Promise<T>,
  ): Promise<T> {
    let generation = await this.#ready(entry, signal);
    try {
      return await this.#run(generation, operation);
    } catch (error) {
      if (!(error instanceof UnauthorizedError) || entry.dropped) throw error;
      // A client another call already replaced is simply retried; a rebuild of our own is rate-limited.
      if (entry.current === generation) {
        if (!this.#mayRebuildAfterUnauthorized(entry)) throw error;
        entry.lastUnauthorizedRebuildAt = this.#clock.now();
        this.#logger.info(
          { provider: describeProvider(entry.provider), reason: error.reason },
          'provider call unauthorized; rebuilding the client once',
        );
      }
      generation = await raceAbort(this.#rebuild(entry, generation), signal);
      return await this.#run(generation, operation);
    }
  }

  async #ready(entry: Entry, signal: AbortSignal): Promise<Generation> {
    if (entry.dropped) {
      throw new UnavailableError(
        { provider: describeProvider(entry.provider) },
        'the provider changed while this client was in use; retry',
      );
    }
    entry.lastUsedAt = this.#clock.now();
    const generation = await raceAbort(entry.current.built, signal);
    if (this.#clock.now() - generation.checkedAt < this.#checkIntervalMs) return generation;
    generation.checking ??= this.#checkCredentials(entry, generation).finally(
      () => (generation.checking = undefined),
    );
    return raceAbort(generation.checking, signal);
  }

  async #run<T>(generation: Generation, operation: (client: ProviderClient) => Promise<T>): Promise<T> {
    this.#step(generation, 'call-started');
    try {
      return await operation(generation.client!);
    } finally {
      this.#step(generation, 'call-finished');
    }
  }

  #mayRebuildAfterUnauthorized(entry: Entry): boolean {
    const last = entry.lastUnauthorizedRebuildAt;
    return last === undefined || this.#clock.now() - last >= this.#unauthorizedRebuildIntervalMs;
  }

  async #checkCredentials(entry: Entry, generation: Generation): Promise<Generation> {
    generation.checkedAt = this.#clock.now();
    let changed: boolean;
    try {
      changed = await generation.recorder.changed(this.#credentials, entry.abort.signal);
    } catch (error) {
      // Keep the working client: the Secret may be back on the next check, and the client's
      // own token stays valid meanwhile.
      this.#logger.warn(
        { provider: describeProvider(entry.provider), error: describeError(error) },
        'could not re-check provider credentials; keeping the current client',
      );
      return generation;
    }
    if (!changed) return generation;
    this.#logger.info(
      { provider: describeProvider(entry.provider) },
      'provider credentials changed; rebuilding the client',
    );
    return this.#rebuild(entry, generation);
  }

  /** A new generation replaces `stale`, which retires once the new one is built (or failed). */
  #rebuild(entry: Entry, stale: Generation): Promise<Generation> {
    // Another caller already replaced (or is replacing) this client.
    if (entry.current !== stale || entry.dropped) return entry.current.built;
    const next = this.#build(entry);
    entry.current = next;
    const retire = () => this.#step(stale, 'retire');
    next.built.then(retire, retire);
    return next.built;
  }

  #build(entry: Entry): Generation {
    const recorder = new CredentialRecorder(this.#credentials);
    const generation: Generation = {
      lifecycle: { state: 'building' },
      built: undefined as unknown as Promise<Generation>, // set right below: the build needs the object
      recorder,
      checkedAt: this.#clock.now(),
    };
    generation.built = this.#create(entry, recorder).then(
      (client) => {
        generation.client = client;
        generation.checkedAt = this.#clock.now();
        this.#step(generation, 'built');
        if (generation.lifecycle.state === 'closed') {
          throw new UnavailableError(
            { provider: describeProvider(entry.provider) },
            'the provider changed while building its client',
          );
        }
        return generation;
      },
      (error: unknown) => {
        this.#step(generation, 'build-failed');
        // Errors are not cached: the next acquire builds again.
        if (entry.current === generation) this.#drop(entry);
        throw error;
      },
    );
    // A rebuild may have no waiter left; its failure has already dropped the entry.
    generation.built.catch(() => {});
    return generation;
  }

  #create(entry: Entry, recorder: CredentialRecorder): Promise<ProviderClient> {
    const identity = identityOf(entry.provider);
    return entry.prepared.create({
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
  }

  #drop(entry: Entry, options: { force?: boolean } = {}): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    if (entry.dropped) return;
    entry.dropped = true;
    entry.abort.abort(
      new UnavailableError({ provider: describeProvider(entry.provider) }, 'provider client dropped'),
    );
    this.#step(entry.current, options.force ? 'force-close' : 'retire');
    if (this.#entries.size === 0) {
      this.#clock.clearTimeout(this.#sweepTimer);
      this.#sweepTimer = undefined;
    }
  }

  /** Applies one lifecycle event; closes the client when the table says so. */
  #step(generation: Generation, event: LifecycleEvent): void {
    const { next, close } = nextLifecycle(generation.lifecycle, event);
    generation.lifecycle = next;
    if (!close || !generation.client) return;
    const closing = generation.client.close().catch((error: unknown) => {
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
      const { lifecycle } = entry.current;
      const busy = lifecycle.state !== 'ready' || lifecycle.inFlight > 0;
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

/** The ProviderClient methods a backend may lack. */
const OPTIONAL_METHODS = ['getMany', 'find', 'write', 'issue', 'renewLease', 'revokeLease'] as const;
type OptionalMethod = (typeof OPTIONAL_METHODS)[number];
type OptionalCall = (...args: unknown[]) => Promise<unknown>;

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
