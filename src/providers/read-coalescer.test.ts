import { FakeClock, flushPromises } from '../kube/clock.js';
import type { CachedProviderClient } from './client-cache.js';
import { NotFoundError, UnavailableError } from './errors.js';
import { CoalescingReader, ReadCoalescer } from './read-coalescer.js';
import type { RemoteRef, RemoteValue } from './types.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const signal = (): AbortSignal => new AbortController().signal;

describe('ReadCoalescer', () => {
  test('identical reads in flight share one load', async () => {
    const coalescer = new ReadCoalescer({ clock: new FakeClock() });
    const load = deferred<string>();
    let loads = 0;
    const loader = () => (loads++, load.promise);
    const reads = [1, 2, 3].map(() => coalescer.read('k', loader, { signal: signal() }));
    load.resolve('v');
    expect(await Promise.all(reads)).toEqual(['v', 'v', 'v']);
    expect(loads).toBe(1);
  });

  test('a result is reused within the window, then read again', async () => {
    const clock = new FakeClock();
    const coalescer = new ReadCoalescer({ clock, windowMs: 5_000 });
    let loads = 0;
    const loader = () => Promise.resolve(`v${++loads}`);
    expect(await coalescer.read('k', loader, { signal: signal() })).toBe('v1');
    clock.advance(4_999);
    expect(await coalescer.read('k', loader, { signal: signal() })).toBe('v1');
    clock.advance(1);
    expect(await coalescer.read('k', loader, { signal: signal() })).toBe('v2');
    expect(await coalescer.read('other', loader, { signal: signal() })).toBe('v3');
  });

  test('a fresh read skips the reused result and reads started before it', async () => {
    const coalescer = new ReadCoalescer({ clock: new FakeClock() });
    let loads = 0;
    const first = deferred<string>();
    const pending = coalescer.read('k', () => (loads++, first.promise), { signal: signal() });
    const fresh = coalescer.read('k', () => Promise.resolve(`fresh${++loads}`), {
      fresh: true,
      signal: signal(),
    });
    const joined = coalescer.read('k', () => Promise.resolve('unused'), { signal: signal() });
    first.resolve('old');
    expect(await pending).toBe('old');
    expect(await fresh).toBe('fresh2');
    expect(await joined).toBe('fresh2');
    expect(await coalescer.read('k', () => Promise.resolve('x'), { fresh: true, signal: signal() })).toBe(
      'x',
    );
  });

  test('errors are not reused', async () => {
    const coalescer = new ReadCoalescer({ clock: new FakeClock() });
    let loads = 0;
    const failing = () => (loads++, Promise.reject(new UnavailableError({ provider: 'p' })));
    await expect(coalescer.read('k', failing, { signal: signal() })).rejects.toBeInstanceOf(UnavailableError);
    await expect(coalescer.read('k', failing, { signal: signal() })).rejects.toBeInstanceOf(UnavailableError);
    expect(loads).toBe(2);
    expect(coalescer.size).toBe(0);
  });

  test('one caller aborting does not abort the shared read; the last one does', async () => {
    const coalescer = new ReadCoalescer({ clock: new FakeClock() });
    const load = deferred<string>();
    let loadSignal: AbortSignal | undefined;
    const loader = (s: AbortSignal) => ((loadSignal = s), load.promise);
    const a = new AbortController();
    const b = new AbortController();
    const readA = coalescer.read('k', loader, { signal: a.signal });
    const readB = coalescer.read('k', loader, { signal: b.signal });
    a.abort(new Error('a gave up'));
    await expect(readA).rejects.toThrow('a gave up');
    expect(loadSignal!.aborted).toBe(false);
    b.abort(new Error('b gave up'));
    await expect(readB).rejects.toThrow('b gave up');
    expect(loadSignal!.aborted).toBe(true);
    expect(coalescer.size).toBe(0);
    load.resolve('late');
    await flushPromises();
    expect(coalescer.size).toBe(0);
  });
});

describe('ReadCoalescer: longer reuse for periodic refreshes', () => {
  test('maxAgeMs extends reuse for callers that ask, measured from when the read started', async () => {
    const clock = new FakeClock(1_000);
    const coalescer = new ReadCoalescer({ clock, windowMs: 5_000 });
    let loads = 0;
    const loader = () => Promise.resolve(`v${++loads}`);
    const started: number[] = [];
    const onRead = (at: number) => started.push(at);
    const refresh = { maxAgeMs: 30_000, onRead };
    expect(await coalescer.read('k', loader, { signal: signal(), ...refresh })).toBe('v1');
    clock.advance(20_000);
    // Another periodic refresh that accepts 30 s gets the shared read and learns how old it is.
    expect(await coalescer.read('k', loader, { signal: signal(), ...refresh })).toBe('v1');
    // A caller with the default window reads again.
    expect(await coalescer.read('k', loader, { signal: signal(), onRead })).toBe('v2');
    expect(started).toEqual([1_000, 1_000, 21_000]);
  });

  test('a fresh read ignores maxAgeMs', async () => {
    const clock = new FakeClock();
    const coalescer = new ReadCoalescer({ clock });
    let loads = 0;
    const loader = () => Promise.resolve(`v${++loads}`);
    await coalescer.read('k', loader, { signal: signal() });
    clock.advance(1_000);
    const read = coalescer.read('k', loader, { signal: signal(), fresh: true, maxAgeMs: 60_000 });
    expect(await read).toBe('v2');
  });

  test('a read is kept as long as the longest maxAgeMs asked for it, then pruned', async () => {
    const clock = new FakeClock();
    const coalescer = new ReadCoalescer({ clock, windowMs: 5_000 });
    const loader = () => Promise.resolve('v');
    await coalescer.read('long', loader, { signal: signal(), maxAgeMs: 60_000 });
    await coalescer.read('short', loader, { signal: signal() });
    clock.advance(10_000);
    await coalescer.read('other', loader, { signal: signal() }); // prunes
    expect(coalescer.size).toBe(2); // long and other
    clock.advance(55_000);
    await coalescer.read('other', loader, { signal: signal() });
    expect(coalescer.size).toBe(1); // only the new read of other
  });
});

describe('CoalescingReader', () => {
  function fakeClient(documents: Record<string, object>) {
    const calls: RemoteRef[] = [];
    const client: CachedProviderClient = {
      key: 'uid/1/*',
      providerType: 'vault',
      description: 'ClusterSecretProvider vault-prod',
      get(ref) {
        calls.push(ref);
        const document = documents[ref.path];
        if (!document) return Promise.reject(new NotFoundError({ provider: 'p', path: ref.path }));
        return Promise.resolve<RemoteValue>({ value: Buffer.from(JSON.stringify(document)), version: '7' });
      },
      validate: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    return { client, calls };
  }

  test('refs that differ only in property, and dataFrom maps, share one document read', async () => {
    const { client, calls } = fakeClient({ 'app/db': { user: 'app', password: 'p', port: 5432 } });
    const reader = new CoalescingReader(new ReadCoalescer({ clock: new FakeClock() }));
    const [user, password, whole, map] = await Promise.all([
      reader.get(client, { path: 'app/db', property: 'user' }, { signal: signal() }),
      reader.get(client, { path: 'app/db', property: 'password' }, { signal: signal() }),
      reader.get(client, { path: 'app/db' }, { signal: signal() }),
      reader.getMap(client, { path: 'app/db' }, { signal: signal() }),
    ]);
    expect(calls).toEqual([{ path: 'app/db' }]);
    expect(user.value.toString()).toBe('app');
    expect(password.version).toBe('7');
    expect(JSON.parse(whole.value.toString())).toEqual({ user: 'app', password: 'p', port: 5432 });
    expect(map.get('port')?.toString()).toBe('5432');
  });

  test('pinned versions are separate reads; callers get their own buffers', async () => {
    const { client, calls } = fakeClient({ a: { k: 'v' } });
    const reader = new CoalescingReader(new ReadCoalescer({ clock: new FakeClock() }));
    const one = await reader.get(client, { path: 'a' }, { signal: signal() });
    one.value.fill(0);
    const two = await reader.get(client, { path: 'a' }, { signal: signal() });
    expect(JSON.parse(two.value.toString())).toEqual({ k: 'v' });
    await reader.get(client, { path: 'a', version: '1' }, { signal: signal() });
    expect(calls).toEqual([{ path: 'a' }, { path: 'a', version: '1' }]);
  });

  test('a missing property is NotFound for that caller only', async () => {
    const { client } = fakeClient({ a: { k: 'v' } });
    const reader = new CoalescingReader(new ReadCoalescer({ clock: new FakeClock() }));
    await expect(
      reader.get(client, { path: 'a', property: 'x' }, { signal: signal() }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      reader.get(client, { path: 'a', property: 'k' }, { signal: signal() }),
    ).resolves.toBeDefined();
  });
});
