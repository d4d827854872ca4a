import { randomBytes } from 'node:crypto';
import { FINGERPRINT_ANNOTATION, MANAGED_LABEL, SOURCE_ANNOTATION } from '../api/v1alpha1/names.js';
import { buildTargetSecret, SecretTooLargeError } from './target.js';

const password = randomBytes(12);

function spec(overrides = {}) {
  return {
    name: 'db-credentials',
    namespace: 'payments',
    type: 'Opaque',
    sourceName: 'db',
    data: new Map([['password', password]]),
    fingerprint: 'hmac-sha256:' + 'ab'.repeat(32),
    ...overrides,
  };
}

test('builds an apply configuration with base64 data, the managed label and the fingerprint', () => {
  const secret = buildTargetSecret(spec());
  expect(secret.metadata.labels[MANAGED_LABEL]).toBe('true');
  expect(secret.metadata.annotations[FINGERPRINT_ANNOTATION]).toBe(spec().fingerprint);
  expect(secret.metadata.annotations[SOURCE_ANNOTATION]).toBe('db');
  expect(secret.type).toBe('Opaque');
  expect(Buffer.from(secret.data['password']!, 'base64').equals(password)).toBe(true);
  expect(secret.metadata.ownerReferences).toBeUndefined();
  expect(secret.immutable).toBeUndefined();
});

test('user labels cannot unmark the Secret as managed', () => {
  const secret = buildTargetSecret(spec({ labels: { [MANAGED_LABEL]: 'false', team: 'a' } }));
  expect(secret.metadata.labels).toEqual({ [MANAGED_LABEL]: 'true', team: 'a' });
});

test('an owner becomes the controlling ownerReference', () => {
  const owner = { apiVersion: 'secretsource.dev/v1alpha1', kind: 'SecretSource', name: 'db', uid: 'u-1' };
  const secret = buildTargetSecret(spec({ owner, immutable: true }));
  expect(secret.metadata.ownerReferences).toEqual([{ ...owner, controller: true, blockOwnerDeletion: true }]);
  expect(secret.immutable).toBe(true);
});

test('data over 1 MiB is refused before it reaches the API server', () => {
  const data = new Map([['big', Buffer.alloc(1024 * 1024)]]);
  expect(() => buildTargetSecret(spec({ data }))).toThrow(SecretTooLargeError);
  expect(() => buildTargetSecret(spec({ data }))).toThrow(/payments\/db-credentials .* over the 1 MiB limit/);
});

test('a Merge source applies only its keys and the managed label: no type, no owner marks', () => {
  const secret = buildTargetSecret(spec({ merge: true, annotations: { note: 'x' } }));
  expect(secret).not.toHaveProperty('type');
  expect(secret.metadata.labels).toEqual({ [MANAGED_LABEL]: 'true' });
  expect(secret.metadata.annotations).toEqual({ note: 'x' });
});
