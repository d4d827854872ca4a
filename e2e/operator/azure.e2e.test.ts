// The Azure Key Vault provider through the operator: one operator process, authenticated as the
// config/rbac ServiceAccount, runs every common case (e2e/cases/common/) against the project's Key
// Vault test server (docs/adr/0009) with each auth mode the local environment serves — a service
// principal (client secret) and workload identity (e2e/cases/azure.ts) — and then what only Azure
// has: plain-text secrets and the secrets/ and certificates/ paths, certificates, version validity,
// find skipping disabled secrets, workload identity's audience, managed identity (cluster-scoped
// only), throttling, an outage and the call metrics. The SecretProviders name the test CA
// (caBundle) and the test Entra ID (authorityHost) as a user of a private cloud would;
// challenge-resource verification stays on. Request counts come from the test server's admin API;
// the stop-and-restart case runs on a second test server this file owns. Values are random and
// compared without printing them.
import { randomUUID, X509Certificate } from 'node:crypto';
import { jest } from '@jest/globals';
import { ClientSecretCredential } from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { makeCertificate, makePkcs12 } from '../../src/secrets/test-pki.js';
import { AzureUnderTest, azureSpec, vaultClient } from '../cases/azure.js';
import { describeCommonCases } from '../cases/compose.js';
import { clientOptions, credentialOptions } from '../support/azure-keyvault.js';
import { KeyVaultInstance } from '../support/azure-keyvault-instance.js';
import { eventually, readyCondition, requireEnv, uniqueName } from '../support/kube.js';
import { holdsFor } from '../support/wait.js';
import type { RunningOperator } from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { scrape, type Sample } from '../support/prometheus.js';
import { holds, type SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(60_000);

const azure = new AzureUnderTest();
// The service principal's SecretProvider is `azure`, as Ready messages below name it.
const fx = useOperatorFixture({
  name: 'azure',
  provider: azure,
  providerNames: { serviceprincipal: 'azure' },
  sourceDefaults: (name) => ({ target: { name } }),
});
const { env, admin, vault } = azure;
const { core } = fx;
let namespace: string;
let objects: SecretSourceObjects;
let operator: RunningOperator;
beforeAll(() => {
  ({ namespace, objects, operator } = fx);
});
fx.onCleanup(() => admin.clearFaults());

describeCommonCases(fx, azure);

const generated = (): string => fx.generated();
const secretName = (name: string): string => uniqueName(`e2e-op-az-${name}`);

// The outage test's SecretProvider, for its own test server, with the environment's app.
const SP_SECRET = 'azure-sp';
const servicePrincipal = {
  servicePrincipal: { clientId: env.clientId, secretRef: { name: SP_SECRET, key: 'client-secret' } },
};

beforeAll(async () => {
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: SP_SECRET }, stringData: { 'client-secret': env.clientSecret } },
  });
});

test('a plain-text secret whole, and a JSON property and a whole JSON secret by their secrets/ path', async () => {
  const [token, password, host] = [generated(), generated(), generated()];
  const plain = secretName('plain');
  const json = secretName('json');
  await vault.setSecret(plain, token);
  await vault.setSecret(json, JSON.stringify({ password, host }));
  await objects.createSource('json', {
    refresh: { interval: '1h' },
    data: [
      { key: 'token', remoteRef: { path: plain } },
      { key: 'password', remoteRef: { path: `secrets/${json}`, property: 'password' } },
    ],
    dataFrom: [{ path: `secrets/${json}` }],
    duplicateKeys: 'LastWins',
  });
  const ready = await objects.waitReady('json', 'True', 'Synced');
  expect(readyCondition(ready)!.message).toBe('3 keys from SecretProvider/azure');
  const secret = await objects.getSecret('json');
  expect(Object.keys(secret?.data ?? {}).sort()).toEqual(['host', 'password', 'token']);
  expect(
    holds(secret, 'token', token) && holds(secret, 'password', password) && holds(secret, 'host', host),
  ).toBe(true);
});

test('find by tags: disabled secrets and secrets with other tags are never read', async () => {
  const run = randomUUID();
  const [a, b] = [secretName('tag-a'), secretName('tag-b')];
  const [va, vb] = [generated(), generated()];
  await vault.setSecret(a, va, { tags: { run, app: 'payments' } });
  await vault.setSecret(b, vb, { tags: { run, app: 'payments' } });
  await vault.setSecret(secretName('tag-off'), generated(), {
    tags: { run, app: 'payments' },
    enabled: false,
  });
  await vault.setSecret(secretName('tag-other'), generated(), { tags: { run, app: 'search' } });
  await admin.resetCounts();
  await objects.createSource('tags', {
    refresh: { interval: '1h' },
    dataFrom: [{ find: { tags: { run, app: 'payments' } } }],
  });
  await objects.waitReady('tags', 'True', 'Synced');
  const secret = await objects.getSecret('tags');
  expect(Object.keys(secret?.data ?? {}).sort()).toEqual([a, b].sort());
  expect(holds(secret, a, va) && holds(secret, b, vb)).toBe(true);
  expect((await admin.counts())['secrets.get']).toBe(2);
});

test('a Key Vault certificate → kubernetes.io/tls, from its PEM or PKCS#12 backing secret', async () => {
  const certificates = new CertificateClient(
    env.vaultUrl,
    new ClientSecretCredential(env.tenantId, env.clientId, env.clientSecret, credentialOptions(env)),
    clientOptions(env),
  );
  const pemCert = makeCertificate({ commonName: 'web.example' });
  const p12Cert = makeCertificate({ commonName: 'p12.example' });
  const [pemName, p12Name] = [secretName('cert-pem'), secretName('cert-p12')];
  // @azure/keyvault-certificates 4.10 drops `policy`; `certificatePolicy` gets the content type sent (ADR 0009).
  await certificates.importCertificate(pemName, Buffer.from(pemCert.keyPem + pemCert.certPem), {
    policy: { contentType: 'application/x-pem-file' },
    certificatePolicy: { secretProperties: { contentType: 'application/x-pem-file' } },
  } as never);
  await certificates.importCertificate(p12Name, makePkcs12(p12Cert, [], ''), {});
  await objects.createSource('tls-pem', {
    refresh: { interval: '1h' },
    target: { name: 'tls-pem', type: 'kubernetes.io/tls' },
    data: [{ key: 'tls.crt', remoteRef: { path: pemName } }],
  });
  await objects.createSource('tls-p12', {
    refresh: { interval: '1h' },
    target: { name: 'tls-p12', type: 'kubernetes.io/tls' },
    data: [
      { key: 'tls.p12', remoteRef: { path: p12Name } },
      { key: 'ca.crt', remoteRef: { path: `certificates/${pemName}` } },
    ],
  });
  for (const [name, made] of [
    ['tls-pem', pemCert],
    ['tls-p12', p12Cert],
  ] as const) {
    await objects.waitReady(name, 'True', 'Synced');
    const secret = await objects.getSecret(name);
    expect(secret?.type).toBe('kubernetes.io/tls');
    const crt = Buffer.from(secret!.data!['tls.crt']!, 'base64');
    expect(new X509Certificate(crt).fingerprint256).toBe(new X509Certificate(made.certPem).fingerprint256);
    expect(Buffer.from(secret!.data!['tls.key']!, 'base64').toString()).toContain('PRIVATE KEY');
  }
  const ca = Buffer.from((await objects.getSecret('tls-p12'))!.data!['ca.crt']!, 'base64');
  expect(new X509Certificate(ca).fingerprint256).toBe(new X509Certificate(pemCert.certPem).fingerprint256);
});

test('an expired version is synced, with a Warning Event and a note in Ready; a disabled one is RemoteNotFound', async () => {
  const value = generated();
  const expired = secretName('expired');
  await vault.setSecret(expired, value, { expiresOn: new Date(Date.now() - 3_600_000) });
  await objects.createSource('expired', {
    refresh: { interval: '1h' },
    data: [{ key: 'v', remoteRef: { path: expired } }],
  });
  const ready = await objects.waitReady('expired', 'True', 'Synced');
  expect(readyCondition(ready)!.message).toMatch(
    /^1 keys from SecretProvider\/azure; warning: .* expired at /,
  );
  expect(holds(await objects.getSecret('expired'), 'v', value)).toBe(true);
  const event = await objects.waitEvent('expired', 'Warning', 'VersionExpired');
  expect(event.message).toContain(`path "${expired}"`);

  const disabled = secretName('disabled');
  await vault.setSecret(disabled, generated(), { enabled: false });
  await objects.createSource('disabled', {
    refresh: { interval: '1h' },
    data: [{ key: 'v', remoteRef: { path: disabled } }],
  });
  const refused = await objects.waitReady('disabled', 'False', 'RemoteNotFound');
  expect(readyCondition(refused)!.message).toContain('the secret version is disabled');
  expect(await objects.getSecret('disabled')).toBeUndefined();
});

// Another ServiceAccount than the federated one is the common refused case [workloadidentity auth].
test('workload identity: a token for another audience than the federated one is AuthFailed', async () => {
  const issuer = requireEnv('KUBE_SERVICE_ACCOUNT_ISSUER');
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'payments-app' } } });
  const clientId = randomUUID();
  await admin.putClient(clientId, {
    tenantId: env.tenantId,
    federatedCredentials: [{ issuer, subject: `system:serviceaccount:${namespace}:payments-app` }],
    permissions: { secrets: ['get', 'list'] },
  });
  const workload = (serviceAccount: string, audiences?: string[]) =>
    azureSpec({
      workloadIdentity: {
        clientId,
        serviceAccountRef: { name: serviceAccount },
        ...(audiences ? { audiences } : {}),
      },
    });
  await objects.createProvider('wi', workload('payments-app'));
  await objects.createProvider('wi-audience', workload('payments-app', ['vault']));
  const value = generated();
  const path = secretName('wi');
  await vault.setSecret(path, value);
  const spec = { refresh: { interval: '1h' }, data: [{ key: 'v', remoteRef: { path } }] };
  await objects.createSource('wi', spec, 'wi');
  await objects.createSource('wi-audience', spec, 'wi-audience');
  await objects.waitValue('wi', 'v', value);
  const failed = await objects.waitReady('wi-audience', 'False', 'AuthFailed');
  expect(readyCondition(failed)!.message).toContain('AADSTS70021');
  expect(await objects.getSecret('wi-audience')).toBeUndefined();
  await objects.waitProviderReady('wi-audience', 'False', 'AuthFailed');
});

test('managed identity: a ClusterSecretProvider uses the operator’s identity; a SecretProvider may not', async () => {
  const name = uniqueName('e2e-azure-mi');
  await fx.createClusterProvider(name, {
    conditions: [{ namespaces: [namespace] }],
    azure: { vaultUrl: env.vaultUrl, caBundle: env.ca, auth: { managedIdentity: {} } },
  });
  const value = generated();
  const path = secretName('mi');
  await vault.setSecret(path, value);
  await admin.resetCounts();
  await objects.createSource('mi', {
    providerRef: { kind: 'ClusterSecretProvider', name },
    refresh: { interval: '1h' },
    data: [{ key: 'v', remoteRef: { path } }],
  });
  await objects.waitValue('mi', 'v', value);
  expect((await admin.counts())['token.managed_identity']).toBeGreaterThanOrEqual(1);

  await objects.createProvider('mi-namespaced', {
    azure: { vaultUrl: env.vaultUrl, caBundle: env.ca, auth: { managedIdentity: {} } },
  });
  await objects.createSource(
    'mi-namespaced',
    { refresh: { interval: '1h' }, data: [{ key: 'v', remoteRef: { path } }] },
    'mi-namespaced',
  );
  await objects.waitReady('mi-namespaced', 'False', 'ProviderNotAllowed');
  expect(await objects.getSecret('mi-namespaced')).toBeUndefined();
});

test('throttling: the Secret is never blanked, calls back off (Retry-After), Ready returns to True', async () => {
  // Only this test's reads may meet the fault: the earlier SecretSources that still read go first.
  await objects.deleteSource('disabled');
  const value = generated();
  const path = secretName('throttled');
  await vault.setSecret(path, value);
  await objects.createSource('throttled', {
    refresh: { interval: '2s' },
    data: [{ key: 'v', remoteRef: { path } }],
  });
  await objects.waitValue('throttled', 'v', value);
  await admin.resetCounts();
  await admin.addFault({ kind: 'throttle', count: 1_000, retryAfterSeconds: 1, operations: ['secrets.get'] });
  // Ten seconds of refreshes due every 2 s, each read throttled: the Secret keeps its value throughout.
  await holdsFor(
    async () => {
      if (!holds(await objects.getSecret('throttled'), 'v', value))
        throw new Error('Secret throttled lost its value');
    },
    10_000,
    { intervalMs: 500, describe: 'the Secret keeping its value while reads are throttled' },
  );
  // The throttled reads did happen (so the hold above was tested), at most about one a second.
  await eventually(
    async () => {
      const seen = (await admin.counts())['fault.throttled'] ?? 0;
      if (seen < 2) throw new Error(`${seen} throttled reads`);
    },
    { describe: 'two throttled reads' },
  );
  const throttled = (await admin.counts())['fault.throttled'] ?? 0;
  // Each read waits Retry-After (1 s) before its SDK retry, and failed syncs back off: at most about
  // one request a second, against hundreds without the pauses.
  expect(throttled).toBeGreaterThanOrEqual(2);
  expect(throttled).toBeLessThanOrEqual(14);
  await admin.clearFaults();
  await objects.waitReady('throttled', 'True', 'Synced', 30_000);
  expect(holds(await objects.getSecret('throttled'), 'v', value)).toBe(true);
}, 90_000);

test('the vault stopped and restarted: the Secret is kept, Ready=False Unavailable, then recovery', async () => {
  const instance = await KeyVaultInstance.start();
  try {
    const target = instance.env;
    const value = generated();
    const path = secretName('outage');
    const own = vaultClient(target);
    await own.setSecret(path, value);
    await objects.createProvider('outage', azureSpec(servicePrincipal, target));
    await objects.createSource(
      'outage',
      { refresh: { interval: '2s' }, data: [{ key: 'v', remoteRef: { path } }] },
      'outage',
    );
    await objects.waitValue('outage', 'v', value);

    await instance.stop();
    const down = await objects.waitReady('outage', 'False', 'Unavailable', 30_000);
    expect(readyCondition(down)!.message).toContain('cannot reach Azure');
    expect(holds(await objects.getSecret('outage'), 'v', value)).toBe(true);

    // Back with its identities, without its secrets and with a new signing key (see the instance):
    // the value is written again, and the operator gets a new token.
    await instance.resume();
    await vaultClient(target).setSecret(path, value);
    await objects.waitReady('outage', 'True', 'Synced', 90_000);
    expect(holds(await objects.getSecret('outage'), 'v', value)).toBe(true);
  } finally {
    await instance.stop();
  }
}, 150_000);

test('every Azure call is counted in secretsource_provider_calls_total', async () => {
  const counted = (metrics: Sample[], operation: string, status: string): boolean =>
    metrics.some(
      (sample) =>
        sample.name === 'secretsource_provider_calls_total' &&
        sample.labels.provider === 'azure' &&
        sample.labels.operation === operation &&
        sample.labels.status === status,
    );
  await eventually(async () => {
    const metrics = await scrape(operator.metricsUrl);
    const missing = [
      ['get', 'ok'],
      ['find', 'ok'],
      ['validate', 'ok'],
      ['login', 'ok'],
      ['getCertificate', 'ok'],
      ['get', 'throttled'],
      ['get', 'unavailable'],
      ['login', 'unauthorized'],
    ].filter(([operation, status]) => !counted(metrics, operation!, status!));
    if (missing.length > 0) throw new Error(`not counted: ${JSON.stringify(missing)}`);
  });
});
