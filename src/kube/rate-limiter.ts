// Rate limits for the controller: a global token bucket that caps Kubernetes writes, and the
// jittered exponential backoff used for per-key retries and watch reconnects.

import { systemClock, type Clock, type TimerHandle } from './clock.js';

/** What a writer waits on before each write: the global write budget. */
export interface WriteLimiter {
  take(signal?: AbortSignal): Promise<void>;
}

export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** No delay is longer than this. */
  maxMs: number;
  /** Relative spread, e.g. 0.2 for ±20 %, so failures that happened together do not retry together. */
  jitter: number;
}

/**
 * Delay before retry number `failures` (1 = first failure): base·2^(failures−1), capped at max,
 * spread uniformly over ±jitter. At the cap the spread only goes downward so max stays a bound.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 52);
  const centre = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const low = centre * (1 - policy.jitter);
  const high = Math.min(policy.maxMs, centre * (1 + policy.jitter));
  return Math.max(0, Math.round(low + random() * (high - low)));
}

export interface TokenBucketOptions {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size: how many takes may happen at once after a quiet period. */
  burst: number;
  clock?: Clock;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** A token bucket; waiters are served first-come-first-served. */
export class TokenBucket implements WriteLimiter {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #refilledAt: number;
  #waiters: Waiter[] = [];
  #timer: TimerHandle | undefined;

  constructor(options: TokenBucketOptions) {
    if (!(options.qps > 0) || !Number.isFinite(options.qps)) {
      throw new RangeError(`TokenBucket qps must be a positive number, got ${options.qps}`);
    }
    if (!(options.burst >= 1) || !Number.isFinite(options.burst)) {
      throw new RangeError(`TokenBucket burst must be at least 1, got ${options.burst}`);
    }
    this.#qps = options.qps;
    this.#burst = Math.floor(options.burst);
    this.#clock = options.clock ?? systemClock;
    this.#tokens = this.#burst;
    this.#refilledAt = this.#clock.now();
  }

  /** Takes a token if one is free now and nobody is waiting ahead. */
  tryTake(): boolean {
    if (this.#waiters.length > 0) return false;
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Resolves once a token is taken; rejects with the signal's reason if aborted first. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(signal?.reason);
          this.#schedule();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /** Callers currently waiting for a token. */
  waiting(): number {
    return this.#waiters.length;
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#qps) / 1000);
    this.#refilledAt = now;
  }

  #serve = (): void => {
    this.#timer = undefined;
    this.#refill();
    while (this.#tokens >= 1 && this.#waiters.length > 0) {
      const waiter = this.#waiters.shift() as Waiter;
      this.#tokens -= 1;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.#schedule();
  };

  #schedule(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiters.length === 0) return;
    this.#refill();
    const wait = Math.max(0, Math.ceil(((1 - this.#tokens) * 1000) / this.#qps));
    this.#timer = this.#clock.setTimeout(this.#serve, wait);
  }
}
