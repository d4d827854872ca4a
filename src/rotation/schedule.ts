// When a SecretSource refreshes next: a fixed interval from the last sync, or a cron schedule in a
// time zone, spread by jitter so thousands of objects with the same interval do not hit a provider at once.
import { Cron } from 'croner';
import { InvalidDurationError, parseDuration } from './duration.js';

/** The timing part of `spec.refresh`, as written by the user (defaults are applied here, not by the API server). */
export interface RefreshTiming {
  /** Go duration between syncs, e.g. "1h". Mutually exclusive with `schedule`. */
  interval?: string;
  /** Five-field cron expression, e.g. "0 3 * * *". */
  schedule?: string;
  /** IANA time zone for `schedule`; UTC when omitted. */
  timeZone?: string;
  /** "10%" of the interval (spread both ways) or a duration such as "5m" (added 0..d). */
  jitter?: string;
}

export const DEFAULT_REFRESH_INTERVAL = '1h';
/** A refresh is never scheduled sooner than this after `now`, so a bad clock or a past schedule cannot spin. */
export const MIN_REFRESH_DELAY_MS = 1_000;

/** Thrown for a refresh spec that cannot be scheduled; carries a reason for the Ready condition. */
export class InvalidScheduleError extends Error {
  readonly reason = 'InvalidRefresh';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidScheduleError';
  }
}

export type Jitter = { kind: 'fraction'; fraction: number } | { kind: 'duration'; ms: number };

type Timing = { kind: 'interval'; ms: number } | { kind: 'cron'; cron: Cron };

/** Parses a jitter string: "10%" or a Go duration. */
export function parseJitter(text: string): Jitter {
  const trimmed = text.trim();
  if (trimmed.endsWith('%')) {
    const percent = Number(trimmed.slice(0, -1));
    if (trimmed.length === 1 || !Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new InvalidScheduleError(
        `invalid jitter ${JSON.stringify(text)}: a percentage must be between 0% and 100%`,
      );
    }
    return { kind: 'fraction', fraction: percent / 100 };
  }
  return { kind: 'duration', ms: wrapDuration('jitter', text) };
}

/**
 * Checks a refresh spec without computing a time, so the reconciler reports a schedule it cannot
 * compute as a spec error before it writes anything.
 */
export function validateRefreshTiming(timing: RefreshTiming): void {
  const parsed = parseTiming(timing);
  // A pattern can parse and still name no date (31 February). Its slots repeat every 400 years
  // at most, so one search from any point tells whether it ever fires (croner returns null).
  if (parsed.kind === 'cron' && parsed.cron.nextRun(new Date(0)) === null) {
    throw new InvalidScheduleError(
      `refresh: schedule ${JSON.stringify(timing.schedule)} never fires: no date matches it`,
    );
  }
  if (timing.jitter !== undefined) parseJitter(timing.jitter);
}

/**
 * The next time to refresh. Intervals count from `lastSync`; a schedule fires at its next slot after
 * `lastSync` (a slot missed while the operator was down therefore fires at once). Interval jitter given
 * as a percentage spreads the time both ways; any other jitter only delays, so a schedule never fires
 * before its slot. The result is never earlier than `now` + 1s.
 *
 * @param random returns a number in [0, 1), like Math.random; injected so tests are deterministic.
 * @param now the current time; defaults to `lastSync` for a sync that has just finished.
 */
export function nextRefresh(
  timing: RefreshTiming,
  lastSync: Date,
  random: () => number,
  now: Date = lastSync,
): Date {
  const parsed = parseTiming(timing);
  const jitter = timing.jitter === undefined ? undefined : parseJitter(timing.jitter);
  const from = lastSync.getTime();

  let due: number;
  if (parsed.kind === 'interval') {
    due = from + parsed.ms + intervalJitter(jitter, parsed.ms, random);
  } else {
    const slot = nextSlot(parsed.cron, from, timing.schedule ?? '');
    due = slot + scheduleJitter(jitter, parsed.cron, slot, random);
  }
  return new Date(Math.max(Math.round(due), now.getTime() + MIN_REFRESH_DELAY_MS));
}

/** The interval in milliseconds, or undefined for a cron schedule. */
export function intervalMs(timing: RefreshTiming): number | undefined {
  const parsed = parseTiming(timing);
  return parsed.kind === 'interval' ? parsed.ms : undefined;
}

/**
 * How old a read shared with other SecretSources a periodic refresh may use: half its interval. The
 * next refresh then counts from when that read started (nextRefreshAfterRead), so a Secret is never
 * older than one interval, and SecretSources reading the same secret drift into the same refresh
 * phase and share one read per interval. Undefined for cron schedules, which keep their slots.
 */
export function sharedReadMaxAgeMs(timing: RefreshTiming): number | undefined {
  const ms = intervalMs(timing);
  return ms === undefined ? undefined : ms / 2;
}

/**
 * Interval refreshes are rounded up to whole seconds, so SecretSources whose refreshes fall in the
 * same second start together and their reads of different secrets can share a batch call (AWS
 * BatchGetSecretValue) instead of trickling in one by one.
 */
export const REFRESH_ALIGNMENT_MS = 1_000;

/**
 * nextRefresh counted from when the values used started to be read (intervals only, rounded up to
 * REFRESH_ALIGNMENT_MS; see above). Cron schedules count from `now`.
 */
export function nextRefreshAfterRead(
  timing: RefreshTiming,
  readAt: Date | undefined,
  random: () => number,
  now: Date,
): Date {
  if (parseTiming(timing).kind !== 'interval') return nextRefresh(timing, now, random, now);
  const due = nextRefresh(timing, readAt ?? now, random, now).getTime();
  return new Date(Math.ceil(due / REFRESH_ALIGNMENT_MS) * REFRESH_ALIGNMENT_MS);
}

function parseTiming(timing: RefreshTiming): Timing {
  if (timing.interval !== undefined && timing.schedule !== undefined) {
    throw new InvalidScheduleError('refresh: set either interval or schedule, not both');
  }
  if (timing.schedule === undefined) {
    if (timing.timeZone !== undefined) {
      throw new InvalidScheduleError('refresh: timeZone applies only to schedule');
    }
    const ms = wrapDuration('interval', timing.interval ?? DEFAULT_REFRESH_INTERVAL);
    if (ms < MIN_REFRESH_DELAY_MS) {
      throw new InvalidScheduleError(
        `refresh: interval ${JSON.stringify(timing.interval)} must be at least 1s`,
      );
    }
    return { kind: 'interval', ms };
  }
  const timeZone = timing.timeZone ?? 'UTC';
  assertTimeZone(timeZone);
  try {
    return {
      kind: 'cron',
      cron: new Cron(timing.schedule, { timezone: timeZone, mode: '5-part', paused: true }),
    };
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : String(error);
    throw new InvalidScheduleError(`refresh: invalid schedule ${JSON.stringify(timing.schedule)}: ${detail}`);
  }
}

function nextSlot(cron: Cron, afterMs: number, pattern: string): number {
  const next = cron.nextRun(new Date(afterMs));
  if (next === null)
    throw new InvalidScheduleError(`refresh: schedule ${JSON.stringify(pattern)} never fires`);
  return next.getTime();
}

function intervalJitter(jitter: Jitter | undefined, intervalMs: number, random: () => number): number {
  if (jitter === undefined) return 0;
  if (jitter.kind === 'fraction') return (2 * random() - 1) * jitter.fraction * intervalMs;
  return random() * jitter.ms;
}

// Jitter on a schedule is capped at the gap to the following slot, so it delays a run but never skips one.
function scheduleJitter(jitter: Jitter | undefined, cron: Cron, slot: number, random: () => number): number {
  if (jitter === undefined) return 0;
  const following = cron.nextRun(new Date(slot));
  const period = following === null ? 0 : following.getTime() - slot;
  const spread = jitter.kind === 'fraction' ? jitter.fraction * period : Math.min(jitter.ms, period);
  return random() * spread;
}

function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new InvalidScheduleError(
      `refresh: unknown time zone ${JSON.stringify(timeZone)}; use an IANA name such as Europe/Berlin`,
    );
  }
}

function wrapDuration(field: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof InvalidDurationError)
      throw new InvalidScheduleError(`refresh: ${field}: ${error.message}`);
    throw error;
  }
}
