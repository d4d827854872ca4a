// The Azure Key Vault provider against the project's Key Vault test server (e2e/backends/azure-keyvault,
// docs/adr/0009), built through the provider factory as the operator builds it: the SDK's
// challenge-resource verification on, the test CA given as spec.azure.caBundle (never
// NODE_EXTRA_CA_CERTS), the test Entra ID as spec.azure.authorityHost. Call counts come from the
// test server's admin API, so the tests assert what the vault and Entra ID received. Workload
// identity uses real TokenRequest tokens from the local API server. Values are random and compared
// without printing them.
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { jest } from '@jest/globals';
import { CertificateClient } from '@azure/keyvault-certificates';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import * as k8s from '@kubernetes/client-node';
import { ProviderHarness, type Harness } from '../support/provider-harness.js';
import { azureProviderFactory, type AzureClientOptions } from '../../src/providers/azure/index.js';
import { ProviderClientCache } from '../../src/providers/client-cache.js';
import {
  KubernetesCredentialSource,
  type CredentialSecretValue,
  type CredentialSource,
  type SecretKeyRef,
  type ServiceAccountRef,
  type ServiceAccountToken,
} from '../../src/providers/credentials.js';
import {
  CredentialsUnavailableError,
  InvalidRefError,
  NotFoundError,
  ThrottledError,
  UnauthorizedError,
  UnavailableError,
} from '../../src/providers/errors.js';
import { valueMap } from '../../src/providers/property.js';
import { CoalescingReader, ReadCoalescer } from '../../src/providers/read-coalescer.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { validatedSpec } from '../../src/providers/testing/validated-spec.js';
import { type ProviderCallStatus, type ProviderIdentity } from '../../src/providers/types.js';
import { buildTlsData } from '../../src/secrets/tls.js';
import { makeCertificate, makePkcs12 } from '../../src/secrets/test-pki.js';
import { azureEnv, clientOptions, credentialOptions, KeyVaultTestAdmin } from '../support/azure-keyvault.js';
import {
  adminKubeConfig,
  createNamespace,
  deleteNamespace,
  requireEnv,
  uniqueName,
} from '../support/kube.js';

jest.setTimeout(60_000);

const env = azureEnv();
const admin = new KeyVaultTestAdmin(env);
const vault = new SecretClient(
  env.vaultUrl,
  new ClientSecretCredential(env.tenantId, env.clientId, env.clientSecret, credentialOptions(env)),
  clientOptions(env),
);
const signal = (): AbortSignal => AbortSignal.timeout(30_000);
const generated: string[] = [];
function secretValue(): string {
  const value = randomBytes(16).toString('hex');
  generated.push(value);
  return value;
}
const name = (prefix: string): string => uniqueName(`e2e-az-${prefix}`);
const sameText = (actual: Buffer | undefined, expected: string): boolean =>
  actual !== undefined && actual.toString('utf8') === expected;

const cluster: ProviderIdentity = { kind: 'ClusterSecretProvider', name: 'e2e-azure' };
const consumerNamespace = 'team-a';
const SP_SECRET = { name: 'azure-sp', key: 'client-secret' };

class TestCredentials implements CredentialSource {
  readonly #secrets = new Map<string, CredentialSecretValue>();

  set(ref: SecretKeyRef, value: string): this {
    this.#secrets.set(`${ref.namespace}/${ref.name}/${ref.key}`, {
      value: Buffer.from(value),
      resourceVersion: '1',
    });
    return this;
  }

  secretKey(ref: SecretKeyRef): Promise<CredentialSecretValue> {
    const found = this.#secrets.get(`${ref.namespace}/${ref.name}/${ref.key}`);
    return found
      ? Promise.resolve(found)
      : Promise.reject(new CredentialsUnavailableError({ provider: 'kubernetes' }, `no key "${ref.key}"`));
  }

  serviceAccountToken(_ref: ServiceAccountRef): Promise<ServiceAccountToken> {
    return Promise.reject(new Error('not used'));
  }
}

const spCredentials = (secret = env.clientSecret): TestCredentials =>
  new TestCredentials().set({ namespace: consumerNamespace, ...SP_SECRET }, secret);

const harness = new ProviderHarness();
/** Every error a test saw, and what the providers logged: none may carry a value. */
const { errorsSeen, logLines } = harness;
const capturingLogger = harness.logger;

function baseSpec(auth: Record<string, unknown>): Record<string, unknown> {
  return {
    vaultUrl: env.vaultUrl,
    tenantId: env.tenantId,
    authorityHost: env.authorityHost,
    caBundle: env.ca,
    auth,
  };
}
const secretAuth = (clientId = env.clientId) => ({ servicePrincipal: { clientId, secretRef: SP_SECRET } });

async function azureClient(
  spec: Record<string, unknown> = baseSpec(secretAuth()),
  credentials: CredentialSource = spCredentials(),
  options: AzureClientOptions = {},
): Promise<Harness> {
  const prepared = azureProviderFactory(options).prepare(validatedSpec('azure', spec, cluster.name), cluster);
  return harness.open(prepared, {
    provider: cluster,
    credentials,
    consumerNamespace,
    signal: signal(),
    type: 'azure',
  });
}

const failure = (promise: Promise<unknown>): Promise<Error> => harness.failure<Error>(promise);

async function counts(): Promise<Record<string, number>> {
  return admin.counts();
}

afterAll(async () => {
  await harness.closeAll();
  await admin.clearFaults();
});

describe('reads', () => {
  test('the latest version, a pinned version that stays pinned while a new one is added, and the version id', async () => {
    const secret = name('versions');
    const [first, second] = [secretValue(), secretValue()];
    const v1 = (await vault.setSecret(secret, first)).properties.version!;
    const { client, calls } = await azureClient();
    const latest = await client.get({ path: secret }, signal());
    expect(sameText(latest.value, first)).toBe(true);
    expect(latest.version).toBe(v1);
    const v2 = (await vault.setSecret(secret, second)).properties.version!;
    expect(sameText((await client.get({ path: secret }, signal())).value, second)).toBe(true);
    const pinned = await client.get({ path: `secrets/${secret}`, version: v1 }, signal());
    expect(sameText(pinned.value, first)).toBe(true);
    expect(pinned.version).toBe(v1);
    expect(v2).not.toBe(v1);
    expect(calls).toEqual([
      { operation: 'login', status: 'success' },
      { operation: 'get', status: 'success' },
      { operation: 'get', status: 'success' },
      { operation: 'get', status: 'success' },
    ]);
  });

  test('a JSON property and every key of a JSON secret (dataFrom)', async () => {
    const secret = name('json');
    const [password, host] = [secretValue(), secretValue()];
    await vault.setSecret(secret, JSON.stringify({ password, host, port: 5432 }));
    const { client } = await azureClient();
    expect(
      sameText((await client.get({ path: secret, property: 'password' }, signal())).value, password),
    ).toBe(true);
    const map = valueMap(await client.get({ path: secret }, signal()), { provider: 'test' });
    expect([...map.keys()]).toEqual(['password', 'host', 'port']);
    expect(sameText(map.get('host'), host)).toBe(true);
    expect(map.get('port')!.toString()).toBe('5432');
  });

  test('a missing secret, version or property is NotFound naming only the path', async () => {
    const { client } = await azureClient();
    const missing = await failure(client.get({ path: name('missing') }, signal()));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toMatch(/not found in the vault \(SecretNotFound, HTTP 404\)/);
    const secret = name('exists');
    await vault.setSecret(secret, JSON.stringify({ a: secretValue() }));
    expect(
      await failure(client.get({ path: secret, version: randomBytes(16).toString('hex') }, signal())),
    ).toBeInstanceOf(NotFoundError);
    expect(await failure(client.get({ path: secret, property: 'b' }, signal()))).toBeInstanceOf(
      NotFoundError,
    );
    expect(await failure(client.get({ path: 'keys/x' }, signal()))).toBeInstanceOf(InvalidRefError);
  });

  test('a disabled version is a clear error; expired and not-yet-valid versions are synced with a warning, or refused', async () => {
    const disabled = name('disabled');
    await vault.setSecret(disabled, secretValue(), { enabled: false });
    const expired = name('expired');
    const expiresOn = new Date(Date.now() - 3_600_000);
    await vault.setSecret(expired, secretValue(), { expiresOn });
    const early = name('early');
    await vault.setSecret(early, secretValue(), { notBefore: new Date(Date.now() + 3_600_000) });
    const { client } = await azureClient();

    const refused = await failure(client.get({ path: disabled }, signal()));
    expect(refused).toBeInstanceOf(NotFoundError);
    expect(refused.message).toContain('the secret version is disabled (SecretDisabled)');
    const warned = await client.get({ path: expired }, signal());
    expect(warned.warnings).toEqual([
      expect.objectContaining({
        reason: 'VersionExpired',
        message: expect.stringContaining(expiresOn.toISOString().slice(0, 19)),
      }),
    ]);
    expect((await client.get({ path: early }, signal())).warnings?.[0]?.reason).toBe('VersionNotYetValid');

    const strict = await azureClient({ ...baseSpec(secretAuth()), versionValidity: 'Refuse' });
    const error = await failure(strict.client.get({ path: expired }, signal()));
    expect(error).toBeInstanceOf(InvalidRefError);
    expect(error.message).toContain('spec.azure.versionValidity Refuse does not sync it');
  });
});

describe('certificates', () => {
  const certificates = new CertificateClient(
    env.vaultUrl,
    new ClientSecretCredential(env.tenantId, env.clientId, env.clientSecret, credentialOptions(env)),
    clientOptions(env),
  );

  test('PEM: certificates/<name> is the leaf as PEM; the backing secret is the key pair the TLS builder reads', async () => {
    const made = makeCertificate({ commonName: 'web.example' });
    const certName = name('pem');
    // @azure/keyvault-certificates 4.10 drops `policy`; `certificatePolicy` gets the content type sent (ADR 0009).
    await certificates.importCertificate(certName, Buffer.from(made.keyPem + made.certPem), {
      policy: { contentType: 'application/x-pem-file' },
      certificatePolicy: { secretProperties: { contentType: 'application/x-pem-file' } },
    } as never);
    const { client, calls } = await azureClient();
    const publicPart = await client.get({ path: `certificates/${certName}` }, signal());
    expect(new X509Certificate(publicPart.value).fingerprint256).toBe(
      new X509Certificate(made.certPem).fingerprint256,
    );
    expect(publicPart.value.toString()).not.toContain('PRIVATE KEY');
    const keyPair = await client.get({ path: certName }, signal());
    const tls = buildTlsData(new Map([['tls.crt', keyPair.value]]), { now: new Date(), requireKeys: true });
    expect(new X509Certificate(tls.data.get('tls.crt')!).fingerprint256).toBe(
      new X509Certificate(made.certPem).fingerprint256,
    );
    expect(tls.data.get('tls.key')!.toString()).toContain('BEGIN PRIVATE KEY');
    expect(calls.map((call) => call.operation)).toEqual(['login', 'getCertificate', 'get']);
  });

  test('PKCS#12: the backing secret is a base64 PFX the TLS builder reads as tls.p12', async () => {
    const made = makeCertificate({ commonName: 'p12.example' });
    const certName = name('pfx');
    await certificates.importCertificate(certName, makePkcs12(made, [], ''), {});
    const { client } = await azureClient();
    const bundle = await client.get({ path: certName }, signal());
    const tls = buildTlsData(new Map([['tls.p12', bundle.value]]), { now: new Date(), requireKeys: true });
    expect(new X509Certificate(tls.data.get('tls.crt')!).fingerprint256).toBe(
      new X509Certificate(made.certPem).fingerprint256,
    );
  });
});

describe('find', () => {
  test('by tags and by name: the listing is paged and only the matches are read', async () => {
    const tag = randomUUID();
    const names = [name('find-a'), name('find-b'), name('find-c')];
    const values = names.map(() => secretValue());
    await vault.setSecret(names[0]!, values[0]!, { tags: { run: tag, team: 'payments' } });
    await vault.setSecret(names[1]!, values[1]!, { tags: { run: tag, team: 'search' } });
    await vault.setSecret(names[2]!, values[2]!, { tags: { run: tag, team: 'payments' }, enabled: false });
    const { client } = await azureClient();
    await client.validate(signal()); // the token, before counting
    await admin.resetCounts();
    const found = await client.find!({ tags: { run: tag, team: 'payments' } }, signal());
    expect([...found.keys()]).toEqual([names[0]]);
    expect(sameText(found.get(names[0]!)?.value, values[0]!)).toBe(true);
    const afterTags = await counts();
    expect(afterTags['secrets.get']).toBe(1); // the disabled match and the other team's are never read
    expect(afterTags['secrets.list']).toBeGreaterThanOrEqual(1);

    const byName = await client.find!({ name: `^${names[1]}$` }, signal());
    expect([...byName.keys()]).toEqual([names[1]]);
    expect((await counts())['secrets.get']).toBe(2);
  });
});

describe('writes and validate', () => {
  test('setSecret: a whole value, then one property of its JSON document', async () => {
    const secret = name('write');
    const [user, password] = [secretValue(), secretValue()];
    const { client, calls } = await azureClient();
    await client.write!({ path: secret }, Buffer.from(JSON.stringify({ user })), signal());
    await client.write!({ path: secret, property: 'password' }, Buffer.from(password), signal());
    const stored = JSON.parse((await vault.getSecret(secret)).value!) as Record<string, string>;
    expect(stored.user === user && stored.password === password).toBe(true);
    expect(calls.map((call) => call.operation)).toEqual(['login', 'write', 'get', 'write']);
  });

  test('validate: one listing call with the client secret; an identity without list permission still validates', async () => {
    const clientId = randomUUID();
    const secret = secretValue();
    await admin.putClient(clientId, {
      tenantId: env.tenantId,
      secrets: [secret],
      permissions: { secrets: ['get'] },
    });
    const { client, calls } = await azureClient(baseSpec(secretAuth(clientId)), spCredentials(secret));
    await client.validate(signal());
    expect(calls).toEqual([
      { operation: 'login', status: 'success' },
      { operation: 'validate', status: 'AuthFailed' },
    ]);
  });
});

describe('shared reads and cached tokens', () => {
  test('20 SecretSources reading one secret through the client cache and the coalescer: one read, one token', async () => {
    const secret = name('shared');
    const password = secretValue();
    await vault.setSecret(secret, JSON.stringify({ password }));
    const calls: Array<{ operation: string; status: ProviderCallStatus }> = [];
    const cache = new ProviderClientCache({
      registry: new ProviderRegistry([azureProviderFactory()]),
      credentials: spCredentials(),
      logger: capturingLogger,
      onCall: (_type, operation, status) => calls.push({ operation, status }),
    });
    const reader = new CoalescingReader(new ReadCoalescer({ windowMs: 5_000 }));
    const object = {
      ...cluster,
      uid: `uid-${randomUUID()}`,
      generation: 1,
      spec: { azure: validatedSpec('azure', baseSpec(secretAuth())) },
    };
    await admin.resetCounts();
    try {
      const client = await cache.acquire(object, consumerNamespace, signal());
      const reads = await Promise.all(
        Array.from({ length: 20 }, () =>
          reader.get(client, { path: secret, property: 'password' }, { signal: signal() }),
        ),
      );
      expect(reads.every((read) => sameText(read.value, password))).toBe(true);
      // Later reads in the window: no call at all; a fresh read (force-sync) one more, same token.
      await reader.get(client, { path: secret }, { signal: signal() });
      await reader.get(client, { path: secret }, { fresh: true, signal: signal() });
      const seen = await counts();
      expect(seen['secrets.get']).toBe(2);
      expect(seen['token.client_credentials']).toBe(1);
      expect(calls).toEqual([
        { operation: 'login', status: 'success' },
        { operation: 'get', status: 'success' },
        { operation: 'get', status: 'success' },
      ]);
    } finally {
      await cache.closeAll();
    }
  });
});

describe('authentication', () => {
  test('a wrong client secret is AuthFailed naming the Entra codes, never the secret', async () => {
    const { client, calls } = await azureClient(baseSpec(secretAuth()), spCredentials(secretValue()));
    const error = await failure(client.get({ path: name('any') }, signal()));
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error.message).toContain('Entra ID refused the credentials (invalid_client, AADSTS7000215)');
    expect(calls).toEqual([{ operation: 'login', status: 'AuthFailed' }]);
  });

  test('a client certificate from its Secret', async () => {
    // The test Entra ID takes client secrets and assertions only: the certificate is checked by
    // @azure/identity locally, then refused by the server as an unknown credential (AuthFailed).
    const made = makeCertificate({ commonName: 'sp.example' });
    const credentials = new TestCredentials().set(
      { namespace: consumerNamespace, name: 'sp-cert', key: 'pem' },
      made.keyPem + made.certPem,
    );
    const { client, calls } = await azureClient(
      baseSpec({
        servicePrincipal: { clientId: env.clientId, certificateRef: { name: 'sp-cert', key: 'pem' } },
      }),
      credentials,
    );
    expect(await failure(client.get({ path: name('any') }, signal()))).toBeInstanceOf(UnauthorizedError);
    expect(calls).toEqual([{ operation: 'login', status: 'AuthFailed' }]);
  });

  test('a vault whose challenge names another tenant is refused before any token request', async () => {
    const otherTenant = randomUUID();
    const vaultName = `e2e-az-${randomBytes(4).toString('hex')}`;
    const url = await admin.putVault(vaultName, otherTenant);
    try {
      const { client, calls } = await azureClient({ ...baseSpec(secretAuth()), vaultUrl: url });
      const error = await failure(client.get({ path: 'x' }, signal()));
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error.message).toContain(
        `the vault belongs to tenant ${otherTenant}, not to spec.azure.tenantId ${env.tenantId}`,
      );
      expect(calls).toEqual([]);
    } finally {
      await admin.deleteVault(vaultName);
    }
  });

  test('without the test CA (no caBundle) the TLS check fails: Unavailable, pointing at caBundle', async () => {
    const spec = baseSpec(secretAuth());
    delete spec.caBundle;
    const { client } = await azureClient(spec);
    const error = await failure(client.get({ path: name('any') }, signal()));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toContain('check spec.azure.caBundle');
  });

  describe('workload identity with real TokenRequest tokens', () => {
    const kc = adminKubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const issuer = requireEnv('KUBE_SERVICE_ACCOUNT_ISSUER');
    let namespace: string;

    // No operator fixture: the provider client runs in this process; the namespace only holds ServiceAccounts.
    beforeAll(async () => {
      namespace = await createNamespace(kc, 'azure-wi');
      for (const sa of ['payments-app', 'other-app'])
        await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
    });
    afterAll(async () => {
      await deleteNamespace(kc, namespace);
    });

    async function workloadClient(
      serviceAccount: string,
      audiences?: string[],
    ): Promise<Harness & { clientId: string }> {
      const clientId = randomUUID();
      await admin.putClient(clientId, {
        tenantId: env.tenantId,
        federatedCredentials: [{ issuer, subject: `system:serviceaccount:${namespace}:payments-app` }],
        permissions: { secrets: ['get', 'list'] },
      });
      const spec = baseSpec({
        workloadIdentity: {
          clientId,
          serviceAccountRef: { name: serviceAccount, namespace },
          ...(audiences ? { audiences } : {}),
        },
      });
      return { clientId, ...(await azureClient(spec, KubernetesCredentialSource.fromKubeConfig(kc))) };
    }

    test('the federated ServiceAccount reads; a TokenRequest per token, audience api://AzureADTokenExchange', async () => {
      const secret = name('wi');
      const password = secretValue();
      await vault.setSecret(secret, password);
      const { client, calls } = await workloadClient('payments-app');
      await admin.resetCounts();
      expect(sameText((await client.get({ path: secret }, signal())).value, password)).toBe(true);
      await client.get({ path: secret }, signal());
      expect((await counts())['token.client_credentials']).toBe(1);
      expect(calls.map((call) => call.operation)).toEqual(['login', 'get', 'get']);
    });

    test('another ServiceAccount, or another audience, is refused by Entra ID (AADSTS70021): AuthFailed', async () => {
      const other = await workloadClient('other-app');
      const error = await failure(other.client.get({ path: name('any') }, signal()));
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error.message).toContain('AADSTS70021');
      const audience = await workloadClient('payments-app', ['vault']);
      const wrongAudience = await failure(audience.client.get({ path: name('any') }, signal()));
      expect(wrongAudience).toBeInstanceOf(UnauthorizedError);
      expect(wrongAudience.message).toContain('AADSTS70021');
    });
  });

  test('managed identity: the IMDS endpoint of the process environment (system-assigned)', async () => {
    const secret = name('mi');
    const password = secretValue();
    await vault.setSecret(secret, password);
    const { client, calls } = await azureClient({
      vaultUrl: env.vaultUrl,
      caBundle: env.ca,
      auth: { managedIdentity: {} },
    });
    await admin.resetCounts();
    expect(sameText((await client.get({ path: secret }, signal())).value, password)).toBe(true);
    expect((await counts())['token.managed_identity']).toBe(1);
    expect(calls.map((call) => call.operation)).toEqual(['login', 'get']);
  });
});

describe('throttling and failures', () => {
  test('429 with Retry-After is retried by the SDK after the pause; beyond its retries it is Throttled', async () => {
    const secret = name('throttle');
    const password = secretValue();
    await vault.setSecret(secret, password);
    const { client, calls } = await azureClient();
    await client.validate(signal());
    await admin.resetCounts();
    await admin.addFault({ kind: 'throttle', count: 2, retryAfterSeconds: 1, operations: ['secrets.get'] });
    expect(sameText((await client.get({ path: secret }, signal())).value, password)).toBe(true);
    const retried = await counts();
    expect(retried['fault.throttled']).toBe(2);
    expect(retried['secrets.get']).toBe(3);

    await admin.addFault({ kind: 'throttle', count: 3, retryAfterSeconds: 1, operations: ['secrets.get'] });
    const throttled = await failure(client.get({ path: secret }, signal()));
    expect(throttled).toBeInstanceOf(ThrottledError);
    expect((throttled as ThrottledError).retryAfterMs).toBe(1_000);
    expect(calls.slice(-2)).toEqual([
      { operation: 'get', status: 'success' },
      { operation: 'get', status: 'Throttled' },
    ]);
  });

  test('a lasting 500 is Unavailable after the retries; an unreachable vault is Unavailable', async () => {
    const secret = name('fault');
    await vault.setSecret(secret, secretValue());
    const { client } = await azureClient(undefined, undefined, { maxRetries: 1 });
    await client.validate(signal());
    await admin.addFault({ kind: 'error', count: 2, status: 500, operations: ['secrets.'] });
    const error = await failure(client.get({ path: secret }, signal()));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toContain('InternalServerError, HTTP 500');
    const port = new URL(env.vaultUrl).port;
    const unreachable = await azureClient({
      ...baseSpec(secretAuth()),
      vaultUrl: env.vaultUrl.replace(`:${port}`, ':1'),
    });
    expect(await failure(unreachable.client.get({ path: secret }, signal()))).toBeInstanceOf(
      UnavailableError,
    );
  });
});

describe('secret values stay out of errors and logs', () => {
  test('no generated value appears in any error seen or any log line', () => {
    expect(errorsSeen.length).toBeGreaterThan(5);
    const haystack = [
      ...errorsSeen.map(
        (error) => `${String(error)} ${JSON.stringify(error, Object.getOwnPropertyNames(error))}`,
      ),
      ...logLines,
    ].join('\n');
    for (const value of [...generated, env.clientSecret]) expect(haystack.includes(value)).toBe(false);
    expect(errorsSeen.every((error) => (error as Error).cause === undefined)).toBe(true);
  });
});
