import { SecretSpecError } from './errors.js';
import { checkAnnotationsAllowed, checkSecretType } from './secret-types.js';

test.each([
  'Opaque',
  'kubernetes.io/tls',
  'kubernetes.io/dockerconfigjson',
  'kubernetes.io/dockercfg',
  'kubernetes.io/basic-auth',
  'kubernetes.io/ssh-auth',
  'example.com/custom',
  'helm.sh/release.v1',
  'custom',
])('%s is written', (type) => {
  expect(() => checkSecretType(type)).not.toThrow();
});

test('token-minting types are refused with the reason', () => {
  expect(() => checkSecretType('kubernetes.io/service-account-token')).toThrow(
    new SecretSpecError(
      'target.type kubernetes.io/service-account-token is refused: the API server fills Secrets of this type with a ServiceAccount token',
    ),
  );
  expect(() => checkSecretType('bootstrap.kubernetes.io/token')).toThrow(
    'target.type bootstrap.kubernetes.io/token is refused: bootstrap tokens let nodes join the cluster',
  );
});

test.each(['kubernetes.io/unknown', 'k8s.io/thing', 'bootstrap.kubernetes.io/other'])(
  'an unknown type in a Kubernetes domain (%s) is refused',
  (type) => {
    expect(() => checkSecretType(type)).toThrow(/is not supported; use Opaque, kubernetes.io\/tls/);
  },
);

test.each(['', 'has space', 'a/b/c', '/x', 'x'.repeat(254)])('malformed type %j is refused', (type) => {
  expect(() => checkSecretType(type)).toThrow(/is not a valid Secret type/);
});

test('annotations binding the Secret to a ServiceAccount are refused', () => {
  expect(() =>
    checkAnnotationsAllowed({ 'kubernetes.io/service-account.name': 'default' }, 'target.annotations'),
  ).toThrow('target.annotations: annotation kubernetes.io/service-account.name is refused');
  expect(() => checkAnnotationsAllowed({ 'kubernetes.io/service-account.uid': 'x' }, 'a')).toThrow(
    SecretSpecError,
  );
  expect(() => checkAnnotationsAllowed({ 'example.com/owner': 'team-a' }, 'a')).not.toThrow();
});
