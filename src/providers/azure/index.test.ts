import { providerFactories } from '../index.js';
import { refusal, validatedSpec } from '../testing/validated-spec.js';
import { azure, azureProviderFactory } from './index.js';

const managed = { vaultUrl: 'https://v.vault.azure.net', auth: { managedIdentity: {} } };
const workload = {
  vaultUrl: 'https://v.vault.azure.net',
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  auth: { workloadIdentity: { clientId: 'app', serviceAccountRef: { name: 'payments-app' } } },
};

describe('the azure descriptor', () => {
  test('has a factory, so providerFactories() builds Azure clients', () => {
    expect(providerFactories().map((factory) => factory.type)).toContain('azure');
    expect(azure.operations).toEqual(['get', 'getCertificate', 'find', 'validate', 'write', 'login']);
  });

  test('managedIdentity is for ClusterSecretProviders: it is the operator’s own identity', () => {
    const factory = azureProviderFactory();
    expect(
      refusal(() =>
        factory.prepare(validatedSpec('azure', managed), {
          kind: 'SecretProvider',
          name: 'a',
          namespace: 'team',
        }),
      ),
    ).toEqual({
      reason: 'ProviderNotAllowed',
      message:
        "SecretProvider team/a: spec.azure.auth.managedIdentity is the operator's own Azure identity: only a ClusterSecretProvider may use it; use servicePrincipal or workloadIdentity",
    });
    expect(
      factory.prepare(validatedSpec('azure', managed), { kind: 'ClusterSecretProvider', name: 'a' })
        .referencesDefaultNamespace,
    ).toBe(false);
  });

  test.each([
    [
      'servicePrincipal.secretRef',
      { servicePrincipal: { clientId: 'app', secretRef: { name: 'sp', key: 'secret', namespace: 'other' } } },
      'Secret sp',
    ],
    [
      'servicePrincipal.certificateRef',
      {
        servicePrincipal: {
          clientId: 'app',
          certificateRef: { name: 'cert', key: 'tls.pem', namespace: 'other' },
        },
      },
      'Secret cert',
    ],
    [
      'workloadIdentity.serviceAccountRef',
      { workloadIdentity: { clientId: 'app', serviceAccountRef: { name: 'app', namespace: 'other' } } },
      'ServiceAccount app',
    ],
  ])(
    'a SecretProvider whose %s names another namespace is refused before any client exists (whatever its paths)',
    (_field, auth, what) => {
      const spec = validatedSpec('azure', { ...workload, auth });
      expect(
        refusal(() =>
          azureProviderFactory().prepare(spec, { kind: 'SecretProvider', name: 'a', namespace: 'team' }),
        ),
      ).toEqual({
        reason: 'ProviderNotAllowed',
        message: `SecretProvider team/a: ${what} points to namespace "other"; a SecretProvider may only read from its own namespace`,
      });
      // Its own namespace, written out, is its own.
      const own = JSON.parse(JSON.stringify(auth).replace('"other"', '"team"')) as typeof auth;
      expect(
        azureProviderFactory().prepare(validatedSpec('azure', { ...workload, auth: own }), {
          kind: 'SecretProvider',
          name: 'a',
          namespace: 'team',
        }),
      ).toBeDefined();
    },
  );

  test('a ClusterSecretProvider whose ServiceAccount has no namespace needs one client per SecretSource namespace', () => {
    const prepared = azureProviderFactory().prepare(validatedSpec('azure', workload), {
      kind: 'ClusterSecretProvider',
      name: 'a',
    });
    expect(prepared.referencesDefaultNamespace).toBe(true);
  });
});
