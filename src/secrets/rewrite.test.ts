import { SecretSpecError } from './errors.js';
import { compileRewrites, MAX_REWRITE_INPUT_LENGTH, rewriteKey } from './rewrite.js';
import { UserRegexp } from './user-regexp.js';

const rules = (...pairs: [string, string][]) =>
  compileRewrites(
    pairs.map(([source, target]) => ({ regexp: { source, target } })),
    'dataFrom[0]',
  );

test('rules apply in order, each to the output of the one before', () => {
  const rewrites = rules(['^payments/', ''], ['/', '_'], ['^(.*)$', 'app-$1']);
  expect(rewriteKey('payments/db/password', rewrites)).toBe('app-db_password');
});

test('every match is replaced, like Go ReplaceAllString', () => {
  expect(rewriteKey('a/b/c', rules(['/', '.']))).toBe('a.b.c');
});

test('Go replacement syntax: $1, ${1}, named groups ((?P<n>) and (?<n>)), $$', () => {
  expect(rewriteKey('db-password', rules(['^(\\w+)-(\\w+)$', '$2.$1']))).toBe('password.db');
  expect(rewriteKey('db-password', rules(['^(\\w+)-(\\w+)$', '${2}x']))).toBe('passwordx');
  expect(rewriteKey('db-password', rules(['^(?P<app>\\w+)-(?P<field>\\w+)$', '${field}_${app}']))).toBe(
    'password_db',
  );
  expect(rewriteKey('db-password', rules(['^(?<app>\\w+)-.*$', '$app']))).toBe('db');
  expect(rewriteKey('cost', rules(['^cost$', '$$cost']))).toBe('$cost');
});

test('Go edge cases: $1x names group "1x" (empty), a malformed reference stays literal, missing groups are empty', () => {
  expect(rewriteKey('ab', rules(['(a)(b)', '$1x-']))).toBe('-');
  expect(rewriteKey('ab', rules(['(a)(b)', '${1']))).toBe('${1');
  expect(rewriteKey('ab', rules(['(a)(b)', '$-']))).toBe('$-');
  expect(rewriteKey('ab', rules(['(a)(b)', '[$7][$nope]']))).toBe('[][]');
  expect(rewriteKey('ab', rules(['(a)(b)', '$01']))).toBe('');
});

test('an empty match right after a match is not replaced (Go semantics, unlike String.replace)', () => {
  expect(rewriteKey('baaac', rules(['a*', '-']))).toBe('-b-c-');
  expect(rewriteKey('abc', rules(['x*', '-']))).toBe('-a-b-c-');
});

test('Go flags work as in Go: (?i), (?U), (?s), also mid-pattern', () => {
  expect(rewriteKey('DB_Password', rules(['(?i)password', 'pw']))).toBe('DB_pw');
  expect(rewriteKey('aaa', rules(['(?U)a+', 'x']))).toBe('xxx');
  expect(rewriteKey('db_PASS', rules(['db_(?i:pass)', 'x']))).toBe('x');
});

test('an invalid regular expression is an InvalidSpec error naming the rule', () => {
  expect(() => rules(['ok', ''], ['(unclosed', ''])).toThrow(SecretSpecError);
  expect(() => rules(['ok', ''], ['(unclosed', ''])).toThrow(
    'dataFrom[0].rewrite[1].regexp.source: not a valid regular expression (RE2 syntax): missing closing ): `(unclosed`',
  );
  // JavaScript-only syntax that Go's regexp (and so External Secrets Operator) never had.
  expect(() => rules(['(?=a)a', ''])).toThrow(/\(RE2 syntax\): invalid or unsupported Perl syntax/);
  expect(() => rules(['(a)\\1', ''])).toThrow(/\(RE2 syntax\): invalid escape sequence/);
});

test.each(['(a+)+$', '(a*)*b', '(a|aa)+$', '(a|a)*b', '(x*y){2,}', '((ab)+c)*$', '(?:a+){3,9}$'])(
  'catastrophic-backtracking pattern %s runs in bounded work on RE2',
  (source) => {
    const key = `${'a'.repeat(40)}!`;
    // Bounded by construction: RE2 visits each (instruction, position) pair at most once.
    expect(UserRegexp.compile(source).workBound(key)).toBeLessThanOrEqual(50 * (key.length + 1));
    expect(rewriteKey(key, rules([source, 'x']))).toEqual(expect.any(String));
  },
);

test('keys longer than the rewrite limit are refused before any rule runs', () => {
  expect(() => rewriteKey('k'.repeat(MAX_REWRITE_INPUT_LENGTH + 1), rules(['k', 'x']))).toThrow(
    /dataFrom\[0\].rewrite\[0\]: key "k+\.\.\." is longer than 1024 characters/,
  );
});

test('a key rewritten longer than the limit is refused by the next rule', () => {
  const doubling = rules(['(.+)', '$1$1'], ['x', 'y']);
  expect(() => rewriteKey('k'.repeat(600), doubling)).toThrow(/rewrite\[1\]: key .* is longer than 1024/);
});
