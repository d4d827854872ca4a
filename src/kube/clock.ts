// Time as a collaborator: production code takes a Clock so tests can drive timers deterministically.
import { setLongTimeout, type LongTimeout } from './long-timeout.js';

/** Opaque handle returned by Clock.setTimeout; only meaningful to the clock that made it. */
export interface TimerHandle {
  readonly __timerHandle: unique symbol;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** Node's clock; timers of any length (a plain setTimeout above 24.8 days fires after 1 ms). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setLongTimeout(fn, ms) as unknown as TimerHandle,
  clearTimeout: (handle) => {
    if (handle !== undefined) (handle as unknown as LongTimeout).cancel();
  },
};

interface FakeTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly fn: () => void;
}

/**
 * A manual clock for tests. Timers fire only inside advance()/advanceAsync(), in due-time order
 * (ties in scheduling order), including timers that fired timers schedule within the window.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers = new Map<number, FakeTimer>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, dueAt: this.#now + Math.max(0, ms), fn });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.#timers.delete(handle as unknown as number);
  }

  /** Number of timers scheduled and not yet fired or cleared. */
  pendingTimers(): number {
    return this.#timers.size;
  }

  /** Due time of the earliest pending timer, if any. */
  nextDueAt(): number | undefined {
    return this.#earliest()?.dueAt;
  }

  /** Moves time forward synchronously, firing due timers. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (let timer = this.#earliestDueBy(target); timer; timer = this.#earliestDueBy(target)) {
      this.#fire(timer);
    }
    this.#now = target;
  }

  /**
   * Like advance(), but lets pending promise callbacks run before and after every timer, so async
   * code that schedules timers after an await is driven too.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushPromises();
    for (let timer = this.#earliestDueBy(target); timer; timer = this.#earliestDueBy(target)) {
      this.#fire(timer);
      await flushPromises();
    }
    this.#now = target;
    await flushPromises();
  }

  #fire(timer: FakeTimer): void {
    this.#timers.delete(timer.id);
    this.#now = Math.max(this.#now, timer.dueAt);
    timer.fn();
  }

  #earliestDueBy(target: number): FakeTimer | undefined {
    const timer = this.#earliest();
    return timer && timer.dueAt <= target ? timer : undefined;
  }

  #earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (!best || timer.dueAt < best.dueAt || (timer.dueAt === best.dueAt && timer.id < best.id))
        best = timer;
    }
    return best;
  }
}

/** Resolves after every queued microtask (and those they queue) has run. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
