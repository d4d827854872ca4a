// Micro-batching of reads: get() calls that arrive within `windowMs` of the first one are sent, when
// the window closes, as BatchGetSecretValue calls of at most `maxBatch` distinct ids. AWS bills per
// call, and the SecretSources of one refresh wave tend to ask for many secrets together. Each caller
// gets its own result or its own typed error; a caller whose signal aborts stops waiting, and an id
// nobody waits for any more is left out of the batch.
//
// A read never joins a request already sent: every caller is answered by a request made after it
// asked, so a force-sync right after a change in AWS sees the change (sharing in-flight reads is the
// CoalescingReader's job, which knows about force-sync).
import { raceAbort } from '../../kube/abort.js';
import { UnavailableError, type ProviderError } from '../errors.js';
import type { ProviderClock } from '../types.js';
import type { SecretPayload } from './api.js';

/** Fetches the current versions of up to maxBatch secrets; each id maps to a payload or an error. */
export type BatchFetch = (
  secretIds: string[],
  signal: AbortSignal,
) => Promise<Map<string, SecretPayload | ProviderError>>;

export interface SecretBatcherOptions {
  fetch: BatchFetch;
  clock: ProviderClock;
  /** How long the first read of a batch waits for company. */
  windowMs: number;
  /** Largest batch; BatchGetSecretValue takes 20 ids. */
  maxBatch?: number;
  /** Provider description for error messages. */
  provider: string;
}

interface Slot {
  promise: Promise<SecretPayload>;
  resolve(value: SecretPayload): void;
  reject(error: unknown): void;
  waiters: number;
}

export const MAX_BATCH = 20;

export class SecretBatcher {
  readonly #fetch: BatchFetch;
  readonly #clock: ProviderClock;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #provider: string;
  readonly #closed = new AbortController();
  readonly #pending = new Map<string, Slot>();
  #timer: unknown;

  constructor(options: SecretBatcherOptions) {
    this.#fetch = options.fetch;
    this.#clock = options.clock;
    this.#windowMs = options.windowMs;
    this.#maxBatch = Math.max(1, Math.min(MAX_BATCH, options.maxBatch ?? MAX_BATCH));
    this.#provider = options.provider;
  }

  /** Ids waiting for the window to close (for tests). */
  get pending(): number {
    return this.#pending.size;
  }

  get(secretId: string, signal: AbortSignal): Promise<SecretPayload> {
    if (signal.aborted) return Promise.reject(signal.reason as unknown);
    if (this.#closed.signal.aborted) return Promise.reject(this.#closedError(secretId));
    let slot = this.#pending.get(secretId);
    if (!slot) {
      slot = newSlot();
      this.#pending.set(secretId, slot);
    }
    slot.waiters++;
    const waiting = this.#wait(secretId, slot, signal);
    this.#startTimer();
    return waiting;
  }

  /** Rejects every read still waiting for its window. */
  close(): void {
    if (this.#closed.signal.aborted) return;
    // Also the reason a batch still in flight rejects with: typed, like every provider failure.
    this.#closed.abort(
      new UnavailableError({ provider: this.#provider }, 'the AWS client was closed; retry'),
    );
    this.#clearTimer();
    for (const [secretId, slot] of this.#pending) slot.reject(this.#closedError(secretId));
    this.#pending.clear();
  }

  async #wait(secretId: string, slot: Slot, signal: AbortSignal): Promise<SecretPayload> {
    try {
      return await raceAbort(slot.promise, signal);
    } finally {
      if (signal.aborted && this.#pending.get(secretId) === slot && --slot.waiters === 0) {
        this.#pending.delete(secretId);
        if (this.#pending.size === 0) this.#clearTimer();
      }
    }
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      while (this.#pending.size > 0) this.#flush(this.#maxBatch);
    }, this.#windowMs);
    // The system clock unrefs its timers; a read waiting for its batch must keep the process alive.
    (this.#timer as { ref?: () => void } | undefined)?.ref?.();
  }

  #clearTimer(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flush(count: number): void {
    const batch: Array<[string, Slot]> = [];
    for (const entry of this.#pending) {
      if (batch.length === count) break;
      batch.push(entry);
    }
    for (const [secretId] of batch) this.#pending.delete(secretId);
    if (this.#pending.size === 0) this.#clearTimer();
    if (batch.length === 0) return;
    const ids = batch.map(([secretId]) => secretId);
    this.#fetch(ids, this.#closed.signal).then(
      (results) => {
        for (const [secretId, slot] of batch) {
          const result = results.get(secretId);
          if (result === undefined) {
            slot.reject(
              new UnavailableError(
                { provider: this.#provider, path: secretId },
                'AWS did not answer for this secret',
              ),
            );
          } else if (result instanceof Error) slot.reject(result);
          else slot.resolve(result);
        }
      },
      (error: unknown) => {
        for (const [, slot] of batch) slot.reject(error);
      },
    );
  }

  #closedError(secretId: string): UnavailableError {
    return new UnavailableError(
      { provider: this.#provider, path: secretId },
      'the AWS client was closed; retry',
    );
  }
}

function newSlot(): Slot {
  let resolve!: (value: SecretPayload) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<SecretPayload>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A slot whose every waiter left may still settle with an error nobody reads.
  promise.catch(() => {});
  return { promise, resolve, reject, waiters: 0 };
}
