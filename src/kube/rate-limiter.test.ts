import { FakeClock, flushPromises } from './clock.js';
import { backoffDelay, TokenBucket } from './rate-limiter.js';

describe('backoffDelay', () => {
  const policy = { baseMs: 1_000, maxMs: 300_000, jitter: 0.2 };
  const middle = (): number => 0.5;

  it('doubles from the base and stops at the cap', () => {
    const delays = [1, 2, 3, 4, 8].map((n) => backoffDelay(n, policy, middle));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 128_000]);
    // Capped: the middle of [0.8·max, max].
    const capped = [10, 50, 5_000].map((n) => backoffDelay(n, policy, middle));
    expect(capped).toEqual([270_000, 270_000, 270_000]);
  });

  it('spreads ±jitter around the exponential value', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(3_200);
    expect(backoffDelay(3, policy, () => 0.999_999)).toBe(4_800);
  });

  it('never exceeds the cap, spreading downward only once capped', () => {
    for (const r of [0, 0.25, 0.5, 0.75, 0.999_999]) {
      const delay = backoffDelay(30, policy, () => r);
      expect(delay).toBeLessThanOrEqual(300_000);
      expect(delay).toBeGreaterThanOrEqual(240_000);
    }
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at qps', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ qps: 2, burst: 3, clock });
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    clock.advance(499);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
    clock.advance(60_000);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('serves waiters in order as tokens arrive', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ qps: 10, burst: 1, clock });
    const served: [string, number][] = [];
    const take = (name: string): Promise<void> =>
      bucket.take().then(() => void served.push([name, clock.now()]));
    const all = Promise.all([take('a'), take('b'), take('c')]);
    await flushPromises();
    expect(served).toEqual([['a', 0]]);
    expect(bucket.waiting()).toBe(2);
    // Nobody may jump the queue while others wait.
    clock.advance(100);
    expect(bucket.tryTake()).toBe(false);
    await clock.advanceAsync(200);
    await all;
    expect(served).toEqual([
      ['a', 0],
      ['b', 100],
      ['c', 200],
    ]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('rejects an aborted take and gives its turn to the next waiter', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ qps: 1, burst: 1, clock });
    await bucket.take();
    const abort = new AbortController();
    const first = bucket.take(abort.signal);
    const second = bucket.take();
    abort.abort(new Error('cancelled'));
    await expect(first).rejects.toThrow('cancelled');
    await clock.advanceAsync(1_000);
    await expect(second).resolves.toBeUndefined();
    expect(clock.now()).toBe(1_000);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const bucket = new TokenBucket({ qps: 1, burst: 1, clock: new FakeClock() });
    await expect(bucket.take(AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    expect(bucket.tryTake()).toBe(true);
  });

  it('rejects nonsensical limits', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ qps: 1, burst: 0 })).toThrow(RangeError);
  });
});
