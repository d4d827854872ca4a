import { formatDuration, InvalidDurationError, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['1h', 3_600_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
    ['500ms', 500],
    ['2h45m10s', 9_910_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1m500ms', 60_500],
    ['0', 0],
    ['0s', 0],
    ['+5m', 300_000],
    [' 10s ', 10_000],
  ])('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    ['', /empty/],
    ['-1h', /negative/],
    ['10', /missing unit after 10/],
    ['1d', /days are not a Go duration unit/],
    ['5us', /sub-millisecond/],
    ['1H', /unknown unit "H"/],
    ['1min', /unknown unit "min"/],
    ['1h 30m', /unexpected " 30m"/],
    ['h', /unexpected "h"/],
    ['1e3s', /unknown unit "e"/],
  ])('rejects %j', (input, message) => {
    expect(() => parseDuration(input)).toThrow(InvalidDurationError);
    expect(() => parseDuration(input)).toThrow(message);
  });

  it('carries the input and a reason', () => {
    const error = (() => {
      try {
        parseDuration('7d');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidDurationError);
    expect(error).toMatchObject({ input: '7d', reason: 'InvalidDuration' });
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [45_000, '45s'],
    [5_400_000, '1h30m'],
    [9_910_000, '2h45m10s'],
    [60_500, '1m500ms'],
    [100 * 3_600_000, '100h'],
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1_000, 61_001, 3_599_999, 86_400_000, 123_456_789]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it('rejects negative and non-finite input', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });
});
