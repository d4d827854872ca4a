// Go-style durations ("1h30m", "500ms"), the format Kubernetes users already write in manifests.

/** Thrown for a duration string that cannot be read; the message quotes the input, which is never a secret. */
export class InvalidDurationError extends Error {
  readonly reason = 'InvalidDuration';

  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`invalid duration ${JSON.stringify(input)}: ${detail}`);
    this.name = 'InvalidDurationError';
  }
}

const MS_PER_UNIT: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

// Units Go accepts that we do not: refresh timing below a millisecond, or in days, is a mistake.
const UNSUPPORTED_UNIT_HINTS: Readonly<Record<string, string>> = {
  ns: 'sub-millisecond units are not supported',
  us: 'sub-millisecond units are not supported',
  µs: 'sub-millisecond units are not supported',
  d: 'days are not a Go duration unit; use hours, e.g. "24h"',
  w: 'weeks are not a Go duration unit; use hours, e.g. "168h"',
};

// A number and the letters after it; units are separated by digits, so "500ms" reads as one unit.
const COMPONENT = /^(\d+(?:\.\d*)?|\.\d+)([a-zµ]*)/i;

/** Parses a Go-style duration ("1h", "1h30m", "45s", "500ms", "1.5h", "0") into whole milliseconds. */
export function parseDuration(input: string): number {
  const text = input.trim();
  if (text === '') throw new InvalidDurationError(input, 'empty string');
  if (text.startsWith('-')) throw new InvalidDurationError(input, 'must not be negative');
  if (text === '0') return 0;

  let rest = text.startsWith('+') ? text.slice(1) : text;
  let total = 0;
  while (rest.length > 0) {
    const match = COMPONENT.exec(rest);
    if (!match)
      throw new InvalidDurationError(input, `unexpected ${JSON.stringify(rest)}; expected e.g. "1h30m"`);
    const [whole, amount = '', unit = ''] = match;
    if (unit === '') throw new InvalidDurationError(input, `missing unit after ${amount}; use h, m, s or ms`);
    // Units are case-sensitive as in Go: "1H" is rejected rather than guessed at.
    const perUnit = Object.hasOwn(MS_PER_UNIT, unit) ? MS_PER_UNIT[unit] : undefined;
    if (perUnit === undefined) {
      const hint = UNSUPPORTED_UNIT_HINTS[unit.toLowerCase()] ?? 'use h, m, s or ms';
      throw new InvalidDurationError(input, `unknown unit ${JSON.stringify(unit)}: ${hint}`);
    }
    total += Number(amount) * perUnit;
    rest = rest.slice(whole.length);
  }
  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) throw new InvalidDurationError(input, 'too large');
  return ms;
}

/** Formats whole milliseconds as a duration parseDuration reads back, e.g. 5_400_000 -> "1h30m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format duration ${ms}`);
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of Object.entries(MS_PER_UNIT)) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}
