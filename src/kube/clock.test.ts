import { jest } from '@jest/globals';
import { longTimerContract } from './testing/long-timer-contract.js';
import { FakeClock, systemClock } from './clock.js';

describe('FakeClock', () => {
  it('fires due timers in due order, ties in scheduling order', () => {
    const clock = new FakeClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('c'), 30);
    clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('b1'), 20);
    clock.setTimeout(() => fired.push('b2'), 20);
    clock.advance(25);
    expect(fired).toEqual(['a', 'b1', 'b2']);
    expect(clock.now()).toBe(1_025);
    clock.advance(5);
    expect(fired).toEqual(['a', 'b1', 'b2', 'c']);
  });

  it('fires timers scheduled by fired timers within the same advance, at their due time', () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const tick = (): void => {
      seen.push(clock.now());
      if (seen.length < 5) clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    clock.advance(35);
    expect(seen).toEqual([10, 20, 30]);
    clock.advance(100);
    expect(seen).toEqual([10, 20, 30, 40, 50]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not fire cleared timers', () => {
    const clock = new FakeClock();
    let calls = 0;
    const handle = clock.setTimeout(() => calls++, 5);
    clock.clearTimeout(handle);
    clock.clearTimeout(undefined);
    clock.advance(10);
    expect(calls).toBe(0);
    expect(clock.nextDueAt()).toBeUndefined();
  });

  it('advanceAsync drives timers scheduled after an await', async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(10);
        seen.push(clock.now());
      }
    })();
    await clock.advanceAsync(30);
    await loop;
    expect(seen).toEqual([10, 20, 30]);
  });
});

describe('systemClock', () => {
  it('runs and cancels real timers', async () => {
    let calls = 0;
    systemClock.clearTimeout(systemClock.setTimeout(() => calls++, 1));
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 2));
    expect(calls).toBe(0);
  });

  it('reads the time from Date.now', () => {
    jest.useFakeTimers({ now: Date.parse('2026-03-01T00:00:00Z') });
    try {
      expect(systemClock.now()).toBe(Date.parse('2026-03-01T00:00:00Z'));
    } finally {
      jest.useRealTimers();
    }
  });

  describe('timers longer than 2^31-1 ms', () => {
    longTimerContract(systemClock);
  });
});
