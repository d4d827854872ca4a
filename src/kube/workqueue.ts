// The controller's work queue, in the spirit of client-go's workqueue: keys (namespace/name), not
// events, so bursts collapse into one reconcile; a key is never handled by two workers at once;
// new or changed objects go ahead of periodic refreshes; scheduled refreshes and retries wait in
// a delay heap, not in one timer per object.

import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { DelayHeap } from './delay-heap.js';
import { backoffDelay, type BackoffPolicy } from './rate-limiter.js';

/** 'high' for new or changed objects, 'low' for periodic refreshes and retries. */
export type Priority = 'high' | 'low';

export type WorkHandler = (key: string, signal: AbortSignal) => Promise<void>;

export interface WorkQueueOptions {
  /** Handlers running at once. Work is I/O-bound (API server, secret backends). Default 8. */
  concurrency?: number;
  /** Retry delay after the first failure. Default 1 s. */
  backoffBaseMs?: number;
  /** Longest retry delay. Default 5 min. */
  backoffMaxMs?: number;
  /** Relative spread of retry delays. Default 0.2 (±20 %). */
  backoffJitter?: number;
  clock?: Clock;
  /** Uniform in [0, 1). Default Math.random. */
  random?: () => number;
  /** Told about every handler failure. The queue does not retry by itself; the caller decides. */
  onError?: (err: unknown, key: string) => void;
}

export interface ShutdownOptions {
  /** Wait for running handlers to finish. Without it they are signalled to abort and not awaited. */
  drain?: boolean;
}

export class WorkQueueShutDownError extends Error {
  constructor() {
    super('work queue is shut down');
    this.name = 'WorkQueueShutDownError';
  }
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.2 };

export class WorkQueue {
  readonly #concurrency: number;
  readonly #backoff: BackoffPolicy;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #onError: (err: unknown, key: string) => void;

  // Sets keep insertion order, so each is a FIFO with O(1) membership and removal.
  readonly #high = new Set<string>();
  readonly #low = new Set<string>();
  readonly #processing = new Set<string>();
  /** Keys added while being processed: they run once more, at this priority, when the run ends. */
  readonly #dirty = new Map<string, Priority>();
  readonly #delayed = new DelayHeap<string>();
  readonly #failures = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();

  #delayTimer: TimerHandle | undefined;
  #delayTimerDueAt: number | undefined;
  #handler: WorkHandler | undefined;
  #pumping = false;
  #shutDown = false;
  readonly #abort = new AbortController();

  constructor(options: WorkQueueOptions = {}) {
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`WorkQueue concurrency must be a positive integer, got ${concurrency}`);
    }
    this.#concurrency = concurrency;
    this.#backoff = {
      baseMs: options.backoffBaseMs ?? DEFAULT_BACKOFF.baseMs,
      maxMs: options.backoffMaxMs ?? DEFAULT_BACKOFF.maxMs,
      jitter: options.backoffJitter ?? DEFAULT_BACKOFF.jitter,
    };
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Queues key. A queued key is not queued twice (a low one is promoted by a high add); a key that
   * is running is marked to run once more after the current run.
   */
  add(key: string, priority: Priority = 'high'): void {
    if (this.#shutDown) return;
    if (this.#processing.has(key)) {
      if (priority === 'high' || !this.#dirty.has(key)) this.#dirty.set(key, priority);
      return;
    }
    if (this.#high.has(key)) return;
    if (this.#low.has(key)) {
      if (priority === 'low') return;
      this.#low.delete(key);
    }
    (priority === 'high' ? this.#high : this.#low).add(key);
    this.#pump();
  }

  /** Queues key (as low priority) after delayMs; an earlier pending schedule for key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shutDown) return;
    if (!(delayMs > 0)) {
      this.add(key, 'low');
      return;
    }
    if (this.#delayed.push(key, this.#clock.now() + delayMs)) this.#armDelayTimer();
  }

  /** Records a failure of key and queues it again after its backoff delay. */
  addRateLimited(key: string): void {
    if (this.#shutDown) return;
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    this.addAfter(key, backoffDelay(failures, this.#backoff, this.#random));
  }

  /** Clears key's failure count, typically after a successful reconcile. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /**
   * Forgets an object that was deleted: cancels its scheduled add and its failure count. A queued or
   * running reconcile is left alone — the deletion itself is usually queued so cleanup can run.
   */
  remove(key: string): void {
    this.#failures.delete(key);
    if (this.#delayed.remove(key)) this.#armDelayTimer();
  }

  /** Keys waiting for a worker. */
  len(): number {
    return this.#high.size + this.#low.size;
  }

  /** Keys scheduled for later. */
  delayedLen(): number {
    return this.#delayed.size;
  }

  /** Keys being handled now. */
  processingLen(): number {
    return this.#processing.size;
  }

  isShutDown(): boolean {
    return this.#shutDown;
  }

  /** Starts up to `concurrency` workers calling handler; keys added earlier are handled now. */
  start(handler: WorkHandler): void {
    if (this.#shutDown) throw new WorkQueueShutDownError();
    if (this.#handler) throw new Error('WorkQueue already started');
    this.#handler = handler;
    this.#pump();
  }

  /**
   * Stops taking work: queued and scheduled keys are dropped and every timer is cleared. With
   * drain, resolves once running handlers have finished; otherwise signals them to abort.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#shutDown = true;
    this.#high.clear();
    this.#low.clear();
    this.#dirty.clear();
    this.#delayed.clear();
    this.#clock.clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    this.#delayTimerDueAt = undefined;
    if (!options.drain) {
      this.#abort.abort(new WorkQueueShutDownError());
      return;
    }
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  #next(): string | undefined {
    for (const queue of [this.#high, this.#low]) {
      const first = queue.values().next();
      if (!first.done) {
        queue.delete(first.value);
        return first.value;
      }
    }
    return undefined;
  }

  #pump(): void {
    // A handler may add keys synchronously; the outer loop picks them up.
    if (this.#pumping || !this.#handler || this.#shutDown) return;
    this.#pumping = true;
    try {
      while (this.#processing.size < this.#concurrency) {
        const key = this.#next();
        if (key === undefined) break;
        this.#processing.add(key);
        const run = this.#run(key, this.#handler);
        this.#running.add(run);
        void run.finally(() => this.#running.delete(run));
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #run(key: string, handler: WorkHandler): Promise<void> {
    // Start the handler on a later microtask so it never runs inside add()'s caller.
    await Promise.resolve();
    try {
      // Taken off the queue but not begun when shutdown came: that is new work, so skip it.
      if (!this.#shutDown) await handler(key, this.#abort.signal);
    } catch (err) {
      try {
        this.#onError(err, key);
      } catch {
        // A broken error reporter must not stop the workers.
      }
    } finally {
      this.#processing.delete(key);
      const again = this.#dirty.get(key);
      if (again !== undefined) {
        this.#dirty.delete(key);
        this.add(key, again);
      }
      this.#pump();
    }
  }

  #armDelayTimer(): void {
    const dueAt = this.#delayed.peekDueAt();
    if (dueAt === this.#delayTimerDueAt) return;
    this.#clock.clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    this.#delayTimerDueAt = dueAt;
    if (dueAt === undefined) return;
    this.#delayTimer = this.#clock.setTimeout(this.#onDelayTimer, dueAt - this.#clock.now());
  }

  #onDelayTimer = (): void => {
    this.#delayTimer = undefined;
    this.#delayTimerDueAt = undefined;
    if (this.#shutDown) return;
    for (const key of this.#delayed.popDue(this.#clock.now())) this.add(key, 'low');
    this.#armDelayTimer();
  };
}
