import { SecretSpecError } from './errors.js';
import {
  backtrackingRisk,
  compileGoRegexp,
  compileRewrites,
  MAX_REWRITE_INPUT_LENGTH,
  rewriteKey,
} from './rewrite.js';

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

test('a leading (?i) becomes the i flag; (?U) is refused', () => {
  expect(rewriteKey('DB_Password', rules(['(?i)password', 'pw']))).toBe('DB_pw');
  expect(() => rules(['(?U)a+', ''])).toThrow(
    'dataFrom[0].rewrite[0].regexp.source: the (?U) flag is not supported',
  );
});

test('an invalid regular expression is an InvalidSpec error naming the rule', () => {
  expect(() => rules(['ok', ''], ['(unclosed', ''])).toThrow(SecretSpecError);
  expect(() => rules(['ok', ''], ['(unclosed', ''])).toThrow(
    'dataFrom[0].rewrite[1].regexp.source: not a valid regular expression',
  );
});

test.each(['(a+)+$', '(a*)*b', '(a|aa)+', '(x*y){2,}', '((ab)+c)*', '(?:a+){3,9}'])(
  'catastrophic backtracking pattern %s is refused',
  (source) => {
    expect(backtrackingRisk(source)).toMatch(/exponential time/);
    expect(() => compileGoRegexp(source, 'r')).toThrow(SecretSpecError);
  },
);

test.each(['^payments/(.*)$', '[a+]+', '(ab)?c+', '\\(a+\\)+', '(a){2}', '(foo|bar)?', '^(.*)/(.*)$'])(
  'ordinary pattern %s is accepted',
  (source) => {
    expect(backtrackingRisk(source)).toBeUndefined();
  },
);

test('keys longer than the rewrite limit are refused before any rule runs', () => {
  expect(() => rewriteKey('k'.repeat(MAX_REWRITE_INPUT_LENGTH + 1), rules(['k', 'x']))).toThrow(
    /dataFrom\[0\].rewrite\[0\]: key "k+\.\.\." is longer than 1024 characters/,
  );
});

test('rewriting finishes quickly on hostile keys', () => {
  const started = Date.now();
  rewriteKey('a'.repeat(1000) + '!', rules(['a*b', ''], ['(a)(a)', '$2$1']));
  expect(Date.now() - started).toBeLessThan(1000);
});
