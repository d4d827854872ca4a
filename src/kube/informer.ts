// A local cache of one resource kept current by list + watch. Written for this project rather than
// taken from @kubernetes/client-node, whose informer can go silent and stops on non-410 errors:
// this one relists on 410, retries every other failure with backoff, restarts a watch that has
// gone quiet, and can relist periodically to repair anything missed. It never stops by itself.

import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { nextStep, RestartReason, type AttemptEnd } from './informer-restart.js';
import { raceAbort } from './abort.js';
import { backoffDelay, type BackoffPolicy } from './rate-limiter.js';

export { RestartReason };

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** The transport: a real API server in production (kube-list-watch.ts), a fake in unit tests. */
export interface ListWatchSource<T> {
  list(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }>;
  /**
   * Streams changes after resourceVersion to onEvent until the stream ends (resolves) or fails
   * (rejects). obj is the object for ADDED/MODIFIED/DELETED, an object carrying only
   * metadata.resourceVersion for BOOKMARK, and a metav1.Status for ERROR.
   */
  watch(
    resourceVersion: string,
    allowBookmarks: true,
    onEvent: (type: WatchEventType, obj: unknown) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
}

export interface MetaObject {
  metadata?: ObjectMeta;
}

export enum InformerEvent {
  Added = 'added',
  Updated = 'updated',
  Deleted = 'deleted',
  /** The first full list is in the cache. */
  Synced = 'synced',
  /** A list or watch failed; the informer retries by itself. For logs and metrics. */
  Error = 'error',
  /** A new list or watch began after the previous one ended. For logs and metrics. */
  Restarted = 'restarted',
}

export interface InformerListeners<T> {
  [InformerEvent.Added]: (obj: T) => void;
  [InformerEvent.Updated]: (oldObj: T, newObj: T) => void;
  [InformerEvent.Deleted]: (obj: T) => void;
  [InformerEvent.Synced]: () => void;
  [InformerEvent.Error]: (err: InformerError) => void;
  [InformerEvent.Restarted]: (reason: RestartReason) => void;
}

/** 'listener' means one of our own event listeners threw. */
export type InformerPhase = 'list' | 'watch' | 'listener';

/** A failed list or watch. The message names the resource, never object contents. */
export class InformerError extends Error {
  readonly phase: InformerPhase;
  /** HTTP or metav1.Status code when known. */
  readonly statusCode: number | undefined;

  constructor(resource: string, phase: InformerPhase, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${phase} of ${resource} failed: ${detail}`, { cause });
    this.name = 'InformerError';
    this.phase = phase;
    this.statusCode = statusCodeOf(cause);
  }
}

/** An ERROR event in a watch stream, carrying the server's metav1.Status. */
export class WatchStatusError extends Error {
  readonly statusCode: number | undefined;
  readonly reason: string | undefined;

  constructor(status: unknown) {
    const s = (typeof status === 'object' && status !== null ? status : {}) as Record<string, unknown>;
    const message = typeof s.message === 'string' ? s.message : 'watch error event';
    super(message);
    this.name = 'WatchStatusError';
    this.statusCode = typeof s.code === 'number' ? s.code : undefined;
    this.reason = typeof s.reason === 'string' ? s.reason : undefined;
  }
}

export class ListTimeoutError extends Error {
  constructor(ms: number) {
    super(`list did not finish within ${ms} ms`);
    this.name = 'ListTimeoutError';
  }
}

export interface InformerConfig<T> {
  /** Used in error messages, e.g. 'secretsources.secretsource.dev'. */
  resource: string;
  source: ListWatchSource<T>;
  /** Cache key; default namespace/name (name alone for cluster-scoped objects). */
  keyOf?: (obj: T) => string;
  /** Restart a watch that delivered nothing for this long. Default 5 min (bookmarks come about every minute). */
  silenceLimitMs?: number;
  /** Full relist interval; 0 or unset means never. */
  relistIntervalMs?: number;
  /** Give up on a list that takes longer than this and retry. Default 2 min. */
  listTimeoutMs?: number;
  /** A watch that ends sooner than this without delivering anything counts as a failure for backoff. Default 1 s. */
  minWatchDurationMs?: number;
  /** Backoff between failed attempts. Default 1 s doubling to 30 s, ±20 %. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  backoffJitter?: number;
  /** isHealthy() turns false once the watch has been down this long. Default 2 min. */
  unhealthyAfterMs?: number;
  clock?: Clock;
  random?: () => number;
}

export const INFORMER_DEFAULTS = {
  silenceLimitMs: 5 * 60_000,
  relistIntervalMs: 0,
  listTimeoutMs: 2 * 60_000,
  minWatchDurationMs: 1_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
  backoffJitter: 0.2,
  unhealthyAfterMs: 2 * 60_000,
} as const;

export function namespacedName(obj: MetaObject): string {
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export function isGone(errOrStatus: unknown): boolean {
  return statusCodeOf(errOrStatus) === 410;
}

function statusCodeOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.statusCode === 'number') return v.statusCode;
  if (typeof v.code === 'number') return v.code;
  return undefined;
}

function resourceVersionOf(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const meta = (obj as MetaObject).metadata;
  return typeof meta?.resourceVersion === 'string' ? meta.resourceVersion : undefined;
}

function isMetaObject(obj: unknown): obj is MetaObject {
  return typeof obj === 'object' && obj !== null && typeof (obj as MetaObject).metadata === 'object';
}

/** Why we cut the current watch short ourselves (the server ending it is 'closed'). */
type Interruption = 'gone' | 'failed' | 'silent' | 'relist-due' | 'stopped';

type ListenerSet<T> = { [E in InformerEvent]: Set<InformerListeners<T>[E]> };

export class Informer<T extends MetaObject> {
  readonly #resource: string;
  readonly #source: ListWatchSource<T>;
  readonly #keyOf: (obj: T) => string;
  readonly #silenceLimitMs: number;
  readonly #relistIntervalMs: number;
  readonly #listTimeoutMs: number;
  readonly #minWatchDurationMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #unhealthyAfterMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;

  #cache = new Map<string, T>();
  #resourceVersion = '';
  #synced = false;
  #started = false;
  #stopped = false;
  #needList = true;
  #failures = 0;
  #lastSeenAt = 0;
  /** Since when no watch has been delivering; undefined while one is. */
  #downSince: number | undefined;

  #attempt: AbortController | undefined;
  #interruption: Interruption | undefined;
  /** The failure the next Error event reports. */
  #lastError: InformerError | undefined;
  #watchdogTimer: TimerHandle | undefined;
  #relistTimer: TimerHandle | undefined;
  #sleepTimer: TimerHandle | undefined;
  #wakeSleeper: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #syncWaiters: (() => void)[] = [];

  readonly #listeners: ListenerSet<T> = {
    [InformerEvent.Added]: new Set(),
    [InformerEvent.Updated]: new Set(),
    [InformerEvent.Deleted]: new Set(),
    [InformerEvent.Synced]: new Set(),
    [InformerEvent.Error]: new Set(),
    [InformerEvent.Restarted]: new Set(),
  };

  constructor(config: InformerConfig<T>) {
    this.#resource = config.resource;
    this.#source = config.source;
    this.#keyOf = config.keyOf ?? namespacedName;
    this.#silenceLimitMs = config.silenceLimitMs ?? INFORMER_DEFAULTS.silenceLimitMs;
    this.#relistIntervalMs = config.relistIntervalMs ?? INFORMER_DEFAULTS.relistIntervalMs;
    this.#listTimeoutMs = config.listTimeoutMs ?? INFORMER_DEFAULTS.listTimeoutMs;
    this.#minWatchDurationMs = config.minWatchDurationMs ?? INFORMER_DEFAULTS.minWatchDurationMs;
    this.#backoff = {
      baseMs: config.backoffBaseMs ?? INFORMER_DEFAULTS.backoffBaseMs,
      maxMs: config.backoffMaxMs ?? INFORMER_DEFAULTS.backoffMaxMs,
      jitter: config.backoffJitter ?? INFORMER_DEFAULTS.backoffJitter,
    };
    this.#unhealthyAfterMs = config.unhealthyAfterMs ?? INFORMER_DEFAULTS.unhealthyAfterMs;
    this.#clock = config.clock ?? systemClock;
    this.#random = config.random ?? Math.random;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends InformerEvent>(event: E, listener: InformerListeners<T>[E]): () => void {
    const set = this.#listeners[event] as Set<InformerListeners<T>[E]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  keys(): string[] {
    return [...this.#cache.keys()];
  }

  /** The newest resourceVersion seen (list, event or bookmark). */
  resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** The resource this informer caches, for logs and readiness reasons. */
  get resource(): string {
    return this.#resource;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Synced, running, and the watch has not been down longer than unhealthyAfterMs. */
  isHealthy(): boolean {
    if (!this.#synced || this.#stopped || !this.#started) return false;
    return this.#downSince === undefined || this.#clock.now() - this.#downSince < this.#unhealthyAfterMs;
  }

  /** Resolves once the first full list is in the cache (or at once if it already is). */
  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  start(): void {
    if (this.#started || this.#stopped)
      throw new Error(`informer for ${this.#resource} cannot be started twice`);
    this.#started = true;
    this.#downSince = this.#clock.now();
    this.#armRelistTimer();
    this.#loop = this.#run();
  }

  /** Clears every timer and aborts the list or watch in flight; resolves when the loop has exited. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#relistTimer);
    this.#relistTimer = undefined;
    this.#disarmWatchdog();
    this.#interrupt('stopped');
    this.#wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let restart: RestartReason | undefined;
    while (!this.#stopped) {
      if (restart !== undefined) this.#emit(InformerEvent.Restarted, restart);
      const step = nextStep(this.#needList ? await this.#listOnce() : await this.#watchOnce());
      if (step.next === 'stop' || this.#stopped) return;
      this.#needList = step.next === 'list';
      if (step.reportError && this.#lastError) this.#emit(InformerEvent.Error, this.#lastError);
      if (step.down) this.#downSince ??= this.#clock.now();
      restart = step.restart;
      if (step.backoff) await this.#sleep(this.#nextBackoff());
    }
  }

  async #listOnce(): Promise<AttemptEnd> {
    const attempt = this.#newAttempt();
    const timeout = this.#clock.setTimeout(
      () => attempt.abort(new ListTimeoutError(this.#listTimeoutMs)),
      this.#listTimeoutMs,
    );
    try {
      const result = await raceAbort(this.#source.list(attempt.signal), attempt.signal);
      if (this.#stopped) return { attempt: 'list', result: 'stopped' };
      this.#replace(result.items, result.resourceVersion);
      // The backoff is not reset here: only a watch that delivers proves the loop works again.
      this.#downSince = undefined;
      if (!this.#synced) this.#markSynced();
      return { attempt: 'list', result: 'ok' };
    } catch (err) {
      if (this.#stopped) return { attempt: 'list', result: 'stopped' };
      this.#lastError = new InformerError(this.#resource, 'list', err);
      return { attempt: 'list', result: 'failed' };
    } finally {
      this.#clock.clearTimeout(timeout);
      this.#attempt = undefined;
    }
  }

  async #watchOnce(): Promise<AttemptEnd> {
    const attempt = this.#newAttempt();
    const startedAt = this.#clock.now();
    let delivered = false;
    this.#lastSeenAt = startedAt;
    this.#armWatchdog();

    const onEvent = (type: WatchEventType, obj: unknown): void => {
      // A source may keep calling after we gave up on it; those events belong to no one.
      if (attempt.signal.aborted || this.#stopped) return;
      this.#lastSeenAt = this.#clock.now();
      if (type !== 'ERROR') {
        // Only a watch that delivers proves the loop healthy and resets the backoff.
        delivered = true;
        this.#downSince = undefined;
        this.#failures = 0;
      }
      this.#handleWatchEvent(type, obj, attempt);
    };
    const ended = (result: Extract<AttemptEnd, { attempt: 'watch' }>['result']): AttemptEnd => ({
      attempt: 'watch',
      result,
      unproductive: !delivered && this.#clock.now() - startedAt < this.#minWatchDurationMs,
    });

    try {
      await raceAbort(
        this.#source.watch(this.#resourceVersion, true, onEvent, attempt.signal),
        attempt.signal,
      );
      return ended(this.#interruption ?? 'closed');
    } catch (err) {
      if (this.#interruption !== undefined) return ended(this.#interruption);
      if (isGone(err)) return ended('gone');
      this.#lastError = new InformerError(this.#resource, 'watch', err);
      return ended('failed');
    } finally {
      this.#disarmWatchdog();
      this.#attempt = undefined;
    }
  }

  #handleWatchEvent(type: WatchEventType, obj: unknown, attempt: AbortController): void {
    if (type === 'ERROR') {
      const error = new WatchStatusError(obj);
      if (error.statusCode === 410) {
        this.#interrupt('gone', attempt);
      } else {
        this.#lastError = new InformerError(this.#resource, 'watch', error);
        this.#interrupt('failed', attempt);
      }
      return;
    }
    const rv = resourceVersionOf(obj);
    if (rv !== undefined) this.#resourceVersion = rv;
    if (type === 'BOOKMARK' || !isMetaObject(obj)) return;

    const item = obj as T;
    const key = this.#keyOf(item);
    const old = this.#cache.get(key);
    if (type === 'DELETED') {
      this.#cache.delete(key);
      this.#emit(InformerEvent.Deleted, item);
      return;
    }
    this.#cache.set(key, item);
    if (old === undefined) {
      this.#emit(InformerEvent.Added, item);
    } else if (type === 'MODIFIED' || resourceVersionOf(old) !== rv) {
      this.#emit(InformerEvent.Updated, old, item);
    }
  }

  /** Replaces the cache with a full list and emits only what differs from what we had. */
  #replace(items: T[], resourceVersion: string): void {
    const previous = this.#cache;
    const next = new Map<string, T>();
    for (const item of items) next.set(this.#keyOf(item), item);
    this.#cache = next;
    this.#resourceVersion = resourceVersion;

    for (const [key, item] of next) {
      const old = previous.get(key);
      if (old === undefined) this.#emit(InformerEvent.Added, item);
      else if (resourceVersionOf(old) !== resourceVersionOf(item))
        this.#emit(InformerEvent.Updated, old, item);
    }
    for (const [key, old] of previous) {
      if (!next.has(key)) this.#emit(InformerEvent.Deleted, old);
    }
  }

  #markSynced(): void {
    this.#synced = true;
    this.#emit(InformerEvent.Synced);
    for (const resolve of this.#syncWaiters.splice(0)) resolve();
  }

  #newAttempt(): AbortController {
    this.#interruption = undefined;
    this.#attempt = new AbortController();
    return this.#attempt;
  }

  #interrupt(reason: Interruption, attempt: AbortController | undefined = this.#attempt): void {
    if (!attempt || attempt.signal.aborted) return;
    this.#interruption = reason;
    attempt.abort(new Error(`watch of ${this.#resource} interrupted: ${reason}`));
  }

  #armWatchdog(): void {
    this.#disarmWatchdog();
    const remaining = this.#lastSeenAt + this.#silenceLimitMs - this.#clock.now();
    this.#watchdogTimer = this.#clock.setTimeout(this.#onWatchdog, remaining);
  }

  #disarmWatchdog(): void {
    this.#clock.clearTimeout(this.#watchdogTimer);
    this.#watchdogTimer = undefined;
  }

  // Checks time since the last event rather than resetting a timer on every event.
  #onWatchdog = (): void => {
    this.#watchdogTimer = undefined;
    if (this.#stopped || !this.#attempt) return;
    if (this.#clock.now() - this.#lastSeenAt >= this.#silenceLimitMs) {
      this.#interrupt('silent');
    } else {
      this.#armWatchdog();
    }
  };

  #armRelistTimer(): void {
    if (!(this.#relistIntervalMs > 0) || this.#stopped) return;
    // ±10 % so informers started together do not relist together.
    const delay = this.#relistIntervalMs * (0.9 + 0.2 * this.#random());
    this.#relistTimer = this.#clock.setTimeout(this.#onRelistTimer, delay);
  }

  #onRelistTimer = (): void => {
    this.#relistTimer = undefined;
    if (this.#stopped) return;
    if (!this.#needList) {
      this.#needList = true;
      this.#interrupt('relist-due');
    }
    this.#armRelistTimer();
  };

  #nextBackoff(): number {
    this.#failures += 1;
    return backoffDelay(this.#failures, this.#backoff, this.#random);
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wakeSleeper = resolve;
      this.#sleepTimer = this.#clock.setTimeout(() => this.#wake(), ms);
    });
  }

  #wake(): void {
    this.#clock.clearTimeout(this.#sleepTimer);
    this.#sleepTimer = undefined;
    const wake = this.#wakeSleeper;
    this.#wakeSleeper = undefined;
    wake?.();
  }

  #emit<E extends InformerEvent>(event: E, ...args: Parameters<InformerListeners<T>[E]>): void {
    for (const listener of this.#listeners[event]) {
      try {
        (listener as (...a: Parameters<InformerListeners<T>[E]>) => void)(...args);
      } catch (err) {
        // A failing listener must not break the cache; report it unless it is an error listener.
        if (event !== InformerEvent.Error) {
          this.#emit(InformerEvent.Error, new InformerError(this.#resource, 'listener', err));
        }
      }
    }
  }
}
