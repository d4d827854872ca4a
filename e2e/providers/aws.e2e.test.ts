// The AWS Secrets Manager provider against a real moto server (AWS_ENDPOINT_URL, AWS_REGION and the
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY moto takes), built through the provider factory with a fake
// CredentialSource holding the test's own values. Every provider request goes through a small
// counting proxy in front of moto, so the tests assert how many calls of each kind moto received.
// Values are random and compared without printing them.
//
// What moto cannot show: with IAM enforcement on, moto answers a denied Secrets Manager action and a
// rejected signature alike (HTTP 403 with an XML body where AWS sends AccessDeniedException), so the
// behaviours that hinge on AccessDeniedException (validate() passing without ListSecrets, falling
// back from a denied BatchGetSecretValue to GetSecretValue) are covered by the unit tests.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ProviderHarness, type Harness } from '../support/provider-harness.js';
import { awsProviderFactory, type AwsClientOptions } from '../../src/providers/aws/index.js';
import { ProviderClientCache } from '../../src/providers/client-cache.js';
import {
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
  ProviderNotAllowedError,
  UnauthorizedError,
  UnavailableError,
} from '../../src/providers/errors.js';
import { valueMap } from '../../src/providers/property.js';
import { CoalescingReader, ReadCoalescer } from '../../src/providers/read-coalescer.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import {
  remoteRefKey,
  type ProviderCallStatus,
  type ProviderClient,
  type ProviderIdentity,
  type RemoteValue,
} from '../../src/providers/types.js';
import { requireEnv } from '../support/kube.js';
import { CountingProxy } from '../support/counting-proxy.js';
import { MotoAdmin, xmlField } from '../support/moto-admin.js';

const motoUrl = (): string => requireEnv('AWS_ENDPOINT_URL');
const region = (): string => requireEnv('AWS_REGION');
const signal = (): AbortSignal => AbortSignal.timeout(20_000);
const secretValue = (): string => randomBytes(16).toString('hex');
const sameText = (actual: Buffer | undefined, expected: string): boolean =>
  actual !== undefined && actual.toString('utf8') === expected;

const run = randomBytes(4).toString('hex');
const prefix = `e2e-aws-${run}`;
// A ClusterSecretProvider used from namespace team-a: a namespaced SecretProvider may not use the
// default chain (the operator's own identity), which several tests need.
const provider: ProviderIdentity = { kind: 'ClusterSecretProvider', name: 'e2e-aws' };
const consumerNamespace = 'team-a';

// ---------------------------------------------------------------------------------------------
// Collaborators

class TestCredentials implements CredentialSource {
  readonly #secrets = new Map<string, CredentialSecretValue>();
  readonly tokenRequests: Array<{ ref: ServiceAccountRef; audiences: string[] }> = [];
  #version = 0;

  set(ref: SecretKeyRef, value: string): this {
    this.#secrets.set(`${ref.namespace}/${ref.name}/${ref.key}`, {
      value: Buffer.from(value),
      resourceVersion: String(++this.#version),
    });
    return this;
  }

  secretKey(ref: SecretKeyRef): Promise<CredentialSecretValue> {
    const found = this.#secrets.get(`${ref.namespace}/${ref.name}/${ref.key}`);
    // What KubernetesCredentialSource throws for a missing Secret or key.
    return found
      ? Promise.resolve(found)
      : Promise.reject(new CredentialsUnavailableError({ provider: 'kubernetes' }, `no key "${ref.key}"`));
  }

  serviceAccountToken(ref: ServiceAccountRef, audiences: string[]): Promise<ServiceAccountToken> {
    this.tokenRequests.push({ ref, audiences });
    // A JWT-shaped token; moto's AssumeRoleWithWebIdentity does not verify it.
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${part({ alg: 'RS256' })}.${part({ sub: `system:serviceaccount:${ref.namespace}:${ref.name}`, aud: audiences })}.sig`;
    return Promise.resolve({ token, expiresAt: new Date(Date.now() + 600_000) });
  }
}

/** Everything the provider logs, to check that no value ever shows up there. */

const harness = new ProviderHarness();
/** Every error a test saw, and what the providers logged: none may carry a value. */
const { errorsSeen, logLines } = harness;
const capturingLogger = harness.logger;
const proxy = new CountingProxy();

async function awsClient(
  spec: Record<string, unknown>,
  credentials: CredentialSource = new TestCredentials(),
  options: AwsClientOptions = {},
): Promise<Harness> {
  const prepared = awsProviderFactory(options).prepare(
    { region: region(), endpoint: proxy.url, ...spec },
    provider,
  );
  return harness.open(prepared, { provider, credentials, consumerNamespace, signal: signal(), type: 'aws' });
}

const failure = (promise: Promise<unknown>): Promise<unknown> => harness.failure(promise);

const text = (value: RemoteValue | Error | undefined): string | undefined =>
  value === undefined || value instanceof Error ? undefined : value.value.toString('utf8');

// ---------------------------------------------------------------------------------------------
// moto set-up: secrets through the SDK, IAM through its query API (moto checks no signature
// while IAM enforcement is off, which is its default)

const admin = new SecretsManagerClient({
  region: process.env.AWS_REGION ?? 'us-east-1',
  ...(process.env.AWS_ENDPOINT_URL ? { endpoint: process.env.AWS_ENDPOINT_URL } : {}),
});
const created: string[] = [];
const generated: string[] = [];

async function createSecret(
  name: string,
  value: string | Uint8Array,
  tags: Record<string, string> = {},
): Promise<{ arn: string; versionId: string }> {
  const output = await admin.send(
    new CreateSecretCommand({
      Name: name,
      ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  created.push(name);
  return { arn: output.ARN!, versionId: output.VersionId! };
}

async function putValue(name: string, value: string): Promise<string> {
  return (await admin.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }))).VersionId!;
}

const moto = new MotoAdmin();
const iam = (params: Record<string, string>): Promise<string> => moto.iam(params);
const createRole = (name: string, trust: object, actions: string[]): Promise<string> =>
  moto.createRole(name, trust, actions);

/** moto's IAM enforcement is server-wide: keep the window short and always switch it back. */
async function withIamEnforced(body: () => Promise<void>): Promise<void> {
  const switched = await fetch(`${motoUrl()}/moto-api/reset-auth`, { method: 'POST', body: '0' });
  const previous = ((await switched.json()) as { PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT: string })
    .PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT;
  try {
    await body();
  } finally {
    await fetch(`${motoUrl()}/moto-api/reset-auth`, { method: 'POST', body: previous });
  }
}

// Secrets shared by the read tests.
const json = { username: 'app', password: secretValue(), nested: { token: secretValue() }, port: 5432 };
const plain = secretValue();
const binary = randomBytes(48);
let jsonSecret: { arn: string; versionId: string };

beforeAll(async () => {
  generated.push(json.password, json.nested.token, plain, binary.toString('base64'), binary.toString('hex'));
  await proxy.start(motoUrl());
  jsonSecret = await createSecret(`${prefix}/json`, JSON.stringify(json));
  await createSecret(`${prefix}/plain`, plain);
  await createSecret(`${prefix}/binary`, new Uint8Array(binary));
});

afterAll(async () => {
  await harness.closeAll();
  await proxy.stop();
  for (const name of created) {
    await admin
      .send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }))
      .catch(() => {});
  }
  admin.destroy();
  moto.close();
});

beforeEach(() => proxy.reset());

// ---------------------------------------------------------------------------------------------

describe('reads', () => {
  test('by name, full ARN and partial ARN: the whole SecretString with its version id', async () => {
    const { client, calls } = await awsClient({}, undefined, { batchWindowMs: 0 });
    for (const path of [`${prefix}/json`, jsonSecret.arn, jsonSecret.arn.slice(0, -7)]) {
      const got = await client.get({ path }, signal());
      expect(JSON.parse(got.value.toString('utf8'))).toEqual(json);
      expect(got.version).toBe(jsonSecret.versionId);
    }
    expect(sameText((await client.get({ path: `${prefix}/plain` }, signal())).value, plain)).toBe(true);
    expect(proxy.count('GetSecretValue')).toBe(4);
    expect(calls).toEqual(Array.from({ length: 4 }, () => ({ operation: 'get', status: 'success' })));
  });

  test('one JSON property, a nested dotted path, and every top-level key for dataFrom', async () => {
    const { client } = await awsClient({});
    const path = `${prefix}/json`;
    expect(sameText((await client.get({ path, property: 'password' }, signal())).value, json.password)).toBe(
      true,
    );
    expect(
      sameText((await client.get({ path, property: 'nested.token' }, signal())).value, json.nested.token),
    ).toBe(true);
    expect(sameText((await client.get({ path, property: 'port' }, signal())).value, '5432')).toBe(true);
    const map = valueMap(await client.get({ path }, signal()), { provider: 'test' });
    expect([...map.keys()].sort()).toEqual(['nested', 'password', 'port', 'username']);
    expect(sameText(map.get('password'), json.password)).toBe(true);
    expect(await failure(client.get({ path, property: 'missing' }, signal()))).toBeInstanceOf(NotFoundError);
    expect(await failure(client.get({ path: `${prefix}/plain`, property: 'x' }, signal()))).toBeInstanceOf(
      InvalidRefError,
    );
  });

  test('SecretBinary comes back as the same bytes', async () => {
    const { client } = await awsClient({});
    const got = await client.get({ path: `${prefix}/binary` }, signal());
    expect(got.value.equals(binary)).toBe(true);
  });

  test('a stage change made in AWS is picked up on the next read; stages and version ids pin versions', async () => {
    const { client } = await awsClient({});
    const path = `${prefix}/rotating`;
    const [one, two, three] = [secretValue(), secretValue(), secretValue()];
    generated.push(one, two, three);
    const first = (await createSecret(path, one)).versionId;
    expect(sameText((await client.get({ path }, signal())).value, one)).toBe(true);

    const second = await putValue(path, two); // moto moves AWSCURRENT to it and AWSPREVIOUS to `first`
    const current = await client.get({ path }, signal());
    expect(sameText(current.value, two)).toBe(true);
    expect(current.version).toBe(second);
    expect(sameText((await client.get({ path, version: 'AWSPREVIOUS' }, signal())).value, one)).toBe(true);
    expect(sameText((await client.get({ path, version: first }, signal())).value, one)).toBe(true);
    expect(sameText((await client.get({ path, version: `versionId:${first}` }, signal())).value, one)).toBe(
      true,
    );

    await putValue(path, three);
    expect(sameText((await client.get({ path }, signal())).value, three)).toBe(true);
    expect(sameText((await client.get({ path, version: 'AWSPREVIOUS' }, signal())).value, two)).toBe(true);
  });

  test('a missing secret, stage or version id is NotFound and names only the path', async () => {
    const { client } = await awsClient({});
    const missing = `${prefix}/does-not-exist`;
    const error = (await failure(client.get({ path: missing }, signal()))) as Error;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain(missing);
    expect(error.message).not.toMatch(/can't find/i); // AWS's own text is not copied
    expect(
      await failure(client.get({ path: `${prefix}/json`, version: 'AWSPENDING' }, signal())),
    ).toBeInstanceOf(NotFoundError);
    expect(
      await failure(client.get({ path: `${prefix}/json`, version: randomUUID() }, signal())),
    ).toBeInstanceOf(NotFoundError);
    expect(await failure(client.get({ path: 'has space' }, signal()))).toBeInstanceOf(InvalidRefError);
    expect(proxy.count('GetSecretValue') + proxy.count('BatchGetSecretValue')).toBe(3); // the bad name never left
  });

  test('an aborted read rejects with the caller reason', async () => {
    const { client } = await awsClient({});
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    await expect(client.get({ path: `${prefix}/json` }, controller.signal)).rejects.toThrow('caller gave up');
  });
});

describe('find', () => {
  const found = async (client: ProviderClient, query: Parameters<NonNullable<ProviderClient['find']>>[0]) =>
    [...(await client.find!(query, signal())).keys()].sort();

  beforeAll(async () => {
    await createSecret(`${prefix}/find/a`, '{"k":"a"}', { team: run, env: 'prod' });
    await createSecret(`${prefix}/find/b`, '{"k":"b"}', { team: run, env: 'dev' });
    await createSecret(`${prefix}/other/c`, '{"k":"c"}', { team: run, env: 'prod' });
    await createSecret(`${prefix}/other/d`, '{"k":"d"}', { team: `${run}x`, env: 'prod' });
  });

  test('by name prefix, by tags (exact values), by regular expression', async () => {
    const { client } = await awsClient({});
    expect(await found(client, { path: `${prefix}/find/` })).toEqual([
      `${prefix}/find/a`,
      `${prefix}/find/b`,
    ]);
    expect(await found(client, { tags: { team: run } })).toEqual([
      `${prefix}/find/a`,
      `${prefix}/find/b`,
      `${prefix}/other/c`,
    ]);
    expect(await found(client, { tags: { team: run, env: 'prod' } })).toEqual([
      `${prefix}/find/a`,
      `${prefix}/other/c`,
    ]);
    expect(await found(client, { path: prefix, name: '/(a|d)$' })).toEqual([
      `${prefix}/find/a`,
      `${prefix}/other/d`,
    ]);
    const values = await client.find!({ path: `${prefix}/other/`, tags: { env: 'prod' } }, signal());
    expect([...values.keys()].sort()).toEqual([`${prefix}/other/c`, `${prefix}/other/d`]);
    expect(text(values.get(`${prefix}/other/c`))).toBe('{"k":"c"}');
    // One listing and one batched read per find.
    expect(proxy.count('ListSecrets')).toBe(5);
    expect(proxy.count('BatchGetSecretValue')).toBe(5);
    expect(proxy.count('GetSecretValue')).toBe(0);
  });
});

describe('write', () => {
  test('one property by read-modify-write, then the whole value', async () => {
    const path = `${prefix}/write`;
    const [kept, old, fresh, whole] = [secretValue(), secretValue(), secretValue(), secretValue()];
    generated.push(kept, old, fresh, whole);
    await createSecret(path, JSON.stringify({ kept, rotated: old }));
    const { client, calls } = await awsClient({});
    await client.write!({ path, property: 'rotated' }, Buffer.from(fresh), signal());
    const document = JSON.parse((await client.get({ path }, signal())).value.toString('utf8')) as Record<
      string,
      string
    >;
    expect(document.kept === kept && document.rotated === fresh).toBe(true);
    expect(
      sameText(
        (await client.get({ path, version: 'AWSPREVIOUS', property: 'rotated' }, signal())).value,
        old,
      ),
    ).toBe(true);
    await client.write!({ path }, Buffer.from(whole), signal());
    expect(sameText((await client.get({ path }, signal())).value, whole)).toBe(true);
    expect(calls.filter((call) => call.operation === 'write')).toEqual([
      { operation: 'write', status: 'success' },
      { operation: 'write', status: 'success' },
    ]);
    // A secret that does not exist yet is created: spec.generate's first value.
    const fresh2 = secretValue();
    await client.write!({ path: `${prefix}/created`, property: 'k' }, Buffer.from(fresh2), signal());
    const createdDocument = JSON.parse(
      (await client.get({ path: `${prefix}/created` }, signal())).value.toString('utf8'),
    ) as Record<string, string>;
    expect(createdDocument.k === fresh2).toBe(true);
    created.push(`${prefix}/created`);
  });
});

describe('batching', () => {
  const batchSecrets: Array<{ name: string; value: string }> = [];

  beforeAll(async () => {
    for (let i = 0; i < 45; i++) {
      const value = secretValue();
      generated.push(value);
      batchSecrets.push({ name: `${prefix}/batch/s${i}`, value });
    }
    await Promise.all(batchSecrets.map(({ name, value }) => createSecret(name, JSON.stringify({ value }))));
  });

  test('100 concurrent get() over 10 secrets: one BatchGetSecretValue, each caller its own value', async () => {
    const { client, calls } = await awsClient({});
    const ten = batchSecrets.slice(0, 10);
    const reads = Array.from({ length: 100 }, (_, i) =>
      client.get({ path: ten[i % 10]!.name, property: 'value' }, signal()),
    );
    const values = await Promise.all(reads);
    expect(values.every((got, i) => sameText(got.value, ten[i % 10]!.value))).toBe(true);
    expect(proxy.count('BatchGetSecretValue')).toBe(1);
    expect(proxy.count('GetSecretValue')).toBe(0);
    expect(calls).toEqual([{ operation: 'getMany', status: 'success' }]);
  });

  test('100 concurrent get() over 45 secrets and a missing one: ceil(46/20) = 3 batch calls, typed errors per caller', async () => {
    const { client } = await awsClient({});
    const missing = `${prefix}/batch/missing`;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        client.get({ path: i === 99 ? missing : batchSecrets[i % 45]!.name, property: 'value' }, signal()),
      ),
    );
    expect(
      outcomes
        .slice(0, 99)
        .every((o, i) => o.status === 'fulfilled' && sameText(o.value.value, batchSecrets[i % 45]!.value)),
    ).toBe(true);
    const last = outcomes[99]!;
    expect(last.status === 'rejected' && last.reason instanceof NotFoundError).toBe(true);
    expect(proxy.count('BatchGetSecretValue')).toBe(3);
    expect(proxy.count('GetSecretValue')).toBe(0);
  });

  test('getMany: 20 ids per BatchGetSecretValue, pinned versions one GetSecretValue each, errors per ref', async () => {
    const { client, calls } = await awsClient({}, undefined, { batchWindowMs: 0 });
    const refs = [
      ...batchSecrets.map(({ name }) => ({ path: name, property: 'value' })),
      { path: `${prefix}/json` },
      { path: `${prefix}/json`, property: 'password' },
      { path: `${prefix}/json`, version: jsonSecret.versionId },
      { path: `${prefix}/json`, version: 'AWSPENDING' },
      { path: `${prefix}/batch/missing` },
    ];
    const results = await client.getMany!(refs, signal());
    expect(results.size).toBe(refs.length);
    expect(
      batchSecrets.every(({ value }, i) =>
        sameText((results.get(remoteRefKey(refs[i]!)) as RemoteValue).value, value),
      ),
    ).toBe(true);
    expect(
      text(results.get(remoteRefKey({ path: `${prefix}/json`, property: 'password' }))) === json.password,
    ).toBe(true);
    expect(
      text(results.get(remoteRefKey({ path: `${prefix}/json`, version: jsonSecret.versionId }))),
    ).toBeDefined();
    expect(results.get(remoteRefKey({ path: `${prefix}/json`, version: 'AWSPENDING' }))).toBeInstanceOf(
      NotFoundError,
    );
    expect(results.get(remoteRefKey({ path: `${prefix}/batch/missing` }))).toBeInstanceOf(NotFoundError);
    // 47 distinct current ids → 3 batches; 2 pinned versions → 2 single reads.
    expect(proxy.count('BatchGetSecretValue')).toBe(3);
    expect(proxy.count('GetSecretValue')).toBe(2);
    expect(calls.filter((call) => call.operation === 'getMany')).toHaveLength(3);
  });

  test('through the client cache and the read coalescer: 200 reads by 20 SecretSources, one batch call', async () => {
    const credentials = new TestCredentials()
      .set({ namespace: 'team-a', name: 'aws-creds', key: 'id' }, 'AKIAE2ECACHE0000000')
      .set({ namespace: 'team-a', name: 'aws-creds', key: 'secret' }, secretValue());
    const calls: Array<{ operation: string; status: ProviderCallStatus }> = [];
    const cache = new ProviderClientCache({
      registry: new ProviderRegistry([awsProviderFactory()]),
      credentials,
      logger: capturingLogger,
      onCall: (_type, operation, status) => calls.push({ operation, status }),
    });
    const reader = new CoalescingReader(new ReadCoalescer({ windowMs: 5_000 }));
    const object = {
      ...provider,
      uid: `uid-${run}`,
      generation: 1,
      spec: {
        aws: {
          region: region(),
          endpoint: proxy.url,
          auth: { secretRef: { name: 'aws-creds', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' } },
        },
      },
    };
    try {
      const client = await cache.acquire(object, consumerNamespace, signal());
      const reads = Array.from({ length: 200 }, (_, i) =>
        reader.get(client, { path: batchSecrets[i % 10]!.name, property: 'value' }, { signal: signal() }),
      );
      const values = await Promise.all(reads);
      expect(values.every((got, i) => sameText(got.value, batchSecrets[i % 10]!.value))).toBe(true);
      expect(cache.size).toBe(1);
      expect(proxy.count('BatchGetSecretValue')).toBe(1);
      expect(calls).toEqual([{ operation: 'getMany', status: 'success' }]);
      expect(new Set(proxy.signers)).toEqual(new Set(['AKIAE2ECACHE0000000']));
    } finally {
      await cache.closeAll();
    }
  });
});

describe('authentication', () => {
  const accessKeySpec = {
    auth: {
      secretRef: {
        name: 'aws-creds',
        accessKeyIdKey: 'id',
        secretAccessKeyKey: 'secret',
        sessionTokenKey: 'token',
      },
    },
  };

  test('nothing set: the default chain (the operator environment) signs; a SecretProvider may not', async () => {
    const { client } = await awsClient({});
    await client.validate(signal());
    expect(new Set(proxy.signers)).toEqual(new Set([requireEnv('AWS_ACCESS_KEY_ID')]));
    const namespaced: ProviderIdentity = {
      kind: 'SecretProvider',
      name: 'e2e-aws',
      namespace: consumerNamespace,
    };
    expect(() => awsProviderFactory().prepare({ region: region() }, namespaced)).toThrow(
      ProviderNotAllowedError,
    );
  });

  test('secretRef: the access key from the Secret signs (session token included)', async () => {
    const credentials = new TestCredentials()
      .set({ namespace: 'team-a', name: 'aws-creds', key: 'id' }, 'AKIAE2ESTATIC000000')
      .set({ namespace: 'team-a', name: 'aws-creds', key: 'secret' }, secretValue())
      .set({ namespace: 'team-a', name: 'aws-creds', key: 'token' }, secretValue());
    const { client, calls } = await awsClient(accessKeySpec, credentials);
    expect(sameText((await client.get({ path: `${prefix}/plain` }, signal())).value, plain)).toBe(true);
    await client.validate(signal());
    expect(new Set(proxy.signers)).toEqual(new Set(['AKIAE2ESTATIC000000']));
    expect(calls.map((call) => call.operation)).toEqual(['get', 'validate']);
  });

  test('a missing credentials key is retryable AuthFailed, before any AWS call', async () => {
    const credentials = new TestCredentials().set(
      { namespace: 'team-a', name: 'aws-creds', key: 'id' },
      'AKIA',
    );
    const { client } = await awsClient(accessKeySpec, credentials);
    const error = (await failure(
      client.get({ path: `${prefix}/plain` }, signal()),
    )) as CredentialsUnavailableError;
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect(error.reason === 'AuthFailed' && error.retryable).toBe(true);
    expect(proxy.actions).toEqual([]);
  });

  test('webIdentity: a ServiceAccount token for sts.amazonaws.com, AssumeRoleWithWebIdentity, temporary keys sign', async () => {
    const roleArn = await createRole(
      `${prefix}-web`,
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: 'kubernetes' },
            Action: 'sts:AssumeRoleWithWebIdentity',
          },
        ],
      },
      ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue'],
    );
    const credentials = new TestCredentials();
    const { client, calls } = await awsClient(
      { auth: { webIdentity: { serviceAccountRef: { name: 'payments-app' }, roleArn } } },
      credentials,
    );
    const reads = await Promise.all([
      client.get({ path: `${prefix}/json`, property: 'password' }, signal()),
      client.get({ path: `${prefix}/plain` }, signal()),
    ]);
    expect(sameText(reads[0]!.value, json.password) && sameText(reads[1]!.value, plain)).toBe(true);
    await client.get({ path: `${prefix}/plain` }, signal());
    expect(credentials.tokenRequests).toEqual([
      { ref: { namespace: 'team-a', name: 'payments-app' }, audiences: ['sts.amazonaws.com'] },
    ]);
    expect(calls.filter((call) => call.operation === 'login')).toEqual([
      { operation: 'login', status: 'success' },
    ]);
    expect(proxy.signers.length).toBeGreaterThan(0);
    expect(proxy.signers.every((signer) => /^ASIA/.test(signer))).toBe(true);
  });

  test('role on top of an access key: AssumeRole once, its temporary keys sign', async () => {
    const roleArn = await createRole(
      `${prefix}-reader`,
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
      },
      ['secretsmanager:GetSecretValue'],
    );
    const credentials = new TestCredentials()
      .set({ namespace: 'team-a', name: 'aws-creds', key: 'id' }, 'AKIAE2ESOURCE000000')
      .set({ namespace: 'team-a', name: 'aws-creds', key: 'secret' }, secretValue());
    const { client, calls } = await awsClient(
      {
        role: roleArn,
        externalId: 'e2e-external',
        sessionName: 'e2e-session',
        auth: { secretRef: { name: 'aws-creds', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' } },
      },
      credentials,
    );
    for (let i = 0; i < 3; i++) await client.get({ path: `${prefix}/plain` }, signal());
    expect(calls.filter((call) => call.operation === 'login')).toHaveLength(1);
    expect(proxy.signers.every((signer) => /^ASIA/.test(signer))).toBe(true);
  });

  test('IAM enforced: allowed reads work; denied actions, unknown keys, wrong secrets and a wrong external ID are AuthFailed', async () => {
    // Set up while enforcement is off.
    const user = `${prefix}-reader`;
    const userArn = xmlField(await iam({ Action: 'CreateUser', UserName: user }), 'Arn');
    const keyXml = await iam({ Action: 'CreateAccessKey', UserName: user });
    const accessKeyId = xmlField(keyXml, 'AccessKeyId');
    const secretAccessKey = xmlField(keyXml, 'SecretAccessKey');
    generated.push(secretAccessKey);
    await iam({
      Action: 'PutUserPolicy',
      UserName: user,
      PolicyName: 'reader',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:ListSecrets'],
            Resource: '*',
          },
          { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' },
        ],
      }),
    });
    const roleArn = await createRole(
      `${prefix}-guarded`,
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: userArn },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': `ext-${run}` } },
          },
        ],
      },
      ['secretsmanager:GetSecretValue'],
    );
    const keys = (id: string, secret: string) =>
      new TestCredentials()
        .set({ namespace: 'team-a', name: 'aws-creds', key: 'id' }, id)
        .set({ namespace: 'team-a', name: 'aws-creds', key: 'secret' }, secret);
    const secretRef = { name: 'aws-creds', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' };
    const reader = await awsClient({ auth: { secretRef } }, keys(accessKeyId, secretAccessKey), {
      maxAttempts: 1,
    });
    const unknown = await awsClient({ auth: { secretRef } }, keys('AKIAE2EUNKNOWN00000', secretValue()), {
      maxAttempts: 1,
    });
    const wrongSecret = await awsClient({ auth: { secretRef } }, keys(accessKeyId, secretValue()), {
      maxAttempts: 1,
    });
    const role = (externalId: string) =>
      awsClient({ role: roleArn, externalId, auth: { secretRef } }, keys(accessKeyId, secretAccessKey), {
        maxAttempts: 1,
      });
    const goodRole = await role(`ext-${run}`);
    const badRole = await role(`ext-${run}-wrong`);

    await withIamEnforced(async () => {
      expect(sameText((await reader.client.get({ path: `${prefix}/plain` }, signal())).value, plain)).toBe(
        true,
      );
      await reader.client.validate(signal());
      const denied = await failure(
        reader.client.write!({ path: `${prefix}/plain` }, Buffer.from('x'), signal()),
      );
      expect(denied).toBeInstanceOf(UnauthorizedError);

      for (const rejected of [unknown, wrongSecret]) {
        expect(await failure(rejected.client.get({ path: `${prefix}/plain` }, signal()))).toBeInstanceOf(
          UnauthorizedError,
        );
        expect(await failure(rejected.client.validate(signal()))).toBeInstanceOf(UnauthorizedError);
      }

      expect(sameText((await goodRole.client.get({ path: `${prefix}/plain` }, signal())).value, plain)).toBe(
        true,
      );
      expect(goodRole.calls.filter((call) => call.operation === 'login')).toEqual([
        { operation: 'login', status: 'success' },
      ]);
      const refused = (await failure(badRole.client.get({ path: `${prefix}/plain` }, signal()))) as Error;
      expect(refused).toBeInstanceOf(UnauthorizedError);
      expect(refused.message).toContain('AssumeRole');
      expect(refused.message).toContain(roleArn);
      expect(badRole.calls).toEqual([{ operation: 'login', status: 'AuthFailed' }]);
    });
    for (const error of errorsSeen)
      expect(String((error as Error).message)).not.toMatch(/is not authorized to perform/);
  });

  test('an unreachable endpoint is Unavailable for reads and validate()', async () => {
    const { client, calls } = await awsClient({ endpoint: 'http://127.0.0.1:1' }, undefined, {
      maxAttempts: 1,
    });
    expect(await failure(client.get({ path: `${prefix}/plain` }, signal()))).toBeInstanceOf(UnavailableError);
    expect(await failure(client.validate(signal()))).toBeInstanceOf(UnavailableError);
    expect(calls.map((call) => call.status)).toEqual(['Unavailable', 'Unavailable']);
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
    for (const value of generated) expect(haystack.includes(value)).toBe(false);
    expect(errorsSeen.every((error) => (error as Error).cause === undefined)).toBe(true);
  });
});
