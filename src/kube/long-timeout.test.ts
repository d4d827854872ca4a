import { MAX_TIMER_DELAY_MS, setLongTimeout, type TimerApi } from './long-timeout.js';

const DAY = 24 * 60 * 60 * 1000;

/** Timers that only record what was armed; `fire()` runs the pending one. */
class RecordingTimers implements TimerApi<number> {
  readonly armed: number[] = [];
  readonly cleared: number[] = [];
  readonly unrefs: number[] = [];
  #pending = new Map<number, () => void>();

  setTimeout(fn: () => void, ms: number): number {
    const id = this.armed.push(ms);
    this.#pending.set(id, fn);
    return id;
  }

  clearTimeout(handle: number): void {
    this.cleared.push(handle);
    this.#pending.delete(handle);
  }

  fire(): void {
    const [id, fn] = [...this.#pending][0]!;
    this.#pending.delete(id);
    fn();
  }

  pending(): number {
    return this.#pending.size;
  }
}

test('a delay Node can hold is one timer', () => {
  const timers = new RecordingTimers();
  let fired = 0;
  setLongTimeout(() => fired++, 1_500, { timers });
  expect(timers.armed).toEqual([1_500]);
  timers.fire();
  expect(fired).toBe(1);
  expect(timers.pending()).toBe(0);
});

test('a 60-day delay is a chain of links no longer than 2^31-1 ms that add up to 60 days', () => {
  const timers = new RecordingTimers();
  let fired = 0;
  setLongTimeout(() => fired++, 60 * DAY, { timers });
  timers.fire();
  timers.fire();
  expect(fired).toBe(0);
  timers.fire();
  expect(fired).toBe(1);
  expect(timers.armed).toEqual([MAX_TIMER_DELAY_MS, MAX_TIMER_DELAY_MS, 60 * DAY - 2 * MAX_TIMER_DELAY_MS]);
  expect(timers.pending()).toBe(0);
});

test('cancel clears the pending link, also after the first one fired', () => {
  const timers = new RecordingTimers();
  let fired = 0;
  const timeout = setLongTimeout(() => fired++, 60 * DAY, { timers });
  timers.fire();
  timeout.cancel();
  expect(timers.cleared).toEqual([2]);
  expect(timers.pending()).toBe(0);
  expect(fired).toBe(0);
});

test('negative and NaN delays are 0; Infinity never fires', () => {
  const timers = new RecordingTimers();
  setLongTimeout(() => {}, -5, { timers });
  setLongTimeout(() => {}, Number.NaN, { timers });
  expect(timers.armed).toEqual([0, 0]);

  const forever = new RecordingTimers();
  let fired = 0;
  setLongTimeout(() => fired++, Infinity, { timers: forever });
  for (let i = 0; i < 5; i++) forever.fire();
  expect(fired).toBe(0);
  expect(forever.armed.every((ms) => ms === MAX_TIMER_DELAY_MS)).toBe(true);
});

test('unref and ref apply to the pending link and every later one', () => {
  const calls: string[] = [];
  let next: (() => void) | undefined;
  const timers: TimerApi = {
    setTimeout: (fn, ms) => {
      next = fn;
      return { ref: () => calls.push(`ref ${ms}`), unref: () => calls.push(`unref ${ms}`) };
    },
    clearTimeout: () => {},
  };
  const timeout = setLongTimeout(() => {}, MAX_TIMER_DELAY_MS + 10, { timers, unref: true });
  expect(calls).toEqual([`unref ${MAX_TIMER_DELAY_MS}`]);
  timeout.ref();
  next!();
  expect(calls).toEqual([`unref ${MAX_TIMER_DELAY_MS}`, `ref ${MAX_TIMER_DELAY_MS}`]);
  timeout.unref();
  expect(calls.at(-1)).toBe('unref 10');
});
