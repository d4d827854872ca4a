import { matchesLabelSelector, namespaceAdmitted } from './namespace-conditions.js';

test('no condition admits no namespace', () => {
  expect(namespaceAdmitted(undefined, 'payments', {})).toBe(false);
  expect(namespaceAdmitted([], 'payments', {})).toBe(false);
});

test('a namespace listed by name is admitted', () => {
  expect(namespaceAdmitted([{ namespaces: ['payments'] }], 'payments', {})).toBe(true);
  expect(namespaceAdmitted([{ namespaces: ['payments'] }], 'billing', {})).toBe(false);
});

test('a namespace matching a selector is admitted; conditions are ORed', () => {
  const conditions = [{ namespaces: ['a'] }, { namespaceSelector: { matchLabels: { team: 'platform' } } }];
  expect(namespaceAdmitted(conditions, 'b', { team: 'platform' })).toBe(true);
  expect(namespaceAdmitted(conditions, 'b', { team: 'other' })).toBe(false);
  expect(namespaceAdmitted(conditions, 'b', undefined)).toBe(false);
});

test('names and a selector in one condition must both match', () => {
  const conditions = [{ namespaces: ['a'], namespaceSelector: { matchLabels: { team: 'platform' } } }];
  expect(namespaceAdmitted(conditions, 'a', { team: 'platform' })).toBe(true);
  expect(namespaceAdmitted(conditions, 'a', {})).toBe(false);
  expect(namespaceAdmitted(conditions, 'b', { team: 'platform' })).toBe(false);
});

test('match expressions', () => {
  const labels = { env: 'prod', tier: 'web' };
  expect(
    matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, labels),
  ).toBe(true);
  expect(
    matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels),
  ).toBe(false);
  expect(matchesLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels)).toBe(
    true,
  );
  expect(
    matchesLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels),
  ).toBe(false);
  expect(matchesLabelSelector({ matchExpressions: [{ key: 'x', operator: 'Bogus' }] }, labels)).toBe(false);
});
