// The AWS Secrets Manager provider through the operator: one operator process, authenticated as the
// config/rbac ServiceAccount, syncs SecretSources in this file's namespace from moto_server into
// Secrets on the real kube-apiserver. The SecretProvider's endpoint is a counting proxy in front of
// $AWS_ENDPOINT_URL (as in e2e/providers/aws.e2e.test.ts), so the tests see how many Secrets Manager
// calls moto received. Values are random and compared without printing them.
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  adminKubeConfig,
  createNamespace,
  eventually,
  installCrds,
  requireEnv,
  uniqueName,
  readyCondition,
} from '../support/kube.js';
import { CountingProxy } from '../support/counting-proxy.js';
import {
  installOperatorRbac,
  leakedCount,
  startNamespacedOperator,
  type RunningOperator,
} from '../support/operator.js';
import { SecretSourceObjects, holds } from '../support/secret-sources.js';

jest.setTimeout(60_000);

const PROVIDER = 'aws';
const CREDS_SECRET = 'aws-creds';

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);

const neverPrinted: string[] = [];
const prefix = uniqueName('e2e-op-aws');
let namespace: string;
let objects: SecretSourceObjects;
let operator: RunningOperator;
let operatorExit: number | null | undefined;

function generated(): string {
  const value = randomBytes(16).toString('hex');
  neverPrinted.push(value);
  return value;
}

// --------------------------------------------------------------------------------------------
// moto

const proxy = new CountingProxy();
const admin = new SecretsManagerClient({
  region: requireEnv('AWS_REGION'),
  endpoint: requireEnv('AWS_ENDPOINT_URL'),
});
const createdSecrets: string[] = [];

async function createAwsSecret(name: string, value: string): Promise<string> {
  const path = `${prefix}/${name}`;
  await admin.send(new CreateSecretCommand({ Name: path, SecretString: value }));
  createdSecrets.push(path);
  return path;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// --------------------------------------------------------------------------------------------

beforeAll(async () => {
  await proxy.start(requireEnv('AWS_ENDPOINT_URL'));
  await installCrds(kc);
  await installOperatorRbac(kc);
  namespace = await createNamespace(kc, 'aws');
  objects = new SecretSourceObjects(kc, namespace, {
    provider: PROVIDER,
    sourceDefaults: (name) => ({ target: { name } }),
  });
  // moto accepts any key pair while IAM enforcement is off; the environment's test keys are used.
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: CREDS_SECRET },
      stringData: {
        'access-key-id': requireEnv('AWS_ACCESS_KEY_ID'),
        'secret-access-key': requireEnv('AWS_SECRET_ACCESS_KEY'),
      },
    },
  });
  await objects.createProvider(PROVIDER, {
    aws: {
      region: requireEnv('AWS_REGION'),
      endpoint: proxy.url,
      auth: {
        secretRef: {
          name: CREDS_SECRET,
          accessKeyIdKey: 'access-key-id',
          secretAccessKeyKey: 'secret-access-key',
        },
      },
    },
  });
  operator = await startNamespacedOperator(kc, namespace, 'e2e-aws');
  await objects.waitProviderReady(PROVIDER, 'True', undefined, 30_000);
}, 120_000);

afterAll(async () => {
  try {
    // Lets the operator run every finalizer; whatever is left cannot keep the namespace Terminating.
    operatorExit = await objects?.tearDown(operator);
  } finally {
    for (const name of createdSecrets)
      await admin
        .send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }))
        .catch(() => undefined);
    admin.destroy();
    await proxy.stop();
  }
  expect(operatorExit).toBe(0);
  expect(leakedCount(operator.output(), neverPrinted)).toBe(0);
}, 60_000);

test('a JSON property (data) and a whole JSON secret (dataFrom) sync into one Secret', async () => {
  const password = generated();
  const host = generated();
  const port = generated();
  const single = await createAwsSecret('db', JSON.stringify({ username: 'app', password }));
  const map = await createAwsSecret('conn', JSON.stringify({ host, port }));
  await objects.createSource('json', {
    refresh: { interval: '1h' },
    data: [{ key: 'password', remoteRef: { path: single, property: 'password' } }],
    dataFrom: [{ path: map }],
  });
  await objects.waitReady('json', 'True', 'Synced');
  const secret = await objects.getSecret('json');
  expect(Object.keys(secret?.data ?? {}).sort()).toEqual(['host', 'password', 'port']);
  expect(holds(secret, 'password', password)).toBe(true);
  expect(holds(secret, 'host', host)).toBe(true);
  expect(holds(secret, 'port', port)).toBe(true);
});

test('a rotation in AWS (PutSecretValue → new AWSCURRENT) is picked up on refresh', async () => {
  const first = generated();
  const path = await createAwsSecret('rotating', JSON.stringify({ password: first }));
  await objects.createSource('rotating', {
    refresh: { interval: '2s' },
    data: [{ key: 'password', remoteRef: { path, property: 'password' } }],
  });
  await objects.waitValue('rotating', 'password', first);
  const second = generated();
  await admin.send(
    new PutSecretValueCommand({ SecretId: path, SecretString: JSON.stringify({ password: second }) }),
  );
  // Refresh every 2 s, plus the 5 s read-sharing window: well within 20 s.
  await objects.waitValue('rotating', 'password', second, 20_000);
});

test('a missing secret → Ready=False RemoteNotFound, no Secret', async () => {
  await objects.createSource('missing', {
    refresh: { interval: '1h' },
    data: [{ key: 'x', remoteRef: { path: `${prefix}/does-not-exist` } }],
  });
  const missing = await objects.waitReady('missing', 'False', 'RemoteNotFound');
  expect(readyCondition(missing)!.message).toContain('does-not-exist');
  expect(await objects.getSecret('missing')).toBeUndefined();
});

test('a namespaced SecretProvider without auth (the default chain) → ProviderNotAllowed', async () => {
  await objects.createProvider('no-auth', { aws: { region: requireEnv('AWS_REGION'), endpoint: proxy.url } });
  await objects.createSource(
    'no-auth',
    { refresh: { interval: '1h' }, data: [{ key: 'x', remoteRef: { path: `${prefix}/db` } }] },
    'no-auth',
  );
  await objects.waitReady('no-auth', 'False', 'ProviderNotAllowed');
  expect(await objects.getSecret('no-auth')).toBeUndefined();
});

/** Groups times (ms) into waves: a gap longer than `gapMs` starts a new one. */
test('periodic refreshes share a read up to half the interval old and fall into one phase', async () => {
  // Group A syncs at 0 s; group B at about 7 s, after the 5 s share window, so B reads on its own.
  // A refreshes at about 20 s and reads; B, due at about 27 s, uses that read (7 s old, under half
  // the 20 s interval) and counts its next refresh from it: from then on A and B refresh together.
  // Without that, each secret would be read 4 times in the 40 s watched (A at 20 and 40, B at
  // 27 and 47); with it, twice (3 times if the window catches a third refresh at its edge).
  const values = [generated(), generated()];
  const paths = await Promise.all(values.map((v, i) => createAwsSecret(`phase-${i}`, JSON.stringify({ v }))));
  const spec = (i: number) => ({
    refresh: { interval: '20s' },
    data: [{ key: 'v', remoteRef: { path: paths[i % 2], property: 'v' } }],
  });
  const groupA = ['phase-a0', 'phase-a1', 'phase-a2', 'phase-a3'];
  const groupB = ['phase-b0', 'phase-b1', 'phase-b2', 'phase-b3'];
  await Promise.all(groupA.map((name, i) => objects.createSource(name, spec(i))));
  await Promise.all(groupA.map((name, i) => objects.waitValue(name, 'v', values[i % 2]!, 30_000)));
  await sleep(7_000);
  await Promise.all(groupB.map((name, i) => objects.createSource(name, spec(i))));
  await Promise.all(groupB.map((name, i) => objects.waitValue(name, 'v', values[i % 2]!, 30_000)));

  const watched = proxy.actions.length;
  await sleep(40_000);
  for (const path of paths) {
    const reads = proxy.reads(watched, [path!]);
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(3);
  }
}, 120_000);

test('20 SecretSources over 4 secrets: every sync wave reads each secret at most once', async () => {
  const values = [generated(), generated(), generated(), generated()];
  const paths = await Promise.all(values.map((v, i) => createAwsSecret(`fan-${i}`, JSON.stringify({ v }))));
  const names = Array.from({ length: 20 }, (_, i) => `fan-${i}`);
  const start = proxy.actions.length;
  await Promise.all(
    names.map((name, i) =>
      objects.createSource(name, {
        refresh: { interval: '1h' },
        data: [{ key: 'v', remoteRef: { path: paths[i % 4], property: 'v' } }],
      }),
    ),
  );
  await Promise.all(names.map((name, i) => objects.waitValue(name, 'v', values[i % 4]!, 30_000)));
  // The bound: identical reads inside one 5 s window are shared by the read coalescer, and the 20
  // SecretSources are created within well under a second, so each of the 4 secrets is read at most
  // once (4 GetSecretValue in the worst case); the AWS batcher usually folds them into 1
  // BatchGetSecretValue. Without sharing it would be 20 reads.
  const initial = proxy.reads(start, paths);
  expect(initial).toBeGreaterThanOrEqual(1);
  expect(initial).toBeLessThanOrEqual(4);

  // A second wave after the shared window has closed: a spec change on all 20 at once (a
  // force-sync would not do: it reads fresh on purpose, bypassing the shared window); same bound.
  await sleep(6_000);
  const wave = proxy.actions.length;
  await Promise.all(
    names.map((name) => objects.patchSource(name, { spec: { refresh: { interval: '30m' } } })),
  );
  await eventually(async () => {
    if (proxy.reads(wave, paths) === 0) throw new Error('no read yet');
  });
  await sleep(3_000);
  const second = proxy.reads(wave, paths);
  expect(second).toBeGreaterThanOrEqual(1);
  expect(second).toBeLessThanOrEqual(4);
}, 90_000);
