import { FakeClock } from '../../kube/clock.js';
import { UnavailableError } from '../errors.js';
import { silentLogger } from '../types.js';
import { AwsCredentialSession } from './session.js';
import type { AwsCredentials } from './sts.js';

const HOUR = 3_600_000;
const signal = (): AbortSignal => new AbortController().signal;

function setup(outcomes: Array<(now: number) => AwsCredentials | Error>) {
  const clock = new FakeClock(1_000_000);
  let loads = 0;
  const pending: Array<() => void> = [];
  let hold = false;
  const session = new AwsCredentialSession({
    clock,
    logger: silentLogger,
    provider: 'p',
    source: 'test',
    load: async () => {
      const outcome = outcomes[Math.min(loads, outcomes.length - 1)]!(clock.now());
      loads++;
      if (hold) await new Promise<void>((resolve) => pending.push(resolve));
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  });
  return {
    clock,
    session,
    loads: () => loads,
    hold: (on: boolean) => (hold = on),
    release: () => pending.splice(0).forEach((resolve) => resolve()),
  };
}

const temporary =
  (id: string, lifetimeMs = HOUR) =>
  (now: number) => ({
    accessKeyId: id,
    secretAccessKey: 's',
    sessionToken: 't',
    expiration: new Date(now + lifetimeMs),
  });

describe('AwsCredentialSession', () => {
  test('long-lived keys are loaded once', async () => {
    const { session, loads, clock } = setup([() => ({ accessKeyId: 'AKIA1', secretAccessKey: 's' })]);
    expect((await session.credentials(signal())).accessKeyId).toBe('AKIA1');
    clock.advance(100 * HOUR);
    expect((await session.provider()).accessKeyId).toBe('AKIA1');
    expect(loads()).toBe(1);
  });

  test('concurrent callers share one load', async () => {
    const { session, loads, hold, release } = setup([temporary('A')]);
    hold(true);
    const all = Promise.all([
      session.credentials(signal()),
      session.credentials(signal()),
      session.provider(),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect((await all).map((c) => c.accessKeyId)).toEqual(['A', 'A', 'A']);
    expect(loads()).toBe(1);
  });

  test('temporary credentials are refreshed in the background once a third of their lifetime is left', async () => {
    const { session, loads, clock } = setup([temporary('A'), temporary('B')]);
    await session.credentials(signal());
    clock.advance(HOUR * 0.6);
    expect((await session.credentials(signal())).accessKeyId).toBe('A');
    expect(loads()).toBe(1);
    clock.advance(HOUR * 0.1); // past 2/3 of the lifetime
    expect((await session.credentials(signal())).accessKeyId).toBe('A'); // served while refreshing
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads()).toBe(2);
    expect((await session.credentials(signal())).accessKeyId).toBe('B');
  });

  test('short lifetimes still refresh at least 5 minutes before expiry', async () => {
    const { session, loads, clock } = setup([temporary('A', 15 * 60_000), temporary('B', 15 * 60_000)]);
    await session.credentials(signal());
    clock.advance(9 * 60_000);
    await session.credentials(signal());
    expect(loads()).toBe(1);
    clock.advance(60_001); // 10 min in, 5 min left
    await session.credentials(signal());
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads()).toBe(2);
  });

  test('expired credentials are replaced before the call goes on', async () => {
    const { session, clock } = setup([temporary('A'), temporary('B')]);
    await session.credentials(signal());
    clock.advance(HOUR);
    expect((await session.credentials(signal())).accessKeyId).toBe('B');
  });

  test('a failed refresh keeps valid credentials and waits before trying again', async () => {
    const failure = new UnavailableError({ provider: 'p' }, 'STS down');
    const { session, loads, clock } = setup([temporary('A'), () => failure, temporary('C')]);
    await session.credentials(signal());
    clock.advance(HOUR * 0.7);
    await session.credentials(signal());
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads()).toBe(2);
    // Within the pause: no new attempt.
    expect((await session.credentials(signal())).accessKeyId).toBe('A');
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads()).toBe(2);
    clock.advance(31_000);
    await session.credentials(signal());
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads()).toBe(3);
    expect((await session.credentials(signal())).accessKeyId).toBe('C');
  });

  test('without valid credentials a failure reaches the caller and is not cached', async () => {
    const failure = new UnavailableError({ provider: 'p' }, 'STS down');
    const { session, loads } = setup([() => failure, temporary('B')]);
    await expect(session.credentials(signal())).rejects.toBe(failure);
    expect((await session.credentials(signal())).accessKeyId).toBe('B');
    expect(loads()).toBe(2);
  });

  test('an aborted caller stops waiting; the load goes on for the others', async () => {
    const { session, hold, release } = setup([temporary('A')]);
    hold(true);
    const controller = new AbortController();
    const aborted = session.credentials(controller.signal);
    const other = session.credentials(signal());
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    release();
    expect((await other).accessKeyId).toBe('A');
  });
});
