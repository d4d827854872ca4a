// One credential per client, fetched once and kept fresh, instead of a login, an STS call or a token
// request per reconcile. Vault tokens, AWS STS credentials and Entra access tokens all go this way:
// - the first get() fetches; callers that come meanwhile share that one fetch;
// - at `refreshFraction` (2/3) of its lifetime, and at least `minMarginMs` before it expires, a refresh
//   starts: by a timer while the client is idle, or by the first get() past that point. Until it is
//   done get() returns the current credential;
// - a failed refresh keeps the current credential while it is valid and tries again after a pause (a
//   third of the time left, between minRetryMs and maxRetryMs), so a flapping backend causes no storm;
//   without a valid credential the failure reaches the callers, and nothing is kept;
// - a credential without an expiry is fetched once;
// - invalidate() drops the credential a backend rejected (a 401/403), so the next get() fetches anew.
// Every timer goes through the injected ProviderClock.
import { raceAbort } from '../kube/abort.js';
import { ProviderError } from './errors.js';
import type { ProviderClock, ProviderLogger } from './types.js';

export interface IssuedCredential<T> {
  readonly value: T;
  /** When the backend stops accepting it (epoch ms); absent for a credential that never expires. */
  readonly expiresAt?: number;
}

/**
 * Gets a new credential: a login, an STS call, a token request. `current` is the credential held now
 * while it is still valid, so it can be renewed rather than replaced. `signal` aborts on close().
 */
export type CredentialFetch<T> = (
  current: T | undefined,
  signal: AbortSignal,
) => Promise<IssuedCredential<T>>;

export interface RefreshingCredentialOptions<T> {
  fetch: CredentialFetch<T>;
  clock: ProviderClock;
  logger: ProviderLogger;
  /** What it is, for log messages: "Vault token", "AWS credentials". */
  name: string;
  /** Fields every log line carries (the provider, the auth method); never a value. */
  logFields: Record<string, unknown>;
  /** Fraction of the lifetime after which a refresh starts. Default 2/3. */
  refreshFraction?: number;
  /** Refresh at least this long before expiry, as long as that leaves half the lifetime. Default 0. */
  minMarginMs?: number;
  /**
   * The credential counts as expired this much before `expiresAt` (clock skew, slow requests), at
   * most a quarter of its lifetime. Default 0.
   */
  expirySkewMs?: number;
  /** Shortest pause between refresh attempts, also for a credential issued nearly expired. Default 1 s. */
  minRetryMs?: number;
  /** Longest pause after a failed refresh. Default 30 s. */
  maxRetryMs?: number;
  /** What a fetch in flight at close() is aborted with. */
  closedReason?: () => Error;
}

interface Held<T> {
  value: T;
  /** Undefined for a credential that never expires. */
  usableUntil?: number;
  refreshAt?: number;
}

export class RefreshingCredential<T> {
  readonly #fetch: CredentialFetch<T>;
  readonly #clock: ProviderClock;
  readonly #logger: ProviderLogger;
  readonly #name: string;
  readonly #logFields: Record<string, unknown>;
  readonly #refreshFraction: number;
  readonly #minMarginMs: number;
  readonly #expirySkewMs: number;
  readonly #minRetryMs: number;
  readonly #maxRetryMs: number;
  readonly #closedReason: () => Error;
  readonly #closed = new AbortController();
  #held: Held<T> | undefined;
  #pending: Promise<Held<T>> | undefined;
  #timer: unknown;

  constructor(options: RefreshingCredentialOptions<T>) {
    this.#fetch = options.fetch;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#name = options.name;
    this.#logFields = options.logFields;
    this.#refreshFraction = options.refreshFraction ?? 2 / 3;
    this.#minMarginMs = options.minMarginMs ?? 0;
    this.#expirySkewMs = options.expirySkewMs ?? 0;
    this.#minRetryMs = options.minRetryMs ?? 1_000;
    this.#maxRetryMs = options.maxRetryMs ?? 30_000;
    this.#closedReason = options.closedReason ?? (() => new Error(`${options.name} closed`));
  }

  /**
   * A valid credential, fetched when there is none. `signal` ends only this caller's wait; without
   * one (the AWS SDK calls its credential provider so) close() ends it.
   */
  async get(signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    this.#closed.signal.throwIfAborted();
    const held = this.#held;
    if (held && !this.#expired(held)) {
      if (held.refreshAt !== undefined && this.#clock.now() >= held.refreshAt) this.#refreshInBackground();
      return held.value;
    }
    return (await raceAbort(this.#refresh(), signal ?? this.#closed.signal)).value;
  }

  /** The credential held now, if it is still valid; never fetches. */
  peek(): T | undefined {
    const held = this.#held;
    return held && !this.#expired(held) ? held.value : undefined;
  }

  /** Drops the credential held now (a backend rejected it): the next get() fetches a new one. */
  invalidate(): void {
    this.#drop();
  }

  /** Stops the timer, aborts a fetch in flight and drops the credential. Idempotent. */
  close(): void {
    if (!this.#closed.signal.aborted) this.#closed.abort(this.#closedReason());
    this.#drop();
  }

  #expired(held: Held<T>): boolean {
    return held.usableUntil !== undefined && this.#clock.now() >= held.usableUntil;
  }

  #refresh(): Promise<Held<T>> {
    if (!this.#pending) {
      this.#pending = this.#fetchOrPostpone().finally(() => (this.#pending = undefined));
      // Every caller may have given up (aborted); the failure is theirs to see, not an unhandled one.
      this.#pending.catch(() => {});
    }
    return this.#pending;
  }

  #refreshInBackground(): void {
    if (this.#pending || this.#closed.signal.aborted) return;
    this.#refresh().catch((error: unknown) => {
      if (this.#closed.signal.aborted) return;
      this.#logger.warn({ ...this.#logFields, error: describe(error) }, `${this.#name} refresh failed`);
    });
  }

  async #fetchOrPostpone(): Promise<Held<T>> {
    const signal = this.#closed.signal;
    const current = this.#held && !this.#expired(this.#held) ? this.#held : undefined;
    let issued: IssuedCredential<T>;
    try {
      issued = await this.#fetch(current?.value, signal);
    } catch (error) {
      if (signal.aborted || !current) throw error;
      return this.#postpone(current, error);
    }
    const held: Held<T> = { value: issued.value };
    if (issued.expiresAt !== undefined) {
      const now = this.#clock.now();
      const lifetime = Math.max(0, issued.expiresAt - now);
      held.usableUntil = issued.expiresAt - Math.min(this.#expirySkewMs, lifetime / 4);
      held.refreshAt = now + this.#refreshDelay(lifetime);
    }
    this.#hold(held);
    return held;
  }

  /** When, after it was issued, a credential of this lifetime is refreshed. */
  #refreshDelay(lifetime: number): number {
    const margin = Math.max(
      lifetime * (1 - this.#refreshFraction),
      Math.min(this.#minMarginMs, lifetime / 2),
    );
    // However short the lifetime, not before minRetryMs (unless that is past 90 % of it).
    return Math.max(lifetime - margin, Math.min(this.#minRetryMs, lifetime * 0.9));
  }

  /** Keeps a still-valid credential after a failed refresh and tries again later. */
  #postpone(current: Held<T>, error: unknown): Held<T> {
    const now = this.#clock.now();
    const remaining = current.usableUntil === undefined ? Infinity : current.usableUntil - now;
    const retryIn = Math.max(this.#minRetryMs, Math.min(this.#maxRetryMs, remaining / 3));
    this.#logger.warn(
      { ...this.#logFields, error: describe(error), retryInMs: Math.round(retryIn) },
      `${this.#name} refresh failed; keeping the current one`,
    );
    const held: Held<T> = { ...current, refreshAt: now + retryIn };
    this.#hold(held);
    return held;
  }

  #hold(held: Held<T>): void {
    if (this.#closed.signal.aborted) return;
    this.#held = held;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (held.refreshAt !== undefined) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#refreshInBackground();
      }, held.refreshAt - this.#clock.now());
    }
  }

  #drop(): void {
    this.#held = undefined;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** For logs: a ProviderError's message names only the provider and the path; anything else, its class. */
function describe(error: unknown): string {
  if (error instanceof ProviderError) return error.message;
  return error instanceof Error ? error.name : 'unknown error';
}
