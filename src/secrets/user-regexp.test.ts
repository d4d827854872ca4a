import {
  MAX_USER_REGEXP_INPUT_LENGTH,
  MAX_USER_REGEXP_LENGTH,
  MAX_USER_REGEXP_PROGRAM_SIZE,
  UserRegexp,
  UserRegexpError,
} from './user-regexp.js';

test('test() is unanchored, like Go MatchString', () => {
  expect(UserRegexp.compile('db$').test('team-a/db')).toBe(true);
  expect(UserRegexp.compile('^db').test('team-a/db')).toBe(false);
});

test('work is bounded by program size times input length, whatever the pattern', () => {
  const hostile = `${'a'.repeat(MAX_USER_REGEXP_INPUT_LENGTH - 1)}!`;
  for (const source of ['(a+)+$', '(a|a)*b$', '((a+)+)+b']) {
    const pattern = UserRegexp.compile(source);
    expect(pattern.workBound(hostile)).toBeLessThanOrEqual(
      MAX_USER_REGEXP_PROGRAM_SIZE * (hostile.length + 1),
    );
    expect(pattern.test(hostile)).toBe(false);
  }
});

test('patterns too long or too large to bound are refused', () => {
  expect(() => UserRegexp.compile('a'.repeat(MAX_USER_REGEXP_LENGTH + 1))).toThrow(UserRegexpError);
  expect(() => UserRegexp.compile('[a-z]{1000}[0-9]{1000}')).toThrow(
    new UserRegexpError(
      `the pattern compiles to 2002 instructions, more than ${MAX_USER_REGEXP_PROGRAM_SIZE}`,
    ),
  );
  expect(() => UserRegexp.compile('x{1001}')).toThrow(/invalid repeat count/);
});

test('text longer than the input limit is refused before matching', () => {
  const pattern = UserRegexp.compile('a');
  expect(() => pattern.test('a'.repeat(MAX_USER_REGEXP_INPUT_LENGTH + 1))).toThrow(UserRegexpError);
  expect(() => pattern.replaceAll('a'.repeat(MAX_USER_REGEXP_INPUT_LENGTH + 1), '')).toThrow(UserRegexpError);
});

test('replaceAll steps over surrogate pairs after an empty match', () => {
  expect(UserRegexp.compile('x*').replaceAll('😀', '-')).toBe('-😀-');
});
