// The sync core end to end: one operator process, authenticated as the config/rbac ServiceAccount,
// syncs SecretSources in this file's namespace from the real OpenBao dev server into Secrets on the
// real kube-apiserver (with kube-controller-manager's garbage collector). Each test has its own
// SecretSource and OpenBao path. Values are random and compared without printing them.
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import {
  adminKubeConfig,
  createNamespace,
  eventually,
  installCrds,
  uniqueName,
  readyCondition,
} from '../support/kube.js';
import { OpenBaoAdmin } from '../support/openbao-admin.js';
import { scrape, total, type Labels } from '../support/prometheus.js';
import {
  installOperatorRbac,
  leakedCount,
  startNamespacedOperator,
  type RunningOperator,
} from '../support/operator.js';
import {
  GROUP,
  MERGE_PATCH,
  SecretSourceObjects,
  VERSION,
  holds,
  openBaoTokenProvider,
} from '../support/secret-sources.js';

jest.setTimeout(60_000);

const MANAGED_LABEL = 'secretsource.dev/managed';
const HASH_ANNOTATION = 'secretsource.dev/content-hash';
const FORCE_SYNC_ANNOTATION = 'secretsource.dev/force-sync';
const PROVIDER = 'vault';
const TOKEN_SECRET = 'vault-token';

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const apiextensions = kc.makeApiClient(k8s.ApiextensionsV1Api);
const openbao = OpenBaoAdmin.fromEnv();

/** Everything generated that must never show in the operator's output: values and tokens. */
const neverPrinted: string[] = [];
const policy = uniqueName('e2e-sync');
const pathPrefix = uniqueName('e2e-sync');
const createdTokens: string[] = [];
let namespace: string;
let objects: SecretSourceObjects;
let operator: RunningOperator;
let operatorExit: number | null | undefined;

// --------------------------------------------------------------------------------------------
// OpenBao (root token, for setting the server up)

/** A non-root token whose policy reads and writes secret/*. */
async function newToken(): Promise<string> {
  const token = await openbao.createToken([policy], '1h');
  createdTokens.push(token);
  neverPrinted.push(token);
  return token;
}

function generated(): string {
  const value = randomBytes(16).toString('hex');
  neverPrinted.push(value);
  return value;
}

function pathFor(test: string): string {
  return `${pathPrefix}/${test}`;
}

// --------------------------------------------------------------------------------------------
// Kubernetes

async function createTokenSecret(name: string, token: string): Promise<void> {
  await core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: { token } } });
}

async function setTokenSecret(name: string, token: string): Promise<void> {
  await core.patchNamespacedSecret(
    { name, namespace, body: { data: { token: Buffer.from(token).toString('base64') } } },
    MERGE_PATCH,
  );
}

function createProvider(name: string, tokenSecret: string): Promise<void> {
  return objects.createProvider(name, openBaoTokenProvider(tokenSecret));
}

/** The sum of a counter over the label sets `filter` accepts, from the operator's /metrics. */
async function metric(name: string, filter?: (labels: Labels) => boolean): Promise<number> {
  return total(await scrape(operator.metricsUrl), name, filter);
}

/**
 * Writes this file's objects can cause. ClusterSecretProviders are cluster-scoped, so this operator
 * also validates those of test files running in parallel; their status writes are not ours.
 */
const ourWrites = (labels: Labels): boolean => labels.resource !== 'clustersecretproviders/status';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// --------------------------------------------------------------------------------------------

beforeAll(async () => {
  await installCrds(kc);
  await installOperatorRbac(kc);
  namespace = await createNamespace(kc, 'sync');
  objects = new SecretSourceObjects(kc, namespace, { provider: PROVIDER });
  await openbao.putPolicy(
    policy,
    [
      'path "secret/data/*" { capabilities = ["create", "read", "update"] }',
      'path "secret/metadata/*" { capabilities = ["read", "list"] }',
    ].join('\n'),
  );
  await createTokenSecret(TOKEN_SECRET, await newToken());
  await createProvider(PROVIDER, TOKEN_SECRET);
  operator = await startNamespacedOperator(kc, namespace, 'e2e-sync');
  await objects.waitProviderReady(PROVIDER, 'True', undefined, 30_000);
}, 120_000);

afterAll(async () => {
  try {
    // Lets the operator run every finalizer; whatever is left cannot keep the namespace Terminating.
    operatorExit = await objects?.tearDown(operator);
  } finally {
    await Promise.all(createdTokens.map((token) => openbao.revokeToken(token).catch(() => undefined)));
    await openbao.deletePolicy(policy).catch(() => undefined);
  }
  expect(operatorExit).toBe(0);
  expect(leakedCount(operator.output(), neverPrinted)).toBe(0);
}, 60_000);

test('create: data with a property and dataFrom map → a managed, owned Secret, a full status and a Created Event', async () => {
  const password = generated();
  const host = generated();
  const port = generated();
  const single = await openbao.putKv(pathFor('create-single'), { password, user: generated() });
  const map = await openbao.putKv(pathFor('create-map'), { host, port });
  const createdAt = Date.now();
  await objects.createSource('create', {
    data: [{ key: 'db-password', remoteRef: { path: single, property: 'password' } }],
    dataFrom: [{ path: map }],
  });

  const source = await objects.waitReady('create', 'True', 'Synced');
  const observedAt = Date.now();
  const secret = await objects.waitSecret('create');
  expect(Object.keys(secret.data ?? {}).sort()).toEqual(['db-password', 'host', 'port']);
  expect(holds(secret, 'db-password', password)).toBe(true);
  expect(holds(secret, 'host', host)).toBe(true);
  expect(holds(secret, 'port', port)).toBe(true);
  expect(secret.type).toBe('Opaque');
  expect(secret.metadata?.labels?.[MANAGED_LABEL]).toBe('true');
  expect(secret.metadata?.annotations?.['secretsource.dev/source']).toBe('create');
  const hash = secret.metadata?.annotations?.[HASH_ANNOTATION];
  expect(hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  expect(secret.metadata?.ownerReferences).toEqual([
    expect.objectContaining({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SecretSource',
      name: 'create',
      uid: source.metadata.uid,
      controller: true,
    }),
  ]);

  const status = source.status!;
  expect(status.observedGeneration).toBe(source.metadata.generation);
  const lastSync = Date.parse(status.lastSyncTime ?? '');
  const nextRefresh = Date.parse(status.nextRefreshTime ?? '');
  // Ordered, not timed: the sync ran between the create and our reading of it (one machine, one clock).
  expect(lastSync).toBeGreaterThanOrEqual(createdAt);
  expect(lastSync).toBeLessThanOrEqual(observedAt);
  // The default interval is 1h, without jitter, counted from when the read started (after the
  // create, before the sync finished) and rounded up to the second (docs/adr/0008).
  expect(nextRefresh).toBeGreaterThanOrEqual(createdAt + 3_600_000);
  expect(nextRefresh).toBeLessThanOrEqual(lastSync + 3_600_000 + 1_000);
  expect(status.syncedHash).toBe(hash);
  expect(status.targetName).toBe('create');
  expect(status.syncedKeys).toBe(3);
  expect(readyCondition(source)!.message).toContain('3 keys');

  const created = await objects.waitEvent('create', 'Normal', 'Created');
  expect(created.involvedObject.uid).toBe(source.metadata.uid);

  // kubectl's columns: the CRD declares them, and the API server's Table rendering fills them.
  const crd = await apiextensions.readCustomResourceDefinition({ name: `secretsources.${GROUP}` });
  const columns = crd.spec.versions.find((v) => v.name === VERSION)?.additionalPrinterColumns ?? [];
  expect(columns.map((c) => c.name)).toEqual(
    expect.arrayContaining(['Ready', 'Provider', 'Target', 'Last Sync', 'Next Refresh', 'Age']),
  );
  const table = (await custom.getNamespacedCustomObject(
    { group: GROUP, version: VERSION, namespace, plural: 'secretsources', name: 'create' },
    k8s.setHeaderOptions('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io'),
  )) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
  const cell = (column: string): unknown =>
    table.rows[0]!.cells[table.columnDefinitions.findIndex((c) => c.name === column)];
  expect(cell('Ready')).toBe('True');
  expect(cell('Provider')).toBe(PROVIDER);
  expect(cell('Target')).toBe('create');
  expect(cell('Next Refresh')).toBe(status.nextRefreshTime);
});

test('refresh: a value changed in OpenBao reaches the Secret within the interval', async () => {
  const before = generated();
  const path = await openbao.putKv(pathFor('refresh'), { token: before });
  await objects.createSource('refresh', {
    data: [{ key: 'token', remoteRef: { path, property: 'token' } }],
    refresh: { interval: '2s' },
  });
  await objects.waitReady('refresh', 'True', 'Synced');
  await objects.waitValue('refresh', 'token', before);

  const after = generated();
  await openbao.putKv(path, { token: after });
  await objects.waitValue('refresh', 'token', after, 10_000);
  await eventually(async () => {
    const source = await objects.getSource('refresh');
    const secret = await objects.getSecret('refresh');
    if (source?.status?.syncedHash !== secret?.metadata?.annotations?.[HASH_ANNOTATION])
      throw new Error('status.syncedHash does not match the Secret yet');
  });
});

test('a refresh that finds nothing new writes nothing to Kubernetes', async () => {
  const path = await openbao.putKv(pathFor('unchanged'), { key: generated() });
  await objects.createSource('unchanged', {
    data: [{ key: 'key', remoteRef: { path, property: 'key' } }],
    refresh: { interval: '2s' },
  });
  await objects.waitReady('unchanged', 'True', 'Synced');
  await objects.waitSecret('unchanged');
  // Past the first refresh, so creation's writes (finalizer, Secret, status) are all done.
  await sleep(2_500);

  const secretBefore = (await objects.getSecret('unchanged'))!.metadata!.resourceVersion;
  const sourceBefore = (await objects.getSource('unchanged'))!.metadata.resourceVersion;
  const writesBefore = await metric('secretsource_kube_writes_total', ourWrites);
  const unchangedBefore = await metric('secretsource_sync_total', (l) => l.result === 'unchanged');
  await sleep(6_000);

  expect((await objects.getSecret('unchanged'))!.metadata!.resourceVersion).toBe(secretBefore);
  expect((await objects.getSource('unchanged'))!.metadata.resourceVersion).toBe(sourceBefore);
  expect(await metric('secretsource_kube_writes_total', ourWrites)).toBe(writesBefore);
  // ...while refreshes did run (at least two in 6 s at a 2 s interval).
  const unchangedAfter = await metric('secretsource_sync_total', (l) => l.result === 'unchanged');
  expect(unchangedAfter - unchangedBefore).toBeGreaterThanOrEqual(2);
  // And what kubectl shows as Next Refresh is still ahead (a checkpoint, docs/adr/0014).
  const status = (await objects.getSource('unchanged'))!.status!;
  expect(Date.parse(status.nextRefreshTime!)).toBeGreaterThan(Date.now());
  expect(Date.parse(status.lastRefreshTime!)).toBeLessThanOrEqual(Date.now());
});

test('force-sync: a new annotation value syncs at once and is recorded in status.lastForceSync', async () => {
  const before = generated();
  const path = await openbao.putKv(pathFor('force'), { value: before });
  await objects.createSource('force', {
    data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
    refresh: { interval: '1h' },
  });
  await objects.waitReady('force', 'True', 'Synced');
  await objects.waitValue('force', 'value', before);

  const after = generated();
  await openbao.putKv(path, { value: after });
  const request = `e2e-${Date.now()}`;
  await objects.patchSource('force', { metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: request } } });
  await objects.waitValue('force', 'value', after, 10_000);
  await eventually(async () => {
    const source = await objects.getSource('force');
    if (source?.status?.lastForceSync !== request) throw new Error('status.lastForceSync not recorded yet');
  });
  await objects.waitEvent('force', 'Normal', 'Updated');
});

test('drift: a hand-edited Secret is repaired, a deleted one recreated', async () => {
  const value = generated();
  const path = await openbao.putKv(pathFor('drift'), { value });
  await objects.createSource('drift', {
    data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
    refresh: { interval: '1h' },
  });
  await objects.waitReady('drift', 'True', 'Synced');
  const original = await objects.waitValue('drift', 'value', value);

  await core.patchNamespacedSecret(
    { name: 'drift', namespace, body: { data: { value: Buffer.from(generated()).toString('base64') } } },
    MERGE_PATCH,
  );
  const repaired = await objects.waitValue('drift', 'value', value, 10_000);
  expect(repaired.metadata?.annotations?.[HASH_ANNOTATION]).toBe(
    original.metadata?.annotations?.[HASH_ANNOTATION],
  );
  await objects.waitEvent('drift', 'Normal', 'Repaired');

  await core.deleteNamespacedSecret({ name: 'drift', namespace });
  const recreated = await objects.waitValue('drift', 'value', value, 10_000);
  expect(recreated.metadata?.uid).not.toBe(original.metadata?.uid);
  expect(recreated.metadata?.labels?.[MANAGED_LABEL]).toBe('true');
});

test('a missing path: RemoteNotFound, a Warning, no Secret; written later, it syncs', async () => {
  const path = pathFor('missing');
  await objects.createSource('missing', { data: [{ key: 'value', remoteRef: { path, property: 'value' } }] });
  await objects.waitReady('missing', 'False', 'RemoteNotFound');
  await objects.waitEvent('missing', 'Warning', 'RemoteNotFound');
  expect(await objects.getSecret('missing')).toBeUndefined();

  const value = generated();
  await openbao.putKv(path, { value });
  await objects.waitReady('missing', 'True', 'Synced');
  await objects.waitValue('missing', 'value', value);
});

test('wrong credentials: AuthFailed on the SecretSource and the provider', async () => {
  await createTokenSecret('vault-token-wrong', generated());
  await createProvider('vault-wrong', 'vault-token-wrong');
  const path = await openbao.putKv(pathFor('wrong-token'), { value: generated() });
  await objects.createSource('wrong-token', {
    providerRef: { kind: 'SecretProvider', name: 'vault-wrong' },
    data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
  });
  await objects.waitReady('wrong-token', 'False', 'AuthFailed');
  await objects.waitEvent('wrong-token', 'Warning', 'AuthFailed');
  expect(await objects.getSecret('wrong-token')).toBeUndefined();
  await objects.waitProviderReady('vault-wrong', 'False', 'AuthFailed');
});

test('a revoked token keeps the synced Secret as it was, and a good token brings the sync back', async () => {
  const revocable = await newToken();
  await createTokenSecret('vault-token-revocable', revocable);
  await createProvider('vault-revocable', 'vault-token-revocable');
  const before = generated();
  const path = await openbao.putKv(pathFor('revoked'), { value: before });
  await objects.createSource('revoked', {
    providerRef: { kind: 'SecretProvider', name: 'vault-revocable' },
    data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
    refresh: { interval: '2s' },
  });
  await objects.waitReady('revoked', 'True', 'Synced');
  const synced = await objects.waitValue('revoked', 'value', before);

  await openbao.revokeToken(revocable);
  const after = generated();
  await openbao.putKv(path, { value: after });
  await objects.waitReady('revoked', 'False', 'AuthFailed');
  const kept = await objects.getSecret('revoked');
  expect(kept?.metadata?.resourceVersion).toBe(synced.metadata?.resourceVersion);
  expect(holds(kept, 'value', before)).toBe(true);

  await setTokenSecret('vault-token-revocable', await newToken());
  await objects.waitReady('revoked', 'True', 'Synced', 30_000);
  await objects.waitValue('revoked', 'value', after);
});

test('provider not found, then created: ProviderNotFound turns into Ready', async () => {
  const value = generated();
  const path = await openbao.putKv(pathFor('later'), { value });
  await objects.createSource('later', {
    providerRef: { kind: 'SecretProvider', name: 'vault-later' },
    data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
  });
  await objects.waitReady('later', 'False', 'ProviderNotFound');
  await objects.waitEvent('later', 'Warning', 'ProviderNotFound');

  await createProvider('vault-later', TOKEN_SECRET);
  await objects.waitReady('later', 'True', 'Synced');
  await objects.waitValue('later', 'value', value);
});

test('target conflict: an unmanaged Secret is never taken over; creationPolicy Merge merges into it', async () => {
  const theirs = generated();
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'preexisting' }, stringData: { theirs } },
  });
  const untouched = (await objects.getSecret('preexisting'))!;
  const ours = generated();
  const path = await openbao.putKv(pathFor('conflict'), { ours });
  await objects.createSource('conflict', {
    data: [{ key: 'ours', remoteRef: { path, property: 'ours' } }],
    target: { name: 'preexisting' },
  });
  await objects.waitReady('conflict', 'False', 'TargetConflict');
  await objects.waitEvent('conflict', 'Warning', 'TargetConflict');
  const after = (await objects.getSecret('preexisting'))!;
  expect(after.metadata?.resourceVersion).toBe(untouched.metadata?.resourceVersion);
  expect(Object.keys(after.data ?? {})).toEqual(['theirs']);

  await objects.patchSource('conflict', { spec: { target: { creationPolicy: 'Merge' } } });
  await objects.waitReady('conflict', 'True', 'Synced');
  const merged = await objects.waitValue('preexisting', 'ours', ours);
  expect(holds(merged, 'theirs', theirs)).toBe(true);
  expect(Object.keys(merged.data ?? {}).sort()).toEqual(['ours', 'theirs']);
  expect(merged.metadata?.ownerReferences ?? []).toEqual([]);
});

test('deletion: Retain keeps the Secret without its ownerReference; Delete removes it (Owner and Orphan)', async () => {
  const value = generated();
  const path = await openbao.putKv(pathFor('deletion'), { value });
  const data = [{ key: 'value', remoteRef: { path, property: 'value' } }];
  const cases = [
    { name: 'del-retain', target: {}, kept: true },
    { name: 'del-owner', target: { deletionPolicy: 'Delete' }, kept: false },
    { name: 'del-orphan', target: { creationPolicy: 'Orphan', deletionPolicy: 'Delete' }, kept: false },
  ];
  await Promise.all(cases.map((c) => objects.createSource(c.name, { data, target: c.target })));
  await Promise.all(cases.map((c) => objects.waitReady(c.name, 'True', 'Synced')));
  const secrets = await Promise.all(cases.map((c) => objects.waitValue(c.name, 'value', value)));
  expect(secrets.map((s) => (s.metadata?.ownerReferences ?? []).length)).toEqual([1, 1, 0]);

  await Promise.all(cases.map((c) => objects.deleteSource(c.name)));
  await Promise.all(
    cases.map((c) =>
      eventually(async () => {
        if (await objects.getSource(c.name)) throw new Error(`SecretSource ${c.name} still exists`);
      }),
    ),
  );
  await Promise.all(
    cases
      .filter((c) => !c.kept)
      .map((c) =>
        eventually(async () => {
          if (await objects.getSecret(c.name)) throw new Error(`Secret ${c.name} still exists`);
        }),
      ),
  );
  await objects.waitEvent('del-retain', 'Normal', 'Retained');
  await objects.waitEvent('del-orphan', 'Normal', 'Deleted');
  // The garbage collector had time to delete the other two; the retained one is still there.
  await sleep(3_000);
  const retained = await objects.getSecret('del-retain');
  expect(holds(retained, 'value', value)).toBe(true);
  expect(retained?.metadata?.ownerReferences ?? []).toEqual([]);
  expect(retained?.metadata?.uid).toBe(secrets[0]!.metadata?.uid);
});

test('a key produced by both data and dataFrom: InvalidSpec, and the existing Secret stays as it was', async () => {
  const single = await openbao.putKv(pathFor('duplicate-single'), { a: generated() });
  const map = await openbao.putKv(pathFor('duplicate-map'), { b: generated(), c: generated() });
  await objects.createSource('duplicate', {
    data: [{ key: 'a', remoteRef: { path: single, property: 'a' } }],
    dataFrom: [{ path: map }],
  });
  await objects.waitReady('duplicate', 'True', 'Synced');
  const before = await objects.waitSecret('duplicate');
  expect(Object.keys(before.data ?? {}).sort()).toEqual(['a', 'b', 'c']);

  await objects.patchSource('duplicate', {
    spec: {
      data: [
        { key: 'a', remoteRef: { path: single, property: 'a' } },
        { key: 'b', remoteRef: { path: single, property: 'a' } },
      ],
    },
  });
  const failed = await objects.waitReady('duplicate', 'False', 'InvalidSpec');
  expect(readyCondition(failed)!.message).toContain('"b"');
  await objects.waitEvent('duplicate', 'Warning', 'InvalidSpec');
  const after = await objects.getSecret('duplicate');
  expect(after?.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
});

test('the operator is ready and its output holds no generated value', async () => {
  const response = await fetch(`${operator.healthUrl}/readyz`);
  expect(response.status).toBe(200);
  const output = operator.output();
  expect(output).toContain('became leader');
  expect(leakedCount(output, neverPrinted)).toBe(0);
});
