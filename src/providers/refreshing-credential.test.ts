import { FakeClock, flushPromises } from '../kube/clock.js';
import { UnavailableError } from './errors.js';
import {
  RefreshingCredential,
  type IssuedCredential,
  type RefreshingCredentialOptions,
} from './refreshing-credential.js';
import { silentLogger, type ProviderClock } from './types.js';

const HOUR = 3_600_000;
const signal = (): AbortSignal => new AbortController().signal;

type Outcome = (now: number) => IssuedCredential<string> | Error;

/** A credential whose fetches play `outcomes` in turn (the last one repeats). */
function setup(
  outcomes: Outcome[],
  options: Partial<RefreshingCredentialOptions<string>> & { lateTimers?: boolean } = {},
) {
  const { lateTimers, ...overrides } = options;
  const clock = new FakeClock(1_000_000);
  // Timers that never fire, as in a process that was suspended: only get() can notice the time.
  const late: ProviderClock = { now: () => clock.now(), setTimeout: () => 0, clearTimeout: () => {} };
  const fetched: Array<string | undefined> = [];
  const pending: Array<() => void> = [];
  let hold = false;
  const credential = new RefreshingCredential<string>({
    clock: lateTimers ? late : clock,
    logger: silentLogger,
    name: 'test credential',
    logFields: { provider: 'p' },
    fetch: async (current) => {
      const outcome = outcomes[Math.min(fetched.length, outcomes.length - 1)]!(clock.now());
      fetched.push(current);
      if (hold) await new Promise<void>((resolve) => pending.push(resolve));
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    ...overrides,
  });
  return {
    clock,
    credential,
    fetches: () => fetched.length,
    /** The `current` each fetch was given. */
    fetched,
    hold: (on: boolean) => (hold = on),
    release: () => pending.splice(0).forEach((resolve) => resolve()),
  };
}

const expiring =
  (value: string, lifetimeMs = HOUR): Outcome =>
  (now) => ({ value, expiresAt: now + lifetimeMs });
const lasting =
  (value: string): Outcome =>
  () => ({ value });
const failing =
  (error: Error): Outcome =>
  () =>
    error;

describe('RefreshingCredential', () => {
  test('fetches lazily, once for concurrent callers', async () => {
    const { credential, fetches, hold, release } = setup([expiring('A')]);
    expect(fetches()).toBe(0);
    hold(true);
    const all = Promise.all([credential.get(signal()), credential.get(signal()), credential.get()]);
    await flushPromises();
    release();
    expect(await all).toEqual(['A', 'A', 'A']);
    expect(fetches()).toBe(1);
  });

  test('a credential without an expiry is fetched once and never refreshed', async () => {
    const { credential, fetches, clock } = setup([lasting('A')]);
    expect(await credential.get(signal())).toBe('A');
    expect(clock.pendingTimers()).toBe(0);
    await clock.advanceAsync(365 * 24 * HOUR);
    expect(await credential.get(signal())).toBe('A');
    expect(fetches()).toBe(1);
  });

  test('refreshed by a timer at 2/3 of its lifetime, with the current one passed to renew', async () => {
    const { credential, fetches, fetched, clock } = setup([expiring('A', 60_000), expiring('B', 60_000)]);
    await credential.get(signal());
    await clock.advanceAsync(39_000);
    expect(fetches()).toBe(1);
    await clock.advanceAsync(1_000);
    expect(fetched).toEqual([undefined, 'A']);
    expect(await credential.get(signal())).toBe('B');
    await clock.advanceAsync(40_000);
    expect(fetched).toEqual([undefined, 'A', 'B']);
    credential.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  test('when the timer is late, the first get() past the refresh point starts the refresh and gets the current one', async () => {
    const { credential, fetches, clock } = setup([expiring('A', HOUR), expiring('B', HOUR)], {
      lateTimers: true,
    });
    await credential.get(signal());
    clock.advance(HOUR * 0.6);
    expect(await credential.get(signal())).toBe('A');
    expect(fetches()).toBe(1);
    clock.advance(HOUR * 0.1); // past 2/3 of the lifetime
    expect(await credential.get(signal())).toBe('A'); // served while refreshing
    await flushPromises();
    expect(fetches()).toBe(2);
    expect(await credential.get(signal())).toBe('B');
  });

  test('minMarginMs: a short lifetime still refreshes that long before expiry', async () => {
    const { credential, fetches, clock } = setup([expiring('A', 15 * 60_000), expiring('B', 15 * 60_000)], {
      minMarginMs: 5 * 60_000,
    });
    await credential.get(signal());
    await clock.advanceAsync(10 * 60_000 - 1);
    expect(fetches()).toBe(1);
    await clock.advanceAsync(1); // 10 min in, 5 min left
    expect(fetches()).toBe(2);
  });

  test('expirySkewMs: the credential counts as expired that much early', async () => {
    const { credential, clock } = setup([expiring('A', HOUR), expiring('B', HOUR)], {
      lateTimers: true,
      expirySkewMs: 30_000,
    });
    await credential.get(signal());
    clock.advance(HOUR - 30_001);
    expect(credential.peek()).toBe('A');
    clock.advance(1);
    expect(credential.peek()).toBeUndefined();
    expect(await credential.get(signal())).toBe('B');
  });

  test('an expired credential is replaced before the call goes on', async () => {
    const { credential, clock } = setup([expiring('A'), expiring('B')], { lateTimers: true });
    await credential.get(signal());
    clock.advance(HOUR);
    expect(credential.peek()).toBeUndefined();
    expect(await credential.get(signal())).toBe('B');
  });

  test('a failed refresh keeps the valid credential and tries again after a third of the time left', async () => {
    const failure = new UnavailableError({ provider: 'p' }, 'backend down');
    const { credential, fetches, clock } = setup([
      expiring('A', 60_000),
      failing(failure),
      expiring('C', 60_000),
    ]);
    await credential.get(signal());
    await clock.advanceAsync(40_000);
    expect(fetches()).toBe(2);
    expect(await credential.get(signal())).toBe('A');
    // 20 s left: the next attempt after a third of that, not before.
    await clock.advanceAsync(6_666);
    expect(fetches()).toBe(2);
    await clock.advanceAsync(1);
    expect(fetches()).toBe(3);
    expect(await credential.get(signal())).toBe('C');
    credential.close();
  });

  test.each([
    // 20 min left after the failure, yet no more than maxRetryMs.
    { lifetime: HOUR, options: { maxRetryMs: 30_000 }, pause: 30_000 },
    // 3 s left, yet no sooner than minRetryMs.
    { lifetime: 9_000, options: { minRetryMs: 5_000 }, pause: 5_000 },
  ])(
    'the pause after a failure is $pause ms for a lifetime of $lifetime ms',
    async ({ lifetime, options, pause }) => {
      const failure = new UnavailableError({ provider: 'p' });
      const { credential, fetches, clock } = setup([expiring('A', lifetime), failing(failure)], options);
      await credential.get(signal());
      await clock.advanceAsync(lifetime * (2 / 3));
      expect(fetches()).toBe(2);
      await clock.advanceAsync(pause - 1);
      expect(fetches()).toBe(2);
      await clock.advanceAsync(1);
      expect(fetches()).toBe(3);
      credential.close();
    },
  );

  test('without a valid credential the failure reaches the caller and is not kept', async () => {
    const failure = new UnavailableError({ provider: 'p' }, 'backend down');
    const { credential, fetches } = setup([failing(failure), expiring('B')]);
    await expect(credential.get(signal())).rejects.toBe(failure);
    expect(await credential.get(signal())).toBe('B');
    expect(fetches()).toBe(2);
  });

  test('invalidate() drops the credential: the next get() fetches a new one', async () => {
    const { credential, fetched } = setup([expiring('A'), expiring('B')]);
    await credential.get(signal());
    expect(credential.peek()).toBe('A');
    credential.invalidate();
    expect(credential.peek()).toBeUndefined();
    expect(await credential.get(signal())).toBe('B');
    expect(fetched).toEqual([undefined, undefined]);
  });

  test('an aborted caller stops waiting; the fetch goes on for the others', async () => {
    const { credential, hold, release } = setup([expiring('A')]);
    hold(true);
    const controller = new AbortController();
    const aborted = credential.get(controller.signal);
    const other = credential.get(signal());
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    release();
    expect(await other).toBe('A');
  });

  test('an aborted caller starts no fetch; close() ends waits, timers and later calls', async () => {
    const aborted = new AbortController();
    aborted.abort(new Error('gone'));
    const first = setup([expiring('A')]);
    await expect(first.credential.get(aborted.signal)).rejects.toThrow('gone');
    expect(first.fetches()).toBe(0);

    const { credential, clock, hold } = setup([expiring('A')], {
      closedReason: () => new UnavailableError({ provider: 'p' }, 'closed'),
    });
    hold(true);
    const waiting = credential.get(); // as the AWS SDK asks: no signal of its own
    await flushPromises();
    credential.close();
    await expect(waiting).rejects.toThrow('closed');
    await expect(credential.get(signal())).rejects.toThrow('closed');
    expect(clock.pendingTimers()).toBe(0);
  });
});
