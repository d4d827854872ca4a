import { FakeClock, flushPromises } from '../../kube/clock.js';
import { NotFoundError, UnavailableError, type ProviderError } from '../errors.js';
import type { SecretPayload } from './api.js';
import { SecretBatcher } from './batcher.js';

const signal = (): AbortSignal => new AbortController().signal;

function setup(options: { windowMs?: number; missing?: string[]; fail?: Error } = {}) {
  const clock = new FakeClock();
  const calls: string[][] = [];
  const batcher = new SecretBatcher({
    clock,
    windowMs: options.windowMs ?? 10,
    provider: 'p',
    fetch: (ids) => {
      calls.push(ids);
      if (options.fail) return Promise.reject(options.fail);
      const results = new Map<string, SecretPayload | ProviderError>();
      for (const id of ids) {
        if (options.missing?.includes(id)) results.set(id, new NotFoundError({ provider: 'p', path: id }));
        else if (id !== 'silent') results.set(id, { name: id, secretString: `value of ${id}` });
      }
      return Promise.resolve(results);
    },
  });
  return { clock, calls, batcher };
}

describe('SecretBatcher', () => {
  test('reads within one window become one batch; identical ids are asked once', async () => {
    const { clock, calls, batcher } = setup();
    const reads = ['a', 'b', 'a', 'c', 'b'].map((id) => batcher.get(id, signal()));
    expect(calls).toEqual([]);
    await clock.advanceAsync(10);
    const values = await Promise.all(reads);
    expect(values.map((v) => v.secretString)).toEqual([
      'value of a',
      'value of b',
      'value of a',
      'value of c',
      'value of b',
    ]);
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('when the window closes, the ids go in batches of at most 20', async () => {
    const { clock, calls, batcher } = setup();
    const reads = Array.from({ length: 100 }, (_, i) => batcher.get(`s${i % 45}`, signal()));
    await flushPromises();
    expect(calls).toEqual([]);
    await clock.advanceAsync(10);
    expect(calls.map((ids) => ids.length)).toEqual([20, 20, 5]);
    expect((await Promise.all(reads)).map((payload) => payload.name)).toEqual(
      Array.from({ length: 100 }, (_, i) => `s${i % 45}`),
    );
  });

  test('a read arriving after its batch was sent goes into the next batch', async () => {
    const { clock, calls, batcher } = setup();
    const first = batcher.get('a', signal());
    await clock.advanceAsync(10);
    const second = batcher.get('a', signal());
    await clock.advanceAsync(10);
    await Promise.all([first, second]);
    expect(calls).toEqual([['a'], ['a']]);
  });

  test('each caller gets its own error; a missing answer is an error too', async () => {
    const { clock, batcher } = setup({ missing: ['gone'] });
    // Settled together: each call is in flight before the clock closes the batch window.
    const settled = Promise.allSettled([
      batcher.get('here', signal()),
      batcher.get('gone', signal()),
      batcher.get('silent', signal()),
    ]);
    await clock.advanceAsync(10);
    expect(await settled).toEqual([
      { status: 'fulfilled', value: { name: 'here', secretString: 'value of here' } },
      { status: 'rejected', reason: expect.any(NotFoundError) },
      { status: 'rejected', reason: expect.any(UnavailableError) },
    ]);
  });

  test('a failed fetch rejects every caller of that batch', async () => {
    const failure = new UnavailableError({ provider: 'p' }, 'down');
    const { clock, batcher } = setup({ fail: failure });
    const checks = ['a', 'b'].map((id) => expect(batcher.get(id, signal())).rejects.toBe(failure));
    await clock.advanceAsync(10);
    await Promise.all(checks);
  });

  test('an aborted caller stops waiting and an id nobody waits for is left out', async () => {
    const { clock, calls, batcher } = setup();
    const gone = new AbortController();
    const shared = new AbortController();
    const a = batcher.get('a', gone.signal);
    const b1 = batcher.get('b', shared.signal);
    const b2 = batcher.get('b', signal());
    gone.abort(new Error('gone'));
    shared.abort(new Error('left'));
    await expect(a).rejects.toThrow('gone');
    await expect(b1).rejects.toThrow('left');
    await clock.advanceAsync(10);
    expect(calls).toEqual([['b']]);
    await expect(b2).resolves.toMatchObject({ name: 'b' });
  });

  test('when every caller aborted the window timer is cleared', async () => {
    const { clock, calls, batcher } = setup();
    const controller = new AbortController();
    const read = batcher.get('a', controller.signal);
    controller.abort(new Error('x'));
    await expect(read).rejects.toThrow('x');
    expect(clock.pendingTimers()).toBe(0);
    await clock.advanceAsync(10);
    expect(calls).toEqual([]);
  });

  test('close rejects waiting reads and later ones', async () => {
    const { clock, calls, batcher } = setup();
    const read = batcher.get('a', signal());
    batcher.close();
    await expect(read).rejects.toBeInstanceOf(UnavailableError);
    await expect(batcher.get('b', signal())).rejects.toBeInstanceOf(UnavailableError);
    await clock.advanceAsync(10);
    expect(calls).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });
});
