import { FakeClock, flushPromises } from './clock.js';
import {
  Informer,
  InformerError,
  InformerEvent,
  type InformerConfig,
  type ListWatchSource,
  type WatchEventType,
} from './informer.js';

interface Obj {
  metadata: { name: string; namespace?: string; resourceVersion: string };
  spec?: { value: string };
}

const obj = (name: string, rv: string | number, value = 'v', namespace = 'ns'): Obj => ({
  metadata: { name, namespace, resourceVersion: String(rv) },
  spec: { value },
});

class FakeWatch {
  ended = false;
  constructor(
    readonly resourceVersion: string,
    readonly allowBookmarks: boolean,
    readonly onEvent: (type: WatchEventType, obj: unknown) => void,
    readonly signal: AbortSignal,
    private readonly resolve: () => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  send(type: WatchEventType, object: unknown): void {
    this.onEvent(type, object);
  }

  bookmark(rv: string | number): void {
    this.onEvent('BOOKMARK', { metadata: { resourceVersion: String(rv) } });
  }

  end(): void {
    this.ended = true;
    this.resolve();
  }

  fail(err: unknown): void {
    this.ended = true;
    this.reject(err);
  }
}

/** A scriptable list+watch transport standing in for the API server. */
class FakeSource implements ListWatchSource<Obj> {
  items: Obj[] = [];
  resourceVersion = '100';
  lists = 0;
  /** Errors thrown by the next lists, in order. */
  listErrors: unknown[] = [];
  /** When set, list() never settles and ignores its signal. */
  hangLists = false;
  /** When set, watch() ignores its signal (a stalled connection). */
  ignoreAbort = false;
  /** When set, each new watch ends immediately without events. */
  endImmediately = false;
  readonly watches: FakeWatch[] = [];

  get current(): FakeWatch {
    const w = this.watches[this.watches.length - 1];
    if (!w) throw new Error('no watch started');
    return w;
  }

  list(): Promise<{ items: Obj[]; resourceVersion: string }> {
    this.lists++;
    if (this.hangLists) return new Promise(() => {});
    const err = this.listErrors.shift();
    if (err !== undefined) return Promise.reject(err);
    return Promise.resolve({ items: [...this.items], resourceVersion: this.resourceVersion });
  }

  watch(
    resourceVersion: string,
    allowBookmarks: true,
    onEvent: (type: WatchEventType, obj: unknown) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w = new FakeWatch(resourceVersion, allowBookmarks, onEvent, signal, resolve, reject);
      this.watches.push(w);
      if (!this.ignoreAbort) {
        signal.addEventListener('abort', () => w.fail(signal.reason), { once: true });
      }
      if (this.endImmediately) w.end();
    });
  }
}

function setup(config: Partial<InformerConfig<Obj>> = {}) {
  const clock = new FakeClock(1_000_000);
  const source = new FakeSource();
  const informer = new Informer<Obj>({
    resource: 'things.example.dev',
    source,
    clock,
    random: () => 0.5,
    ...config,
  });
  const log: string[] = [];
  const errors: InformerError[] = [];
  informer.on(InformerEvent.Added, (o) => log.push(`added ${o.metadata.name}@${o.metadata.resourceVersion}`));
  informer.on(InformerEvent.Updated, (o, n) =>
    log.push(`updated ${n.metadata.name} ${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`),
  );
  informer.on(InformerEvent.Deleted, (o) => log.push(`deleted ${o.metadata.name}`));
  informer.on(InformerEvent.Synced, () => log.push('synced'));
  informer.on(InformerEvent.Restarted, (reason) => log.push(`restarted ${reason}`));
  informer.on(InformerEvent.Error, (err) => {
    errors.push(err);
    log.push(`error ${err.phase}`);
  });
  return { clock, source, informer, log, errors };
}

async function started(config: Partial<InformerConfig<Obj>> = {}, items: Obj[] = []) {
  const ctx = setup(config);
  ctx.source.items = items;
  ctx.informer.start();
  await flushPromises();
  return ctx;
}

describe('Informer', () => {
  it('lists, fills the cache, emits adds then synced, and watches from the list resourceVersion with bookmarks', async () => {
    const { source, informer, log } = await started({}, [obj('a', 1), obj('b', 2, 'v', '')]);
    expect(log).toEqual(['added a@1', 'added b@2', 'synced']);
    expect(informer.hasSynced()).toBe(true);
    await expect(informer.waitForSync()).resolves.toBeUndefined();
    expect(informer.get('ns/a')?.metadata.resourceVersion).toBe('1');
    // Cluster-scoped objects are keyed by name alone.
    expect(informer.get('b')).toBeDefined();
    expect(informer.keys().sort()).toEqual(['b', 'ns/a']);
    expect(source.watches).toHaveLength(1);
    expect(source.current.resourceVersion).toBe('100');
    expect(source.current.allowBookmarks).toBe(true);
    await informer.stop();
  });

  it('applies watch events to the cache with old and new objects', async () => {
    const { source, informer, log } = await started({}, [obj('a', 1)]);
    log.length = 0;
    source.current.send('ADDED', obj('b', 101));
    source.current.send('MODIFIED', obj('a', 102, 'changed'));
    source.current.send('DELETED', obj('b', 103));
    expect(log).toEqual(['added b@101', 'updated a 1->102', 'deleted b']);
    expect(informer.get('ns/a')?.spec?.value).toBe('changed');
    expect(informer.get('ns/b')).toBeUndefined();
    expect(informer.resourceVersion()).toBe('103');
    await informer.stop();
  });

  it('advances the resourceVersion on bookmarks and re-watches from it when the stream ends', async () => {
    const { clock, source, informer, log } = await started({}, [obj('a', 1)]);
    log.length = 0;
    await clock.advanceAsync(60_000);
    source.current.bookmark(150);
    expect(informer.resourceVersion()).toBe('150');
    source.current.end();
    await flushPromises();
    expect(log).toEqual(['restarted watch-ended']);
    expect(source.watches).toHaveLength(2);
    expect(source.current.resourceVersion).toBe('150');
    expect(source.lists).toBe(1);
    await informer.stop();
  });

  it('relists on a 410 ERROR event and emits only what changed while it was away', async () => {
    const { clock, source, informer, log } = await started({}, [
      obj('same', 1),
      obj('changed', 2),
      obj('removed', 3),
    ]);
    log.length = 0;
    await clock.advanceAsync(60_000);
    source.items = [obj('same', 1), obj('changed', 20, 'new'), obj('created', 21)];
    source.resourceVersion = '500';
    source.current.send('ERROR', {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    });
    await flushPromises();
    expect(source.watches[0]?.signal.aborted).toBe(true);
    expect(source.lists).toBe(2);
    expect(log).toEqual(['restarted gone', 'updated changed 2->20', 'added created@21', 'deleted removed']);
    expect(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['changed', 'created', 'same']);
    expect(source.current.resourceVersion).toBe('500');
    await informer.stop();
  });

  it('relists when the watch fails with statusCode 410', async () => {
    const { source, informer, log, errors } = await started({}, [obj('a', 1)]);
    log.length = 0;
    source.current.bookmark(120);
    source.current.fail(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flushPromises();
    expect(source.lists).toBe(2);
    expect(log).toEqual(['restarted gone']);
    expect(errors).toHaveLength(0);
    await informer.stop();
  });

  it('retries other watch errors with growing, capped backoff, never giving up', async () => {
    const { clock, source, informer, log, errors } = await started(
      { backoffBaseMs: 1_000, backoffMaxMs: 8_000 },
      [obj('a', 1)],
    );
    const gaps: number[] = [];
    for (let i = 0; i < 7; i++) {
      const failedAt = clock.now();
      const before = source.watches.length;
      source.current.fail(Object.assign(new Error('connection reset'), { statusCode: 500 }));
      await flushPromises();
      expect(source.watches.length).toBe(before);
      while (source.watches.length === before) await clock.advanceAsync(100);
      gaps.push(clock.now() - failedAt);
    }
    // random 0.5: the middle of ±20 %; at the cap the middle of [0.8·max, max].
    expect(gaps).toEqual([1_000, 2_000, 4_000, 7_200, 7_200, 7_200, 7_200]);
    expect(errors).toHaveLength(7);
    expect(errors[0]?.phase).toBe('watch');
    expect(errors[0]?.statusCode).toBe(500);
    expect(source.lists).toBe(1);
    expect(log.filter((l) => l === 'restarted error')).toHaveLength(7);

    // Anything arriving resets the backoff.
    source.current.bookmark(200);
    const failedAt = clock.now();
    source.current.fail(new Error('again'));
    const before = source.watches.length;
    while (source.watches.length === before) await clock.advanceAsync(100);
    expect(clock.now() - failedAt).toBe(1_000);
    expect(source.current.resourceVersion).toBe('200');
    await informer.stop();
  });

  it('backs off after a non-410 ERROR event without relisting', async () => {
    const { clock, source, informer, errors } = await started({}, [obj('a', 1)]);
    source.current.send('ERROR', { kind: 'Status', code: 500, message: 'internal error' });
    await flushPromises();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.statusCode).toBe(500);
    expect(source.watches).toHaveLength(1);
    await clock.advanceAsync(1_000);
    expect(source.watches).toHaveLength(2);
    expect(source.lists).toBe(1);
    await informer.stop();
  });

  it('restarts a watch that has been silent for silenceLimitMs, even one that ignores abort', async () => {
    const { clock, source, informer, log } = await started({ silenceLimitMs: 300_000 }, [obj('a', 1)]);
    source.ignoreAbort = true;
    source.current.send('MODIFIED', obj('a', 150));
    log.length = 0;
    // Bookmarks keep it alive.
    for (let i = 0; i < 10; i++) {
      await clock.advanceAsync(60_000);
      source.current.bookmark(200 + i);
    }
    expect(source.watches).toHaveLength(1);
    await clock.advanceAsync(299_999);
    expect(source.watches).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(source.watches[0]?.signal.aborted).toBe(true);
    expect(source.watches).toHaveLength(2);
    expect(log).toEqual(['restarted silence']);
    expect(source.current.resourceVersion).toBe('209');
    // Late events from the abandoned stream are ignored.
    source.watches[0]?.send('ADDED', obj('ghost', 999));
    expect(informer.get('ns/ghost')).toBeUndefined();
    expect(source.lists).toBe(1);
    await informer.stop();
  });

  it('retries a failed list with backoff and is not synced until one succeeds', async () => {
    const ctx = setup();
    const { clock, source, informer, log } = ctx;
    source.items = [obj('a', 1)];
    source.listErrors = [new Error('forbidden'), new Error('still forbidden')];
    informer.start();
    await flushPromises();
    expect(informer.hasSynced()).toBe(false);
    expect(source.lists).toBe(1);
    await clock.advanceAsync(1_000);
    expect(source.lists).toBe(2);
    await clock.advanceAsync(2_000);
    expect(source.lists).toBe(3);
    expect(informer.hasSynced()).toBe(true);
    expect(log).toEqual([
      'error list',
      'restarted error',
      'error list',
      'restarted error',
      'added a@1',
      'synced',
    ]);
    await informer.stop();
  });

  it('gives up on a list that hangs and tries again', async () => {
    const { clock, source, informer, errors } = setup({ listTimeoutMs: 30_000 });
    source.hangLists = true;
    informer.start();
    await clock.advanceAsync(30_000);
    expect(errors[0]?.phase).toBe('list');
    expect(errors[0]?.message).toContain('did not finish within 30000 ms');
    source.hangLists = false;
    await clock.advanceAsync(1_000);
    expect(source.lists).toBe(2);
    expect(informer.hasSynced()).toBe(true);
    await informer.stop();
  });

  it('relists periodically when asked to, repairing missed events', async () => {
    const { clock, source, informer, log } = await started(
      { relistIntervalMs: 600_000, silenceLimitMs: 3_600_000 },
      [obj('a', 1), obj('b', 2)],
    );
    log.length = 0;
    source.items = [obj('a', 1)];
    // ±10 % jitter; random 0.5 gives exactly the interval.
    await clock.advanceAsync(599_999);
    expect(source.lists).toBe(1);
    await clock.advanceAsync(1);
    expect(source.lists).toBe(2);
    expect(log).toEqual(['restarted relist', 'deleted b']);
    await clock.advanceAsync(600_000);
    expect(source.lists).toBe(3);
    await informer.stop();
  });

  it('backs off when every watch after a relist is answered with 410 at once', async () => {
    const { clock, source, informer } = await started({}, [obj('a', 1)]);
    const gone = { kind: 'Status', code: 410, reason: 'Expired' };
    const listTimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const lists = source.lists;
      source.current.send('ERROR', gone);
      while (source.lists === lists) await clock.advanceAsync(100);
      listTimes.push(clock.now());
    }
    const gaps = listTimes.slice(1).map((t, i) => t - (listTimes[i] as number));
    expect(gaps).toEqual([2_000, 4_000, 8_000]);
    // A watch that delivers resets the backoff, and a later 410 relists at once.
    source.current.send('ADDED', obj('b', 700));
    await clock.advanceAsync(5_000);
    const lists = source.lists;
    source.current.send('ERROR', gone);
    await flushPromises();
    expect(source.lists).toBe(lists + 1);
    await informer.stop();
  });

  it('does not turn a stream that keeps closing at once into a hot loop', async () => {
    const { clock, source, informer } = await started({}, []);
    source.endImmediately = true;
    source.current.end();
    await flushPromises();
    const count = source.watches.length;
    await flushPromises();
    expect(source.watches.length).toBe(count);
    await clock.advanceAsync(3_000);
    // Backoff 1 s then 2 s.
    expect(source.watches.length).toBe(count + 2);
    await informer.stop();
  });

  it('reports health: not before sync, not when the watch has been down too long, again once it delivers', async () => {
    const { clock, source, informer } = setup({ unhealthyAfterMs: 120_000, backoffMaxMs: 30_000 });
    expect(informer.isHealthy()).toBe(false);
    informer.start();
    await flushPromises();
    expect(informer.isHealthy()).toBe(true);

    source.current.fail(new Error('connection refused'));
    source.endImmediately = true;
    await clock.advanceAsync(119_000);
    expect(informer.isHealthy()).toBe(true);
    await clock.advanceAsync(1_000);
    expect(informer.isHealthy()).toBe(false);

    source.endImmediately = false;
    await clock.advanceAsync(30_000);
    source.current.bookmark(300);
    expect(informer.isHealthy()).toBe(true);
    await informer.stop();
    expect(informer.isHealthy()).toBe(false);
  });

  it('counts a stream that keeps closing at once as down', async () => {
    const { clock, source, informer } = await started({ unhealthyAfterMs: 120_000 }, []);
    source.endImmediately = true;
    source.current.end();
    await clock.advanceAsync(119_000);
    expect(informer.isHealthy()).toBe(true);
    await clock.advanceAsync(1_000);
    expect(informer.isHealthy()).toBe(false);
    await informer.stop();
  });

  it('keeps going when a listener throws', async () => {
    const { source, informer, errors } = await started({}, []);
    informer.on(InformerEvent.Added, () => {
      throw new Error('listener bug');
    });
    source.current.send('ADDED', obj('a', 101));
    source.current.send('ADDED', obj('b', 102));
    expect(informer.keys().sort()).toEqual(['ns/a', 'ns/b']);
    expect(errors.map((e) => e.phase)).toEqual(['listener', 'listener']);
    await informer.stop();
  });

  it('uses an injected key function', async () => {
    const { informer } = await started({ keyOf: (o) => `k:${o.metadata.name}` }, [obj('a', 1)]);
    expect(informer.get('k:a')).toBeDefined();
    await informer.stop();
  });

  it('supports unsubscribing', async () => {
    const { source, informer } = await started({}, []);
    const seen: string[] = [];
    const off = informer.on(InformerEvent.Added, (o) => seen.push(o.metadata.name));
    source.current.send('ADDED', obj('a', 101));
    off();
    source.current.send('ADDED', obj('b', 102));
    expect(seen).toEqual(['a']);
    await informer.stop();
  });

  it('stop aborts the watch, clears every timer and ends the loop; start cannot be repeated', async () => {
    const { clock, source, informer } = await started({ relistIntervalMs: 60_000 }, [obj('a', 1)]);
    expect(clock.pendingTimers()).toBeGreaterThan(0);
    await informer.stop();
    expect(source.current.signal.aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    await clock.advanceAsync(3_600_000);
    expect(source.watches).toHaveLength(1);
    expect(source.lists).toBe(1);
    expect(() => informer.start()).toThrow('cannot be started twice');
  });

  it('stops cleanly while backing off', async () => {
    const { clock, source, informer } = await started({}, []);
    source.current.fail(new Error('boom'));
    await flushPromises();
    await informer.stop();
    expect(clock.pendingTimers()).toBe(0);
  });
});
