import { FakeClock } from '../kube/clock.js';
import { RefreshSchedule } from './refresh-schedule.js';

const START = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const hourly = { policy: 'Periodic', interval: '1h' } as const;

function schedule() {
  const clock = new FakeClock(START);
  return { clock, schedule: new RefreshSchedule(clock, () => 0.5) };
}

test('a key never seen is due now; after a restart the announced checkpoint, within one interval', () => {
  const { schedule: s } = schedule();
  expect(s.isDue('a', hourly, undefined)).toBe(true);
  const inAnHour = { nextRefreshTime: new Date(START + HOUR).toISOString() };
  expect(s.dueAt('b', hourly, inAnHour)).toBe(START + HOUR);
  // A 5 s interval refreshes within 5 s, whatever checkpoint the status announced.
  expect(s.dueAt('c', { policy: 'Periodic', interval: '5s' }, inAnHour)).toBe(START + 5_000);
  expect(s.isDue('b', hourly, undefined)).toBe(false); // remembered, the announcement is not read again
});

test('after a sync the interval counts from the read, rounded up to the second', () => {
  const { clock, schedule: s } = schedule();
  clock.advance(10_500);
  expect(s.planAfterSync('a', hourly, START + 500)).toBe(START + HOUR + 1_000);
  expect(s.requeueAfter('a', hourly, undefined)).toBe(HOUR + 1_000 - 10_500);
  clock.advance(HOUR);
  expect(s.isDue('a', hourly, undefined)).toBe(true);
  expect(s.requeueAfter('a', hourly, undefined)).toBe(0);
});

test('only Periodic sources are woken by the clock', () => {
  const { schedule: s } = schedule();
  s.planAfterSync('a', hourly);
  expect(s.requeueAfter('a', { policy: 'OnChange', interval: '1h' }, undefined)).toBeUndefined();
  expect(s.requeueAfter('a', { policy: 'CreatedOnce', interval: '1h' }, undefined)).toBeUndefined();
});

test('after a permanent failure: the next slot, or none when the schedule has no next run', () => {
  const { schedule: s } = schedule();
  expect(s.requeueAfterFailure('a', hourly)).toBe(HOUR);
  expect(s.requeueAfterFailure('b', { policy: 'Periodic', schedule: '0 0 31 2 *' })).toBeUndefined();
  expect(s.isDue('b', hourly, undefined)).toBe(true); // forgotten: a change of the object syncs at once
});

describe('lease-driven plans (planAt)', () => {
  test('the due time is exact, announced as it is, and a checkpoint', () => {
    const { clock, schedule: s } = schedule();
    const due = START + 20_000;
    expect(s.planAt('a', due)).toBe(due);
    expect(s.announce('a')).toBe(due); // not pulled to an hourly checkpoint
    expect(s.requeueAfter('a', hourly, undefined)).toBe(20_000);
    clock.advance(20_000);
    expect(s.isDue('a', hourly, undefined)).toBe(true);
    expect(s.checkpointDue('a')).toBe(true);
  });

  test('never sooner than a second from now', () => {
    const { schedule: s } = schedule();
    expect(s.planAt('a', START - 5_000)).toBe(START + 1_000);
  });

  test('after a restart, a status with leases resumes exactly from nextRefreshTime', () => {
    const { schedule: s } = schedule();
    const inTwoHours = new Date(START + 2 * HOUR).toISOString();
    const leases = [{ entry: 0 }];
    // Not pulled within one interval: the renewal is what the status recorded last.
    expect(s.dueAt('a', hourly, { nextRefreshTime: inTwoHours, leases })).toBe(START + 2 * HOUR);
    expect(s.announce('a')).toBe(START + 2 * HOUR);
    expect(s.dueAt('b', hourly, { nextRefreshTime: inTwoHours, leases: [] })).toBe(START + HOUR);
  });
});

test('forget drops the plan', () => {
  const { schedule: s } = schedule();
  s.planAfterSync('a', hourly);
  s.forget('a');
  expect(s.isDue('a', hourly, undefined)).toBe(true);
});

describe('checkpoints: what status.nextRefreshTime announces', () => {
  test('an hourly (or longer) interval announces its next refresh: every refresh is a checkpoint', () => {
    const { clock, schedule: s } = schedule();
    const due = s.planAfterSync('a', hourly);
    expect(s.checkpointDue('a')).toBe(true);
    expect(s.announce('a')).toBe(due);
    clock.advance(due - clock.now());
    expect(s.checkpointDue('a')).toBe(true);
  });

  test('a short interval announces one refresh an hour, and that refresh falls exactly on it', () => {
    const { clock, schedule: s } = schedule();
    const every = { policy: 'Periodic', interval: '7m' } as const;
    s.planAfterSync('a', every);
    const checkpoint = s.announce('a');
    expect(checkpoint).toBe(START + HOUR);
    const refreshes: number[] = [];
    for (let due = s.dueAt('a', every, undefined); due <= checkpoint;) {
      clock.advance(due - clock.now());
      refreshes.push(clock.now() - START);
      if (clock.now() < checkpoint) expect(s.checkpointDue('a')).toBe(false); // a quiet refresh writes nothing
      due = s.planAfterSync('a', every);
      if (clock.now() >= checkpoint) break;
    }
    const minutes = refreshes.map((ms) => ms / 60_000);
    expect(minutes).toEqual([7, 14, 21, 28, 35, 42, 49, 56, 60]);
    expect(s.checkpointDue('a')).toBe(true);
    expect(s.announce('a')).toBe(START + 2 * HOUR);
  });
});

describe('cron schedules across daylight-saving changes (Europe/Berlin), driven by a fake clock', () => {
  // Refreshes as the reconciler plans them: each one planned when the previous one ran.
  function runs(startIso: string, schedule: string, count: number): string[] {
    const clock = new FakeClock(Date.parse(startIso));
    const s = new RefreshSchedule(clock, () => 0.5);
    const refresh = { policy: 'Periodic', schedule, timeZone: 'Europe/Berlin' } as const;
    const seen: string[] = [];
    for (let i = 0; i < count; i++) {
      const due = s.planAfterSync('a', refresh);
      clock.advance(due - clock.now());
      seen.push(new Date(clock.now()).toISOString());
    }
    return seen;
  }

  test('spring forward: the 02:30 slot that does not exist runs once, at 03:00 CEST', () => {
    expect(runs('2026-03-28T12:00:00Z', '30 2 * * *', 3)).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  test('fall back: the 02:30 slot that happens twice runs once', () => {
    expect(runs('2026-10-24T12:00:00Z', '30 2 * * *', 3)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  test('an hourly schedule runs every real hour once through both changes', () => {
    const spring = runs('2026-03-28T23:30:00Z', '0 * * * *', 4);
    expect(spring).toEqual([
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
      '2026-03-29T03:00:00.000Z',
    ]);
    const autumn = runs('2026-10-24T23:30:00Z', '0 * * * *', 4);
    expect(autumn).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T03:00:00.000Z',
    ]);
  });
});
