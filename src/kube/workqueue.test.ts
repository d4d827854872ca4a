import { FakeClock, flushPromises } from './clock.js';
import { WorkQueue, WorkQueueShutDownError, type WorkQueueOptions } from './workqueue.js';

/** A handler whose runs finish only when the test says so. */
class ControlledHandler {
  readonly started: string[] = [];
  readonly running = new Map<string, { finish: () => void; fail: (err: Error) => void }>();
  readonly signals: AbortSignal[] = [];
  maxConcurrent = 0;
  maxPerKey = 0;

  handle = (key: string, signal: AbortSignal): Promise<void> => {
    this.started.push(key);
    this.signals.push(signal);
    if (this.running.has(key)) this.maxPerKey = 2;
    return new Promise<void>((resolve, reject) => {
      this.running.set(key, {
        finish: () => {
          this.running.delete(key);
          resolve();
        },
        fail: (err) => {
          this.running.delete(key);
          reject(err);
        },
      });
      this.maxConcurrent = Math.max(this.maxConcurrent, this.running.size);
      this.maxPerKey = Math.max(this.maxPerKey, 1);
    });
  };

  async finish(key: string): Promise<void> {
    const run = this.running.get(key);
    if (!run) throw new Error(`${key} is not running`);
    run.finish();
    await flushPromises();
  }

  async finishAll(): Promise<void> {
    while (this.running.size > 0) {
      for (const run of [...this.running.values()]) run.finish();
      await flushPromises();
    }
  }
}

function setup(options: WorkQueueOptions = {}) {
  const clock = new FakeClock(1_000_000);
  const errors: [unknown, string][] = [];
  const queue = new WorkQueue({
    clock,
    random: () => 0.5,
    onError: (err, key) => errors.push([err, key]),
    ...options,
  });
  const handler = new ControlledHandler();
  return { clock, queue, handler, errors };
}

describe('WorkQueue', () => {
  it('deduplicates a key that is already queued', async () => {
    const { queue, handler } = setup({ concurrency: 1 });
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/a', 'low');
    queue.add('ns/b');
    expect(queue.len()).toBe(2);
    queue.start(handler.handle);
    await flushPromises();
    await handler.finishAll();
    expect(handler.started).toEqual(['ns/a', 'ns/b']);
  });

  it('never runs one key twice at once, and reruns it once if it was added while running', async () => {
    const { queue, handler } = setup();
    queue.start(handler.handle);
    queue.add('ns/a');
    await flushPromises();
    expect(handler.started).toEqual(['ns/a']);
    expect(queue.processingLen()).toBe(1);

    queue.add('ns/a');
    queue.add('ns/a', 'low');
    queue.add('ns/a');
    await flushPromises();
    expect(handler.started).toEqual(['ns/a']);
    expect(queue.len()).toBe(0);

    await handler.finish('ns/a');
    expect(handler.started).toEqual(['ns/a', 'ns/a']);
    await handler.finish('ns/a');
    expect(handler.started).toEqual(['ns/a', 'ns/a']);
    expect(handler.maxPerKey).toBe(1);
    expect(queue.processingLen()).toBe(0);
  });

  it('hands out new and changed objects before periodic refreshes, promoting a low key added as high', async () => {
    const { queue, handler } = setup({ concurrency: 1 });
    queue.add('refresh/1', 'low');
    queue.add('refresh/2', 'low');
    queue.add('refresh/3', 'low');
    queue.add('new/1', 'high');
    queue.add('refresh/3', 'high');
    queue.start(handler.handle);
    await flushPromises();
    queue.add('new/2', 'high');
    await handler.finishAll();
    expect(handler.started).toEqual(['new/1', 'refresh/3', 'new/2', 'refresh/1', 'refresh/2']);
  });

  it('reruns a dirty key at the highest priority it was added with', async () => {
    const { queue, handler } = setup({ concurrency: 1 });
    queue.start(handler.handle);
    queue.add('a');
    await flushPromises();
    queue.add('refresh', 'low');
    queue.add('a', 'low');
    queue.add('a', 'high');
    await handler.finishAll();
    expect(handler.started).toEqual(['a', 'a', 'refresh']);
  });

  it('runs at most `concurrency` handlers at once', async () => {
    const { queue, handler } = setup({ concurrency: 3 });
    for (let i = 0; i < 10; i++) queue.add(`k${i}`);
    queue.start(handler.handle);
    await flushPromises();
    expect(queue.processingLen()).toBe(3);
    expect(queue.len()).toBe(7);
    await handler.finishAll();
    expect(handler.maxConcurrent).toBe(3);
    expect(new Set(handler.started).size).toBe(10);
    expect(queue.len()).toBe(0);
  });

  it('defaults to 8 workers', async () => {
    const { queue, handler } = setup();
    for (let i = 0; i < 20; i++) queue.add(`k${i}`);
    queue.start(handler.handle);
    await flushPromises();
    expect(queue.processingLen()).toBe(8);
    await handler.finishAll();
  });

  it('releases delayed keys in due order as low priority, keeping the earlier time for a re-added key', async () => {
    const { clock, queue, handler } = setup({ concurrency: 1 });
    queue.start(handler.handle);
    queue.addAfter('c', 3_000);
    queue.addAfter('a', 1_000);
    queue.addAfter('b', 2_000);
    queue.addAfter('a', 5_000);
    expect(queue.delayedLen()).toBe(3);
    expect(queue.len()).toBe(0);

    await clock.advanceAsync(999);
    expect(handler.started).toEqual([]);
    await clock.advanceAsync(1);
    expect(handler.started).toEqual(['a']);

    // While a runs, b and c come due; a new object added meanwhile goes first.
    await clock.advanceAsync(2_000);
    queue.add('new');
    await handler.finishAll();
    expect(handler.started).toEqual(['a', 'new', 'b', 'c']);
    expect(queue.delayedLen()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('moves the timer forward when an earlier add arrives', async () => {
    const { clock, queue, handler } = setup();
    queue.start(handler.handle);
    queue.addAfter('a', 60_000);
    queue.addAfter('a', 10);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advanceAsync(10);
    expect(handler.started).toEqual(['a']);
    await handler.finishAll();
  });

  it('adds at once when the delay is not positive', async () => {
    const { queue } = setup();
    queue.addAfter('a', 0);
    queue.addAfter('b', -5);
    expect(queue.len()).toBe(2);
    expect(queue.delayedLen()).toBe(0);
  });

  it('cancels a scheduled add on remove', async () => {
    const { clock, queue, handler } = setup();
    queue.start(handler.handle);
    queue.addAfter('gone', 1_000);
    queue.addAfter('kept', 2_000);
    queue.remove('gone');
    expect(queue.delayedLen()).toBe(1);
    await clock.advanceAsync(5_000);
    expect(handler.started).toEqual(['kept']);
    await handler.finishAll();
  });

  it('backs off exponentially per key, capped, and forget resets it', async () => {
    const { clock, queue, handler } = setup({ backoffBaseMs: 1_000, backoffMaxMs: 10_000 });
    queue.start(handler.handle);
    const dueTimes: number[] = [];
    for (let i = 0; i < 6; i++) {
      queue.addRateLimited('bad');
      const start = clock.now();
      const next = clock.nextDueAt();
      expect(next).toBeDefined();
      dueTimes.push((next as number) - start);
      await clock.advanceAsync((next as number) - start);
      await handler.finishAll();
    }
    // random 0.5 sits in the middle of the jitter range; at the cap the range is [0.8·max, max].
    expect(dueTimes).toEqual([1_000, 2_000, 4_000, 8_000, 9_000, 9_000]);
    expect(queue.failures('bad')).toBe(6);
    expect(queue.failures('other')).toBe(0);

    queue.forget('bad');
    expect(queue.failures('bad')).toBe(0);
    queue.addRateLimited('bad');
    expect((clock.nextDueAt() as number) - clock.now()).toBe(1_000);
  });

  it('applies ±20 % jitter by default', () => {
    const low = setup({ random: () => 0 });
    low.queue.addRateLimited('k');
    expect((low.clock.nextDueAt() as number) - low.clock.now()).toBe(800);
    const high = setup({ random: () => 0.999_999 });
    high.queue.addRateLimited('k');
    expect((high.clock.nextDueAt() as number) - high.clock.now()).toBe(1_200);
  });

  it('reports handler errors to onError and does not requeue by itself', async () => {
    const { queue, errors } = setup();
    const boom = new Error('backend unavailable');
    let calls = 0;
    queue.start((key) => {
      calls++;
      // Not async: a handler that throws before returning a promise is caught too.
      if (key === 'sync-throw') throw boom;
      return Promise.reject(boom);
    });
    queue.add('ns/a');
    queue.add('sync-throw');
    await flushPromises();
    expect(calls).toBe(2);
    expect([...errors].sort((x, y) => x[1].localeCompare(y[1]))).toEqual([
      [boom, 'ns/a'],
      [boom, 'sync-throw'],
    ]);
    expect(queue.len() + queue.delayedLen() + queue.processingLen()).toBe(0);
  });

  it('keeps working when onError itself throws', async () => {
    const { queue } = setup({
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    const seen: string[] = [];
    queue.start(async (key) => {
      seen.push(key);
      if (key === 'a') throw new Error('x');
    });
    queue.add('a');
    queue.add('b');
    await flushPromises();
    expect(seen).toEqual(['a', 'b']);
  });

  it('drains running handlers on shutdown, drops queued work and clears every timer', async () => {
    const { clock, queue, handler } = setup({ concurrency: 2 });
    queue.start(handler.handle);
    queue.add('a');
    queue.add('b');
    queue.add('c');
    queue.addAfter('later', 10_000);
    queue.addRateLimited('retry');
    await flushPromises();

    let drained = false;
    const shutdown = queue.shutdown({ drain: true }).then(() => (drained = true));
    expect(clock.pendingTimers()).toBe(0);
    expect(queue.len()).toBe(0);
    expect(queue.delayedLen()).toBe(0);

    queue.add('d');
    queue.addAfter('e', 1);
    queue.addRateLimited('f');
    expect(queue.len() + queue.delayedLen()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);

    await handler.finish('a');
    expect(drained).toBe(false);
    await handler.finish('b');
    await shutdown;
    expect(drained).toBe(true);
    expect(handler.started).toEqual(['a', 'b']);
    expect(handler.signals.every((s) => !s.aborted)).toBe(true);
  });

  it('does not rerun a dirty key after shutdown', async () => {
    const { queue, handler } = setup();
    queue.start(handler.handle);
    queue.add('a');
    await flushPromises();
    queue.add('a');
    const shutdown = queue.shutdown({ drain: true });
    await handler.finish('a');
    await shutdown;
    expect(handler.started).toEqual(['a']);
  });

  it('signals running handlers to abort on shutdown without drain', async () => {
    const { queue, handler } = setup();
    queue.start(handler.handle);
    queue.add('a');
    await flushPromises();
    await queue.shutdown();
    expect(handler.signals[0]?.aborted).toBe(true);
    expect(handler.signals[0]?.reason).toBeInstanceOf(WorkQueueShutDownError);
    expect(queue.isShutDown()).toBe(true);
    expect(() => queue.start(handler.handle)).toThrow(WorkQueueShutDownError);
    await handler.finishAll();
  });

  it('skips a key taken off the queue but not yet begun when shutdown comes', async () => {
    const { queue, handler } = setup();
    queue.start(handler.handle);
    queue.add('a');
    await queue.shutdown({ drain: true });
    expect(handler.started).toEqual([]);
    expect(queue.processingLen()).toBe(0);
  });

  it('rejects a second start and bad concurrency', () => {
    const { queue, handler } = setup();
    queue.start(handler.handle);
    expect(() => queue.start(handler.handle)).toThrow('already started');
    expect(() => new WorkQueue({ concurrency: 0 })).toThrow(RangeError);
  });
});
