import { refusal, validatedSpec } from '../testing/validated-spec.js';
import { azureReferencesDefaultNamespace, parseAzureSpec } from './spec.js';

const subject = { provider: 'ClusterSecretProvider azure' };
/** As the controller does it: the schema first (parse.ts), then the provider's own rules. */
const parse = (raw: unknown) => parseAzureSpec(validatedSpec('azure', raw, 'azure'), subject);
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const secretAuth = {
  servicePrincipal: { clientId: 'app', secretRef: { name: 'azure-sp', key: 'client-secret' } },
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('parseAzureSpec', () => {
  test('a client secret: the public cloud, instance discovery on, versions outside validity synced with a warning', () => {
    const settings = parse({
      vaultUrl: 'https://payments.vault.azure.net/',
      tenantId: TENANT,
      auth: secretAuth,
    });
    expect(settings).toEqual({
      vaultUrl: 'https://payments.vault.azure.net',
      tenantId: TENANT,
      authorityHost: 'https://login.microsoftonline.com',
      disableInstanceDiscovery: false,
      versionValidity: 'Warn',
      auth: {
        method: 'clientSecret',
        clientId: 'app',
        secretRef: { name: 'azure-sp', key: 'client-secret' },
      },
    });
    expect(azureReferencesDefaultNamespace(settings)).toBe(true);
  });

  test('a custom authority host turns instance discovery off; Microsoft clouds keep it', () => {
    const host = (authorityHost: string) =>
      parse({ vaultUrl: 'https://v.vault.azure.net', tenantId: TENANT, authorityHost, auth: secretAuth });
    expect(host('https://login.localhost:8443/')).toMatchObject({
      authorityHost: 'https://login.localhost:8443',
      disableInstanceDiscovery: true,
    });
    expect(host('https://login.microsoftonline.us').disableInstanceDiscovery).toBe(false);
    expect(host('https://login.chinacloudapi.cn').disableInstanceDiscovery).toBe(false);
    expect(host('').authorityHost).toBe('https://login.microsoftonline.com');
  });

  test('caBundle as PEM or base64 PEM; versionValidity Refuse', () => {
    const base = { vaultUrl: 'https://v.vault.azure.net', tenantId: TENANT, auth: secretAuth };
    expect(parse({ ...base, caBundle: PEM, versionValidity: 'Refuse' })).toMatchObject({
      caBundle: PEM,
      versionValidity: 'Refuse',
    });
    expect(parse({ ...base, caBundle: Buffer.from(PEM).toString('base64') }).caBundle).toBe(PEM);
    expect(refusal(() => parse({ ...base, caBundle: 'not pem' }))).toEqual({
      reason: 'InvalidSpec',
      message: 'ClusterSecretProvider azure: spec.azure: caBundle must be PEM (or base64-encoded PEM)',
    });
  });

  test('each auth method and the references it leaves to the namespace rule', () => {
    const base = { vaultUrl: 'https://v.vault.azure.net', tenantId: TENANT };
    const certificate = parse({
      ...base,
      auth: {
        servicePrincipal: { clientId: 'app', certificateRef: { name: 'c', key: 'pem', namespace: 'ops' } },
      },
    });
    expect(certificate.auth).toEqual({
      method: 'clientCertificate',
      clientId: 'app',
      certificateRef: { name: 'c', key: 'pem', namespace: 'ops' },
    });
    expect(azureReferencesDefaultNamespace(certificate)).toBe(false);
    const workload = parse({
      ...base,
      auth: {
        workloadIdentity: { clientId: 'app', serviceAccountRef: { name: 'payments-app', namespace: '' } },
      },
    });
    expect(workload.auth).toEqual({
      method: 'workloadIdentity',
      clientId: 'app',
      serviceAccountRef: { name: 'payments-app' },
      audiences: ['api://AzureADTokenExchange'],
    });
    expect(azureReferencesDefaultNamespace(workload)).toBe(true);
    const managed = parse({
      vaultUrl: 'https://v.vault.azure.net',
      auth: { managedIdentity: { clientId: '' } },
    });
    expect(managed.auth).toEqual({ method: 'managedIdentity' });
    expect(managed.tenantId).toBeUndefined();
    expect(azureReferencesDefaultNamespace(managed)).toBe(false);
    expect(parse({ ...base, auth: { managedIdentity: { clientId: 'uami' } } }).auth).toEqual({
      method: 'managedIdentity',
      clientId: 'uami',
    });
  });

  test('the schema refuses what the client could not use', () => {
    const tenantless = refusal(() => parse({ vaultUrl: 'https://v.vault.azure.net', auth: secretAuth }));
    expect(tenantless.message).toContain(
      'tenantId is required for servicePrincipal and workloadIdentity auth',
    );
    expect(
      refusal(() => parse({ vaultUrl: 'http://v.vault.azure.net', tenantId: TENANT, auth: secretAuth }))
        .reason,
    ).toBe('InvalidSpec');
    expect(
      refusal(() =>
        parse({
          vaultUrl: 'https://v.vault.azure.net',
          tenantId: TENANT,
          auth: { servicePrincipal: { clientId: 'app' } },
        }),
      ).message,
    ).toContain('exactly one of secretRef or certificateRef');
  });

  test('a vault URL with a path is refused: the SDK would append /secrets to it', () => {
    expect(
      refusal(() =>
        parse({ vaultUrl: 'https://v.vault.azure.net/other', tenantId: TENANT, auth: secretAuth }),
      ),
    ).toEqual({
      reason: 'InvalidSpec',
      message: 'ClusterSecretProvider azure: spec.azure: vaultUrl must not have a path',
    });
  });
});
