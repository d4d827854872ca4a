import { FakeClock } from '../../kube/clock.js';
import {
  scopeCredentials,
  type CredentialSource,
  type SecretKeyRef,
  type ServiceAccountRef,
} from '../credentials.js';
import { CredentialsUnavailableError, UnauthorizedError } from '../errors.js';
import { validatedSpec } from '../testing/validated-spec.js';
import { silentLogger, type ProviderCallStatus, type ProviderIdentity } from '../types.js';
import {
  EntraAuth,
  type EntraToken,
  type IdentityOptions,
  type IdentitySdk,
  type TokenSource,
} from './auth.js';
import { parseAzureSpec } from './spec.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER_TENANT = '11111111-2222-3333-4444-555555555555';
const SCOPE = 'https://vault.azure.net/.default';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const provider: ProviderIdentity = { kind: 'SecretProvider', name: 'azure', namespace: 'payments' };

class FakeCredentials implements CredentialSource {
  readonly values = new Map<string, string>();
  readonly tokens: Array<{ ref: ServiceAccountRef; audiences: string[] }> = [];
  secretKey(ref: SecretKeyRef) {
    const value = this.values.get(ref.key);
    if (value === undefined)
      return Promise.reject(new CredentialsUnavailableError({ provider: 'k' }, 'missing'));
    return Promise.resolve({ value: Buffer.from(value), resourceVersion: '1' });
  }
  serviceAccountToken(ref: ServiceAccountRef, audiences: string[]) {
    this.tokens.push({ ref, audiences });
    return Promise.resolve({ token: `sa-jwt-${this.tokens.length}`, expiresAt: new Date(0) });
  }
}

/** Records which @azure/identity credential was built, with what, and hands out tokens of one hour. */
class FakeIdentity implements IdentitySdk {
  readonly built: string[] = [];
  readonly requests: string[] = [];
  options: IdentityOptions | undefined;
  assertion: (() => Promise<string>) | undefined;
  fail: Error | undefined;
  constructor(private readonly clock: FakeClock) {}
  #source(label: string): TokenSource {
    return {
      getToken: async (scopes) => {
        this.requests.push(`${label} ${[scopes].flat().join(' ')}`);
        if (this.fail) throw this.fail;
        if (this.assertion) await this.assertion();
        return { token: `token-${this.requests.length}`, expiresOnTimestamp: this.clock.now() + HOUR };
      },
    };
  }
  clientSecret(tenantId: string, clientId: string, secret: string, options: IdentityOptions) {
    this.built.push(`clientSecret ${tenantId} ${clientId} ${secret.length}`);
    this.options = options;
    return this.#source('clientSecret');
  }
  clientCertificate(tenantId: string, clientId: string, pem: string, options: IdentityOptions) {
    this.built.push(`clientCertificate ${tenantId} ${clientId}`);
    this.options = options;
    return this.#source('clientCertificate');
  }
  clientAssertion(
    tenantId: string,
    clientId: string,
    assertion: () => Promise<string>,
    options: IdentityOptions,
  ) {
    this.built.push(`clientAssertion ${tenantId} ${clientId}`);
    this.options = options;
    this.assertion = assertion;
    return this.#source('clientAssertion');
  }
  managedIdentity(clientId: string | undefined) {
    this.built.push(`managedIdentity ${clientId ?? 'system'}`);
    return this.#source('managedIdentity');
  }
}

let clock: FakeClock;
let identity: FakeIdentity;
let credentials: FakeCredentials;
let calls: ProviderCallStatus[];

function auth(spec: Record<string, unknown>, kind: ProviderIdentity = provider): EntraAuth {
  return new EntraAuth({
    settings: parseAzureSpec(validatedSpec('azure', { vaultUrl: 'https://v.vault.azure.net', ...spec }), {
      provider: 'p',
    }),
    credentials: scopeCredentials(credentials, { provider: kind, consumerNamespace: 'payments' }),
    sdk: identity,
    clock,
    logger: silentLogger,
    onCall: (_type, operation, status) => calls.push(`${operation}:${status}` as ProviderCallStatus),
    provider: 'SecretProvider payments/azure',
  });
}

const secretSpec = {
  tenantId: TENANT,
  authorityHost: 'https://login.localhost:8443',
  caBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  auth: { servicePrincipal: { clientId: 'app', secretRef: { name: 'azure-sp', key: 'client-secret' } } },
};

beforeEach(() => {
  clock = new FakeClock(Date.parse('2026-12-05T10:00:00Z'));
  identity = new FakeIdentity(clock);
  credentials = new FakeCredentials();
  calls = [];
});

describe('EntraAuth', () => {
  test('a client secret: read once, one token shared by every caller and renewed at 2/3 of its life', async () => {
    credentials.values.set('client-secret', 'generated-client-secret');
    const entra = auth(secretSpec);
    const tokens = await Promise.all([entra.getToken(SCOPE), entra.getToken([SCOPE], { tenantId: TENANT })]);
    expect(tokens.map((t: EntraToken) => t.token)).toEqual(['token-1', 'token-1']);
    expect(identity.built).toEqual([`clientSecret ${TENANT} app 23`]);
    expect(identity.options).toEqual({
      authorityHost: 'https://login.localhost:8443',
      disableInstanceDiscovery: true,
      tlsOptions: { ca: secretSpec.caBundle },
    });
    clock.advance(30 * MINUTE);
    expect((await entra.getToken(SCOPE)).token).toBe('token-1');
    await clock.advanceAsync(11 * MINUTE); // the renewal timer at 40 minutes
    expect((await entra.getToken(SCOPE)).token).toBe('token-2');
    expect(identity.requests).toHaveLength(2);
    expect(calls).toEqual(['login:success', 'login:success']);
    entra.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  test("the challenge's tenant is never forwarded; another tenant's GUID is refused, naming both", async () => {
    credentials.values.set('client-secret', 'generated-client-secret');
    const entra = auth(secretSpec);
    await expect(entra.getToken(SCOPE, { tenantId: OTHER_TENANT })).rejects.toThrow(
      new UnauthorizedError(
        { provider: 'SecretProvider payments/azure' },
        `the vault belongs to tenant ${OTHER_TENANT}, not to spec.azure.tenantId ${TENANT}`,
      ),
    );
    expect(identity.requests).toEqual([]);
    // A domain name cannot be compared with a GUID: the token request decides.
    expect((await entra.getToken(SCOPE, { tenantId: 'contoso.onmicrosoft.com' })).token).toBe('token-1');
  });

  test('workload identity: each token fetch presents a fresh TokenRequest token with the Entra audience', async () => {
    const entra = auth({
      tenantId: TENANT,
      authorityHost: 'https://login.localhost:8443',
      auth: { workloadIdentity: { clientId: 'app', serviceAccountRef: { name: 'payments-app' } } },
    });
    await entra.getToken(SCOPE);
    await clock.advanceAsync(41 * MINUTE);
    expect(identity.built).toEqual([`clientAssertion ${TENANT} app`]);
    expect(credentials.tokens).toEqual([
      { ref: { namespace: 'payments', name: 'payments-app' }, audiences: ['api://AzureADTokenExchange'] },
      { ref: { namespace: 'payments', name: 'payments-app' }, audiences: ['api://AzureADTokenExchange'] },
    ]);
    expect(identity.options).toEqual({
      authorityHost: 'https://login.localhost:8443',
      disableInstanceDiscovery: true,
    });
  });

  test('managed identity and a client certificate pick their credential', async () => {
    await auth({ auth: { managedIdentity: { clientId: 'uami' } } }).getToken(SCOPE);
    credentials.values.set(
      'pem',
      '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\ny\n-----END CERTIFICATE-----\n',
    );
    const certificateSpec = {
      tenantId: TENANT,
      auth: { servicePrincipal: { clientId: 'app', certificateRef: { name: 'sp-cert', key: 'pem' } } },
    };
    await auth(certificateSpec).getToken(SCOPE);
    expect(identity.built).toEqual(['managedIdentity uami', `clientCertificate ${TENANT} app`]);
    credentials.values.set('pem', 'no pem here');
    await expect(auth(certificateSpec).getToken(SCOPE)).rejects.toThrow(
      'key "pem" must hold a PEM certificate and its unencrypted private key',
    );
  });

  test('a refused credential is AuthFailed and counted; the next call asks again', async () => {
    credentials.values.set('client-secret', 'generated-client-secret');
    const entra = auth(secretSpec);
    const refused = new Error('invalid_client: AADSTS7000215: Invalid client secret provided.');
    refused.name = 'AuthenticationRequiredError';
    identity.fail = refused;
    await expect(entra.getToken(SCOPE)).rejects.toThrow(
      'SecretProvider payments/azure: Entra ID refused the credentials (invalid_client, AADSTS7000215)',
    );
    identity.fail = undefined;
    expect((await entra.getToken(SCOPE)).token).toBe('token-2');
    expect(calls).toEqual(['login:AuthFailed', 'login:success']);
  });

  test('a missing credentials Secret is retryable AuthFailed and builds nothing', async () => {
    const entra = auth(secretSpec);
    await expect(entra.getToken(SCOPE)).rejects.toThrow(CredentialsUnavailableError);
    expect(identity.built).toEqual([]);
    credentials.values.set('client-secret', 'generated-client-secret');
    expect((await entra.getToken(SCOPE)).token).toBe('token-1');
  });
});
