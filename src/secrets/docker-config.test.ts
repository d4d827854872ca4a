import { randomBytes } from 'node:crypto';
import { buildDockerConfigJson, validateDockerCfg, validateDockerConfigJson } from './docker-config.js';
import { SecretSpecError } from './errors.js';

const password = randomBytes(12).toString('hex');
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

test('builds auths with username, password, email and auth = base64(user:pass)', () => {
  const built = buildDockerConfigJson({
    registry: 'ghcr.io',
    username: 'bot',
    password,
    email: 'bot@example.com',
  });
  const entry = (JSON.parse(built.toString('utf8')) as { auths: Record<string, Record<string, string>> })
    .auths['ghcr.io']!;
  expect(entry['username']).toBe('bot');
  expect(entry['email']).toBe('bot@example.com');
  expect(entry['password'] === password).toBe(true);
  expect(Buffer.from(entry['auth']!, 'base64').toString('utf8') === `bot:${password}`).toBe(true);
  expect(() => validateDockerConfigJson(built, '.dockerconfigjson')).not.toThrow();
});

test('an empty email is left out', () => {
  const built = buildDockerConfigJson({ registry: 'ghcr.io', username: 'bot', password, email: '' });
  expect(
    Object.keys((JSON.parse(built.toString()) as { auths: Record<string, object> }).auths['ghcr.io']!),
  ).toEqual(['username', 'password', 'auth']);
});

test.each([
  [{ registry: '', username: 'u', password }, 'target.dockerConfig.registry must be a registry host'],
  [{ registry: 'ghcr .io', username: 'u', password }, 'target.dockerConfig.registry must be a registry host'],
  [{ registry: 'ghcr.io', username: '', password }, 'target.dockerConfig.username renders empty'],
  [{ registry: 'ghcr.io', username: 'u', password: '' }, 'target.dockerConfig.password renders empty'],
  [{ registry: 'ghcr.io', username: 'a:b', password }, 'renders a user name containing ":"'],
])('refused %#', (credential, message) => {
  expect(() => buildDockerConfigJson(credential)).toThrow(SecretSpecError);
  expect(() => buildDockerConfigJson(credential)).toThrow(message);
});

test('pass-through: a valid config is accepted', () => {
  const auth = Buffer.from(`u:${password}`).toString('base64');
  expect(() =>
    validateDockerConfigJson(
      json({ auths: { 'ghcr.io': { auth }, 'quay.io': { username: 'u', password } } }),
      'k',
    ),
  ).not.toThrow();
});

test.each([
  ['not JSON', Buffer.from(`{"auths": ${password}`), 'k: not valid JSON'],
  ['an array', json([]), 'k: must be a JSON object'],
  ['no auths', json({ credsStore: 'x' }), 'k: must hold an "auths" object'],
  ['auths a list', json({ auths: [] }), 'k: must hold an "auths" object'],
  [
    'an entry not an object',
    json({ auths: { 'ghcr.io': 'x' } }),
    'k auths entry "ghcr.io" must be an object',
  ],
  ['a number as password', json({ auths: { 'ghcr.io': { password: 1 } } }), '"password" must be a string'],
  [
    'auth not base64',
    json({ auths: { 'ghcr.io': { auth: '%%%' } } }),
    '"auth" must be base64 of user:password',
  ],
  [
    'auth without a colon',
    json({ auths: { 'ghcr.io': { auth: Buffer.from(password).toString('base64') } } }),
    '"auth" must be base64 of user:password',
  ],
  ['an empty registry', json({ auths: { ' ': {} } }), 'k auths: a registry name is empty'],
])('pass-through refuses %s, never echoing the value', (_name, value, message) => {
  expect(() => validateDockerConfigJson(value, 'k')).toThrow(message);
  try {
    validateDockerConfigJson(value, 'k');
  } catch (error) {
    expect((error as Error).message.includes(password)).toBe(false);
  }
});

test('legacy .dockercfg is the registry map itself', () => {
  expect(() =>
    validateDockerCfg(json({ 'https://index.docker.io/v1/': { auth: '' } }), '.dockercfg'),
  ).not.toThrow();
  expect(() => validateDockerCfg(json({ r: 1 }), '.dockercfg')).toThrow(
    '.dockercfg entry "r" must be an object',
  );
});
