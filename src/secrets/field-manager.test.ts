import { secretFieldManager } from './field-manager.js';

test('a manager name per SecretSource, within the API server’s 128-character limit', () => {
  expect(secretFieldManager('db')).toBe('secretsource.dev/db');
  const long = 'a'.repeat(253);
  const manager = secretFieldManager(long);
  expect(manager.length).toBeLessThanOrEqual(128);
  expect(manager.startsWith('secretsource.dev/aaa')).toBe(true);
  expect(secretFieldManager(long)).toBe(manager);
  expect(secretFieldManager(`${'a'.repeat(252)}b`)).not.toBe(manager);
});
