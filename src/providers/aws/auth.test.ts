import { FakeClock } from '../../kube/clock.js';
import {
  scopeCredentials,
  type CredentialSource,
  type SecretKeyRef,
  type ServiceAccountRef,
} from '../credentials.js';
import { CredentialsUnavailableError, ProviderNotAllowedError } from '../errors.js';
import { silentLogger, type ProviderIdentity } from '../types.js';
import { createAwsAuth, type AwsCredentialProvider } from './auth.js';
import { validatedSpec } from '../testing/validated-spec.js';
import { parseAwsSpec } from './spec.js';
import type { AssumeRoleRequest, AwsCredentials, StsApi, WebIdentityRequest } from './sts.js';

const provider: ProviderIdentity = { kind: 'SecretProvider', name: 'aws', namespace: 'payments' };

class FakeCredentials implements CredentialSource {
  readonly values = new Map<string, string>();
  readonly reads: string[] = [];
  readonly tokens: Array<{ ref: ServiceAccountRef; audiences: string[]; seconds: number }> = [];
  secretKey(ref: SecretKeyRef) {
    this.reads.push(`${ref.namespace}/${ref.name}/${ref.key}`);
    const value = this.values.get(ref.key);
    if (value === undefined)
      return Promise.reject(new CredentialsUnavailableError({ provider: 'k' }, 'missing'));
    return Promise.resolve({ value: Buffer.from(value), resourceVersion: '1' });
  }
  serviceAccountToken(ref: ServiceAccountRef, audiences: string[], seconds: number) {
    this.tokens.push({ ref, audiences, seconds });
    return Promise.resolve({ token: `jwt-${this.tokens.length}`, expiresAt: new Date(seconds * 1000) });
  }
}

class FakeSts implements StsApi {
  readonly log: string[] = [];
  constructor(
    private readonly source: AwsCredentialProvider | undefined,
    private readonly shared: string[],
    /** When the credentials STS hands out expire. */
    private readonly expiration: () => Date,
  ) {}
  async assumeRole(request: AssumeRoleRequest): Promise<AwsCredentials> {
    const signer = this.source ? (await this.source()).accessKeyId : 'default-chain';
    this.shared.push(
      `AssumeRole ${request.roleArn} ${request.sessionName} ${request.externalId ?? '-'} by ${signer}`,
    );
    return {
      accessKeyId: 'ASIA-ROLE',
      secretAccessKey: 's',
      sessionToken: 't',
      expiration: this.expiration(),
    };
  }
  assumeRoleWithWebIdentity(request: WebIdentityRequest): Promise<AwsCredentials> {
    this.shared.push(
      `AssumeRoleWithWebIdentity ${request.roleArn} ${request.sessionName} ${request.webIdentityToken}`,
    );
    return Promise.resolve({
      accessKeyId: 'ASIA-WEB',
      secretAccessKey: 's',
      sessionToken: 't',
      expiration: this.expiration(),
    });
  }
  close(): void {
    this.shared.push('close');
  }
}

function setup(spec: Record<string, unknown>, lifetimeMs = 3_600_000) {
  const credentials = new FakeCredentials();
  const log: string[] = [];
  const clock = new FakeClock();
  const auth = createAwsAuth({
    settings: parseAwsSpec(validatedSpec('aws', { region: 'eu-west-1', ...spec }), provider, {
      provider: 'p',
    }),
    credentials: scopeCredentials(credentials, { provider }),
    clock,
    logger: silentLogger,
    provider: 'SecretProvider payments/aws',
    makeSts: (source) => new FakeSts(source, log, () => new Date(clock.now() + lifetimeMs)),
  });
  return { auth, credentials, log, clock };
}

const secretRef = { name: 'aws-creds', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' };

describe('createAwsAuth', () => {
  test('nothing set: the SDK default chain (no provider of ours)', () => {
    const { auth } = setup({});
    expect(auth.credentials).toBeUndefined();
    expect(auth.description).toBe('defaultChain');
  });

  test('secretRef: the access key (and session token) from the provider namespace, read once', async () => {
    const { auth, credentials } = setup({ auth: { secretRef: { ...secretRef, sessionTokenKey: 'token' } } });
    credentials.values.set('id', ' AKIAEXAMPLE\n').set('secret', 'sk').set('token', 'st');
    expect(await auth.credentials!()).toEqual({
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'sk',
      sessionToken: 'st',
    });
    await auth.credentials!();
    expect(credentials.reads.sort()).toEqual([
      'payments/aws-creds/id',
      'payments/aws-creds/secret',
      'payments/aws-creds/token',
    ]);
  });

  test('secretRef: an empty key is a CredentialsUnavailableError; another namespace is not allowed', async () => {
    const empty = setup({ auth: { secretRef } });
    empty.credentials.values.set('id', '').set('secret', 'sk');
    await expect(empty.auth.credentials!()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    const other = setup({ auth: { secretRef: { ...secretRef, namespace: 'elsewhere' } } });
    await expect(other.auth.credentials!()).rejects.toBeInstanceOf(ProviderNotAllowedError);
  });

  test('webIdentity: a ServiceAccount token for sts.amazonaws.com exchanged for the role', async () => {
    const { auth, credentials, log } = setup({
      auth: {
        webIdentity: {
          serviceAccountRef: { name: 'payments-app' },
          roleArn: 'arn:aws:iam::123456789012:role/web',
        },
      },
    });
    expect((await auth.credentials!()).accessKeyId).toBe('ASIA-WEB');
    await auth.credentials!();
    expect(credentials.tokens).toEqual([
      {
        ref: { namespace: 'payments', name: 'payments-app' },
        audiences: ['sts.amazonaws.com'],
        seconds: 600,
      },
    ]);
    expect(log).toEqual([
      'AssumeRoleWithWebIdentity arn:aws:iam::123456789012:role/web secretsource-aws jwt-1',
    ]);
  });

  test('role on top of an access key: AssumeRole signed with that key, external ID and session name', async () => {
    const { auth, credentials, log } = setup({
      role: 'arn:aws:iam::123456789012:role/reader',
      externalId: 'ext-42',
      sessionName: 'payments',
      auth: { secretRef },
    });
    credentials.values.set('id', 'AKIASOURCE').set('secret', 'sk');
    expect((await auth.credentials!()).accessKeyId).toBe('ASIA-ROLE');
    expect(auth.description).toBe('secretRef+assumeRole');
    expect(log).toEqual(['AssumeRole arn:aws:iam::123456789012:role/reader payments ext-42 by AKIASOURCE']);
    auth.close();
    expect(log.at(-1)).toBe('close');
  });

  test('role on top of web identity chains the two; on the default chain it signs with the chain', async () => {
    const chained = setup({
      role: 'arn:aws:iam::123456789012:role/reader',
      auth: {
        webIdentity: { serviceAccountRef: { name: 'sa' }, roleArn: 'arn:aws:iam::123456789012:role/web' },
      },
    });
    await chained.auth.credentials!();
    expect(chained.log).toEqual([
      'AssumeRoleWithWebIdentity arn:aws:iam::123456789012:role/web secretsource-aws jwt-1',
      'AssumeRole arn:aws:iam::123456789012:role/reader secretsource-aws - by ASIA-WEB',
    ]);
    const chain = setup({ role: 'arn:aws:iam::123456789012:role/reader' });
    await chain.auth.credentials!();
    expect(chain.log).toEqual([
      'AssumeRole arn:aws:iam::123456789012:role/reader secretsource-aws - by default-chain',
    ]);
  });

  // The refresh itself is RefreshingCredential's (../refreshing-credential.test.ts); AWS's own are
  // the margins: a third of the lifetime, at least 5 minutes, before the expiration.
  const webIdentity = {
    auth: {
      webIdentity: { serviceAccountRef: { name: 'sa' }, roleArn: 'arn:aws:iam::123456789012:role/web' },
    },
  };
  const exchanges = (log: string[]) =>
    log.filter((line) => line.startsWith('AssumeRoleWithWebIdentity')).length;

  test.each([
    { lifetimeMin: 60, refreshAtMin: 40 }, // a third left
    { lifetimeMin: 12, refreshAtMin: 7 }, // a third would be 4 minutes: 5
  ])(
    'temporary credentials living $lifetimeMin min are replaced after $refreshAtMin min, while idle too',
    async ({ lifetimeMin, refreshAtMin }) => {
      const { auth, log, clock } = setup(webIdentity, lifetimeMin * 60_000);
      await auth.credentials!();
      await clock.advanceAsync(refreshAtMin * 60_000 - 1);
      expect(exchanges(log)).toBe(1);
      await clock.advanceAsync(1);
      expect(exchanges(log)).toBe(2);
      auth.close();
      expect(clock.pendingTimers()).toBe(0);
    },
  );

  test('close() ends what the SDK waits for', async () => {
    const { auth } = setup(webIdentity);
    auth.close();
    await expect(auth.credentials!()).rejects.toThrow('the AWS client was closed');
  });
});
