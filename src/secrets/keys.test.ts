import { MAX_SECRET_KEY_LENGTH, quoteKey, secretKeyProblem } from './keys.js';

test.each(['password', 'tls.crt', '.dockerconfigjson', 'a-b_c.d', 'A1', '.hidden'])(
  '%s is a valid key',
  (key) => {
    expect(secretKeyProblem(key)).toBeUndefined();
  },
);

test.each([
  ['', 'is empty'],
  ['a/b', 'may only hold'],
  ['has space', 'may only hold'],
  ['ünï', 'may only hold'],
  ['.', 'must not be'],
  ['..', 'must not be'],
  ['..data', 'must not start with ".."'],
  ['x'.repeat(MAX_SECRET_KEY_LENGTH + 1), 'longer than 253'],
])('%j is refused', (key, problem) => {
  expect(secretKeyProblem(key)).toContain(problem);
});

test('quoteKey shortens long keys so a hostile key cannot flood a status', () => {
  expect(quoteKey('a')).toBe('"a"');
  expect(quoteKey('k'.repeat(1000)).length).toBeLessThan(70);
});
