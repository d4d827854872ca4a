import {
  InvalidScheduleError,
  MIN_REFRESH_DELAY_MS,
  nextRefresh,
  nextRefreshAfterRead,
  parseJitter,
  sharedReadMaxAgeMs,
  validateRefreshTiming,
} from './schedule.js';

const HOUR = 3_600_000;
const at = (iso: string): Date => new Date(iso);
const fixed =
  (value: number): (() => number) =>
  () =>
    value;
const noRandom = fixed(0);

describe('nextRefresh with an interval', () => {
  const lastSync = at('2026-11-26T10:00:00Z');

  it('counts the interval from the last sync', () => {
    expect(nextRefresh({ interval: '1h' }, lastSync, noRandom).toISOString()).toBe(
      '2026-11-26T11:00:00.000Z',
    );
    expect(nextRefresh({ interval: '1h30m' }, lastSync, noRandom).toISOString()).toBe(
      '2026-11-26T11:30:00.000Z',
    );
  });

  it('defaults to one hour when neither interval nor schedule is set', () => {
    expect(nextRefresh({}, lastSync, noRandom).toISOString()).toBe('2026-11-26T11:00:00.000Z');
  });

  it('spreads a percentage jitter both ways within its bounds', () => {
    const timing = { interval: '1h', jitter: '10%' };
    expect(nextRefresh(timing, lastSync, fixed(0)).getTime()).toBe(lastSync.getTime() + HOUR - 0.1 * HOUR);
    expect(nextRefresh(timing, lastSync, fixed(0.5)).getTime()).toBe(lastSync.getTime() + HOUR);
    expect(nextRefresh(timing, lastSync, fixed(0.999999)).getTime()).toBeLessThanOrEqual(
      lastSync.getTime() + HOUR + 0.1 * HOUR,
    );

    let seed = 42;
    const lcg = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const offsets = Array.from(
      { length: 2_000 },
      () => nextRefresh(timing, lastSync, lcg).getTime() - lastSync.getTime() - HOUR,
    );
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(-0.1 * HOUR);
    expect(Math.max(...offsets)).toBeLessThanOrEqual(0.1 * HOUR);
    // Spread, not clustered: both halves of the window are used.
    expect(Math.min(...offsets)).toBeLessThan(-0.09 * HOUR);
    expect(Math.max(...offsets)).toBeGreaterThan(0.09 * HOUR);
  });

  it('adds a duration jitter of 0..d', () => {
    const timing = { interval: '1h', jitter: '5m' };
    expect(nextRefresh(timing, lastSync, fixed(0)).getTime()).toBe(lastSync.getTime() + HOUR);
    expect(nextRefresh(timing, lastSync, fixed(0.5)).getTime()).toBe(lastSync.getTime() + HOUR + 150_000);
    expect(nextRefresh(timing, lastSync, fixed(0.9999)).getTime()).toBeLessThan(
      lastSync.getTime() + HOUR + 300_000,
    );
  });

  it('is never earlier than now + 1s, even after a long outage', () => {
    const now = at('2026-11-27T08:00:00Z');
    expect(nextRefresh({ interval: '1h' }, lastSync, noRandom, now).getTime()).toBe(
      now.getTime() + MIN_REFRESH_DELAY_MS,
    );
    expect(nextRefresh({ interval: '1s', jitter: '100%' }, lastSync, noRandom).getTime()).toBe(
      lastSync.getTime() + MIN_REFRESH_DELAY_MS,
    );
  });
});

describe('nextRefresh with a schedule', () => {
  it('uses UTC by default', () => {
    const next = nextRefresh({ schedule: '0 3 * * *' }, at('2026-11-26T10:00:00Z'), noRandom);
    expect(next.toISOString()).toBe('2026-11-27T03:00:00.000Z');
  });

  it('reads the schedule in the given time zone, summer and winter', () => {
    const timing = { schedule: '0 3 * * *', timeZone: 'Europe/Berlin' };
    expect(nextRefresh(timing, at('2026-07-01T12:00:00Z'), noRandom).toISOString()).toBe(
      '2026-07-02T01:00:00.000Z',
    );
    expect(nextRefresh(timing, at('2026-12-01T12:00:00Z'), noRandom).toISOString()).toBe(
      '2026-12-02T02:00:00.000Z',
    );
  });

  it('runs a slot that falls in the spring-forward gap at the first valid time after it', () => {
    // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day.
    const timing = { schedule: '30 2 * * *', timeZone: 'Europe/Berlin' };
    const first = nextRefresh(timing, at('2026-03-28T12:00:00Z'), noRandom);
    expect(first.toISOString()).toBe('2026-03-29T01:00:00.000Z'); // 03:00 CEST
    const second = nextRefresh(timing, first, noRandom);
    expect(second.toISOString()).toBe('2026-03-30T00:30:00.000Z'); // 02:30 CEST
  });

  it('runs a slot in the repeated autumn hour once', () => {
    // 2026-10-25 in Berlin: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
    const timing = { schedule: '30 2 * * *', timeZone: 'Europe/Berlin' };
    const first = nextRefresh(timing, at('2026-10-24T12:00:00Z'), noRandom);
    expect(first.toISOString()).toBe('2026-10-25T00:30:00.000Z');
    const second = nextRefresh(timing, first, noRandom);
    expect(second.toISOString()).toBe('2026-10-26T01:30:00.000Z');
  });

  it('fires a slot missed while the operator was down as soon as allowed', () => {
    const now = at('2026-11-27T10:00:00Z');
    const next = nextRefresh({ schedule: '0 3 * * *' }, at('2026-11-26T10:00:00Z'), noRandom, now);
    expect(next.getTime()).toBe(now.getTime() + MIN_REFRESH_DELAY_MS);
  });

  it('only delays a slot with jitter, and never past the following slot', () => {
    const lastSync = at('2026-11-26T10:00:00Z');
    const slot = at('2026-11-26T11:00:00Z').getTime();
    const hourly = { schedule: '0 * * * *' };
    expect(nextRefresh({ ...hourly, jitter: '10%' }, lastSync, fixed(0)).getTime()).toBe(slot);
    expect(nextRefresh({ ...hourly, jitter: '10%' }, lastSync, fixed(0.5)).getTime()).toBe(
      slot + 0.05 * HOUR,
    );
    expect(nextRefresh({ ...hourly, jitter: '2m' }, lastSync, fixed(0.5)).getTime()).toBe(slot + 60_000);
    expect(nextRefresh({ ...hourly, jitter: '3h' }, lastSync, fixed(0.999)).getTime()).toBeLessThan(
      slot + HOUR,
    );
  });
});

describe('refreshes that use a shared read', () => {
  const now = at('2026-11-26T10:20:00Z');
  const readAt = at('2026-11-26T10:00:00Z');

  it('may use a read up to half the interval old; cron schedules keep the short window', () => {
    expect(sharedReadMaxAgeMs({ interval: '1h' })).toBe(HOUR / 2);
    expect(sharedReadMaxAgeMs({})).toBe(HOUR / 2);
    expect(sharedReadMaxAgeMs({ schedule: '0 3 * * *' })).toBeUndefined();
  });

  it('counts an interval from when the read started, so content is never older than one interval', () => {
    expect(nextRefreshAfterRead({ interval: '1h' }, readAt, noRandom, now).toISOString()).toBe(
      '2026-11-26T11:00:00.000Z',
    );
    expect(nextRefreshAfterRead({ interval: '1h' }, undefined, noRandom, now).toISOString()).toBe(
      '2026-11-26T11:20:00.000Z',
    );
  });

  it('rounds an interval refresh up to the whole second, so refreshes due together start together', () => {
    const read = at('2026-11-26T10:19:40.250Z');
    expect(nextRefreshAfterRead({ interval: '1m' }, read, noRandom, now).toISOString()).toBe(
      '2026-11-26T10:20:41.000Z',
    );
  });

  it('keeps cron slots counted from now', () => {
    const cronNow = at('2026-11-26T03:00:02Z');
    const cronRead = at('2026-11-26T02:59:58Z');
    expect(nextRefreshAfterRead({ schedule: '0 3 * * *' }, cronRead, noRandom, cronNow).toISOString()).toBe(
      '2026-11-27T03:00:00.000Z',
    );
  });
});

describe('validation', () => {
  it.each([
    [{ interval: '1h', schedule: '0 3 * * *' }, /either interval or schedule/],
    [{ interval: '1h', timeZone: 'UTC' }, /timeZone applies only to schedule/],
    [{ interval: '10x' }, /interval: invalid duration "10x"/],
    [{ interval: '500ms' }, /at least 1s/],
    [{ schedule: '0 0 3 * * *' }, /invalid schedule "0 0 3 \* \* \*".*5 parts/],
    [{ schedule: '61 * * * *' }, /invalid schedule.*minute/],
    [{ schedule: '0 0 31 2 *' }, /never fires/],
    [{ schedule: '0 3 * * *', timeZone: 'Mars/Olympus' }, /unknown time zone "Mars\/Olympus"/],
    [{ interval: '1h', jitter: '150%' }, /between 0% and 100%/],
    [{ interval: '1h', jitter: '%' }, /between 0% and 100%/],
    [{ interval: '1h', jitter: 'soon' }, /jitter: invalid duration/],
  ])('rejects %j', (timing, message) => {
    const attempt = (): Date => nextRefresh(timing, at('2026-11-26T10:00:00Z'), noRandom);
    expect(attempt).toThrow(InvalidScheduleError);
    expect(attempt).toThrow(message);
  });

  it('validateRefreshTiming accepts what nextRefresh accepts', () => {
    expect(() =>
      validateRefreshTiming({ schedule: '0 3 * * 1-5', timeZone: 'America/New_York', jitter: '5%' }),
    ).not.toThrow();
    expect(() => validateRefreshTiming({ interval: '1h', jitter: 'x' })).toThrow(InvalidScheduleError);
  });

  it.each(['0 0 31 2 *', '0 0 30 2 *', '0 12 31 4,6,9,11 *'])(
    'validateRefreshTiming refuses schedule %s, which parses but never fires',
    (schedule) => {
      expect(() => validateRefreshTiming({ schedule })).toThrow(
        `refresh: schedule ${JSON.stringify(schedule)} never fires: no date matches it`,
      );
    },
  );

  it('a schedule that fires rarely is valid (29 February)', () => {
    expect(() => validateRefreshTiming({ schedule: '0 0 29 2 *' })).not.toThrow();
  });

  it('parseJitter reads percentages and durations', () => {
    expect(parseJitter('10%')).toEqual({ kind: 'fraction', fraction: 0.1 });
    expect(parseJitter('2.5%')).toEqual({ kind: 'fraction', fraction: 0.025 });
    expect(parseJitter('90s')).toEqual({ kind: 'duration', ms: 90_000 });
  });
});
