// The contract every production clock keeps for long timers, run against Node's timers faked by
// jest (which, like Node, turn a delay above 2^31-1 ms into 1 ms).
import { jest } from '@jest/globals';

const DAY = 24 * 60 * 60 * 1000;

export interface TimerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: never): void;
}

export function longTimerContract(clock: TimerClock): void {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test('a 30-day timer does not fire early, and fires once at 30 days', () => {
    let fired = 0;
    clock.setTimeout(() => fired++, 30 * DAY);
    jest.advanceTimersByTime(1);
    expect(fired).toBe(0);
    jest.advanceTimersByTime(30 * DAY - 2);
    expect(fired).toBe(0);
    jest.advanceTimersByTime(1);
    expect(fired).toBe(1);
    jest.advanceTimersByTime(100 * DAY);
    expect(fired).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('clearing a long timer mid-chain cancels the pending link', () => {
    let fired = 0;
    const handle = clock.setTimeout(() => fired++, 60 * DAY);
    jest.advanceTimersByTime(40 * DAY); // past the first 24.8-day link
    expect(jest.getTimerCount()).toBe(1);
    clock.clearTimeout(handle as never);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(60 * DAY);
    expect(fired).toBe(0);
  });

  test('short timers still fire on time and clear', () => {
    let fired = 0;
    clock.setTimeout(() => fired++, 10);
    clock.clearTimeout(clock.setTimeout(() => fired++, 5) as never);
    jest.advanceTimersByTime(9);
    expect(fired).toBe(0);
    jest.advanceTimersByTime(1);
    expect(fired).toBe(1);
  });
}
