import { FakeClock } from '../kube/clock.js';
import { RefreshSchedule } from './refresh-schedule.js';

const START = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const hourly = { policy: 'Periodic', interval: '1h' } as const;

function schedule() {
  const clock = new FakeClock(START);
  return { clock, schedule: new RefreshSchedule(clock, () => 0.5) };
}

test('a key never seen is due now, or when the status announced after a restart', () => {
  const { schedule: s } = schedule();
  expect(s.isDue('a', undefined)).toBe(true);
  expect(s.dueAt('b', new Date(START + HOUR).toISOString())).toBe(START + HOUR);
  expect(s.isDue('b', undefined)).toBe(false); // remembered, the announcement is not read again
});

test('after a sync the interval counts from the read, rounded up to the second', () => {
  const { clock, schedule: s } = schedule();
  clock.advance(10_500);
  expect(s.planAfterSync('a', hourly, START + 500)).toBe(START + HOUR + 1_000);
  expect(s.requeueAfter('a', hourly, undefined)).toBe(HOUR + 1_000 - 10_500);
  clock.advance(HOUR);
  expect(s.isDue('a', undefined)).toBe(true);
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
  expect(s.isDue('b', undefined)).toBe(true); // forgotten: a change of the object syncs at once
});

test('forget drops the plan', () => {
  const { schedule: s } = schedule();
  s.planAfterSync('a', hourly);
  s.forget('a');
  expect(s.isDue('a', undefined)).toBe(true);
});
