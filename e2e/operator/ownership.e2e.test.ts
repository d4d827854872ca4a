// Who owns what in a managed Secret, against the real API server's server-side apply: each
// SecretSource writes under its own field manager, so Merge sources keep each other's keys, keys
// added by hand are left alone without a write per refresh, a Secret written by an older version
// under the shared manager is taken over without a value gap, and status fingerprints are keyed.
// The operator runs as its config/rbac ServiceAccount; values are random and never printed.
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { OpenBaoUnderTest } from '../cases/openbao.js';
import { eventually } from '../support/kube.js';
import { OPERATOR_NAMESPACE } from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { waitForRefreshes } from '../support/refreshes.js';
import { holds, type SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(90_000);

const MANAGED_LABEL = 'secretsource.dev/managed';
const SOURCE_ANNOTATION = 'secretsource.dev/source';
const HASH_ANNOTATION = 'secretsource.dev/content-hash';
const LEGACY_MANAGER = 'secretsource-operator';
const APPLY = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
const STRATEGIC = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

const openbao = new OpenBaoUnderTest();
const fx = useOperatorFixture({ name: 'owner', provider: openbao, authModes: ['token'] });
const { kc, core } = fx;
const generated = (): string => fx.generated();
let namespace: string;
let objects: SecretSourceObjects;
beforeAll(() => {
  ({ namespace, objects } = fx);
});

const b64 = (text: string) => Buffer.from(text).toString('base64');
/** Waits until each SecretSource has run `count` more refreshes (the ones that would write). */
const refreshes = (names: readonly string[], count = 2) =>
  waitForRefreshes(() => fx.metrics(), namespace, names, { count });
const managers = (secret: k8s.V1Secret | undefined) =>
  (secret?.metadata?.managedFields ?? []).map((f) => `${f.manager}/${f.operation}`).sort();

function kv(name: string, data: Record<string, string>): Promise<string> {
  return openbao.put(name, data);
}

/** Every version of Secret `name` a watch sees while `body` runs, then the watch stops. */
async function versionsDuring(name: string, body: () => Promise<void>): Promise<k8s.V1Secret[]> {
  const seen: k8s.V1Secret[] = [];
  const watch = new k8s.Watch(kc);
  const request = await watch.watch(
    `/api/v1/namespaces/${namespace}/secrets`,
    { fieldSelector: `metadata.name=${name}` },
    (_type: string, object: k8s.V1Secret) => seen.push(object),
    () => undefined,
  );
  try {
    await body();
  } finally {
    request.abort();
  }
  return seen;
}

async function eventsOf(source: string, reason: string): Promise<number> {
  return (await objects.sourceEvents(source)).filter((e) => e.reason === reason).length;
}

test('two Merge sources keep each other’s keys under their own field managers; quiet refreshes write nothing', async () => {
  const theirs = generated();
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'shared' }, stringData: { theirs } },
  });
  const a = generated();
  const b = generated();
  const pathA = await kv('merge-a', { value: a });
  const pathB = await kv('merge-b', { value: b });
  for (const [name, path] of [
    ['merge-a', pathA],
    ['merge-b', pathB],
  ] as const) {
    await objects.createSource(name, {
      data: [{ key: name, remoteRef: { path, property: 'value' } }],
      target: { name: 'shared', creationPolicy: 'Merge' },
      refresh: { interval: '2s' },
    });
  }
  await objects.waitReady('merge-a', 'True', 'Synced');
  await objects.waitReady('merge-b', 'True', 'Synced');
  const merged = await eventually(async () => {
    const secret = await objects.getSecret('shared');
    if (!holds(secret, 'merge-a', a) || !holds(secret, 'merge-b', b)) throw new Error('keys not merged yet');
    return secret!;
  });
  expect(holds(merged, 'theirs', theirs)).toBe(true);
  expect(managers(merged)).toEqual(
    expect.arrayContaining(['secretsource.dev/merge-a/Apply', 'secretsource.dev/merge-b/Apply']),
  );
  expect(merged.metadata?.annotations?.[SOURCE_ANNOTATION]).toBeUndefined();

  // Refreshes of both ran: both still Ready, and the Secret is not written again.
  await refreshes(['merge-a', 'merge-b']);
  const later = (await objects.getSecret('shared'))!;
  expect(later.metadata?.resourceVersion).toBe(merged.metadata?.resourceVersion);
  expect(holds(later, 'merge-a', a) && holds(later, 'merge-b', b)).toBe(true);
});

test('a Merge source cannot take over the Secret of an Owner source', async () => {
  const password = generated();
  const path = await kv('owned', { password });
  await objects.createSource('owned', {
    data: [{ key: 'password', remoteRef: { path, property: 'password' } }],
  });
  await objects.waitReady('owned', 'True', 'Synced');
  const before = await objects.waitValue('owned', 'password', password);

  const intruder = await kv('intruder', { password: generated() });
  await objects.createSource('intruder', {
    data: [{ key: 'password', remoteRef: { path: intruder, property: 'password' } }],
    target: { name: 'owned', creationPolicy: 'Merge' },
  });
  const refused = await objects.waitReady('intruder', 'False', 'TargetConflict');
  expect(refused.status?.conditions?.[0]?.message).toContain('owned by SecretSource owned');
  const after = (await objects.getSecret('owned'))!;
  expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  expect(holds(after, 'password', password)).toBe(true);
});

test('a key added by hand is left alone: no write, no Repaired Event, refresh after refresh', async () => {
  const value = generated();
  const path = await kv('hand', { value });
  await objects.createSource('hand', {
    data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
    refresh: { interval: '2s' },
  });
  await objects.waitReady('hand', 'True', 'Synced');
  await objects.waitValue('hand', 'value', value);
  const extra = generated();
  await core.patchNamespacedSecret(
    { namespace, name: 'hand', body: { data: { extra: b64(extra) } }, fieldManager: 'kubectl-edit' },
    STRATEGIC,
  );
  const edited = (await objects.getSecret('hand'))!;
  const statusBefore = (await objects.getSource('hand'))!.metadata.resourceVersion;

  // Two refreshes ran, each seeing the key added by hand.
  await refreshes(['hand']);

  const after = (await objects.getSecret('hand'))!;
  expect(after.metadata?.resourceVersion).toBe(edited.metadata?.resourceVersion);
  expect(holds(after, 'extra', extra) && holds(after, 'value', value)).toBe(true);
  expect((await objects.getSource('hand'))!.metadata.resourceVersion).toBe(statusBefore);
  expect(await eventsOf('hand', 'Repaired')).toBe(0);
});

test('drift: our key edited by hand and the managed label removed are both put back', async () => {
  const value = generated();
  const path = await kv('drift', { value });
  await objects.createSource('drift', { data: [{ key: 'value', remoteRef: { path, property: 'value' } }] });
  await objects.waitReady('drift', 'True', 'Synced');
  await objects.waitValue('drift', 'value', value);

  await core.patchNamespacedSecret(
    {
      namespace,
      name: 'drift',
      body: { data: { value: b64('edited by hand') } },
      fieldManager: 'kubectl-edit',
    },
    STRATEGIC,
  );
  await objects.waitValue('drift', 'value', value);

  await core.patchNamespacedSecret(
    {
      namespace,
      name: 'drift',
      body: { metadata: { labels: { [MANAGED_LABEL]: null } } },
      fieldManager: 'kubectl-edit',
    },
    STRATEGIC,
  );
  const restored = await eventually(async () => {
    const secret = await objects.getSecret('drift');
    if (secret?.metadata?.labels?.[MANAGED_LABEL] !== 'true') throw new Error('label not restored yet');
    return secret;
  });
  expect(holds(restored, 'value', value)).toBe(true);
  await objects.waitReady('drift', 'True', 'Synced');
  expect(await eventsOf('drift', 'TargetConflict')).toBe(0);
});

test('a label or annotation removed from spec.target is removed from the Secret', async () => {
  const path = await kv('meta', { value: generated() });
  await objects.createSource('meta', {
    data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
    target: { labels: { team: 'payments', tier: 'db' }, annotations: { note: 'x' } },
  });
  await objects.waitReady('meta', 'True', 'Synced');
  await objects.patchSource('meta', { spec: { target: { labels: { tier: null }, annotations: null } } });
  const secret = await eventually(async () => {
    const live = await objects.getSecret('meta');
    if (live?.metadata?.labels?.['tier'] !== undefined || live?.metadata?.annotations?.['note'] !== undefined)
      throw new Error('removed metadata still on the Secret');
    return live!;
  });
  expect(secret.metadata?.labels?.['team']).toBe('payments');
});

test('a Secret written by an older version under the shared manager is taken over without a value gap', async () => {
  const password = generated();
  const path = await kv('legacy', { password });
  // What the previous release wrote: the shared field manager, an unsalted hash stamp.
  await core.patchNamespacedSecret(
    {
      namespace,
      name: 'legacy',
      fieldManager: LEGACY_MANAGER,
      force: true,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'legacy',
          namespace,
          labels: { [MANAGED_LABEL]: 'true' },
          annotations: { [SOURCE_ANNOTATION]: 'legacy', [HASH_ANNOTATION]: `sha256:${'0'.repeat(64)}` },
        },
        type: 'Opaque',
        data: { password: b64(password), stale: b64(generated()) },
      },
    },
    APPLY,
  );
  const versions = await versionsDuring('legacy', async () => {
    await objects.createSource('legacy', {
      data: [{ key: 'password', remoteRef: { path, property: 'password' } }],
      target: { creationPolicy: 'Orphan' },
    });
    await objects.waitReady('legacy', 'True', 'Synced');
    await eventually(async () => {
      const secret = await objects.getSecret('legacy');
      if (managers(secret).some((m) => m.startsWith(`${LEGACY_MANAGER}/`)))
        throw new Error(`still managed by ${managers(secret).join(', ')}`);
    });
  });
  const secret = (await objects.getSecret('legacy'))!;
  expect(managers(secret)).toEqual(['secretsource.dev/legacy/Apply']);
  expect(secret.metadata?.annotations?.[HASH_ANNOTATION]).toMatch(/^hmac-sha256:/);
  expect(versions.length).toBeGreaterThan(1);
  expect(versions.every((v) => holds(v, 'password', password))).toBe(true);
});

test('status.syncedHash is a keyed HMAC; the key lives in the operator’s namespace', async () => {
  const value = generated();
  const path = await kv('hmac', { value });
  await objects.createSource('hmac', { data: [{ key: 'value', remoteRef: { path, property: 'value' } }] });
  const source = await objects.waitReady('hmac', 'True', 'Synced');
  const secret = await objects.waitValue('hmac', 'value', value);
  expect(source.status?.syncedHash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  expect(secret.metadata?.annotations?.[HASH_ANNOTATION]).toBe(source.status?.syncedHash);
  const key = await core.readNamespacedSecret({
    namespace: OPERATOR_NAMESPACE,
    name: 'secretsource-fingerprint-key',
  });
  expect(Buffer.from(key.data?.['key'] ?? '', 'base64').length).toBeGreaterThanOrEqual(32);
});

test('an empty read keeps the Secret: EmptyResult until the backend has keys again', async () => {
  const user = generated();
  const path = await kv('empty', { user });
  await objects.createSource('empty', { dataFrom: [{ path }], refresh: { interval: '2s' } });
  await objects.waitReady('empty', 'True', 'Synced');
  const before = await objects.waitValue('empty', 'user', user);

  await kv('empty', {});
  const failed = await objects.waitReady('empty', 'False', 'EmptyResult');
  expect(failed.status?.conditions?.[0]?.message).toContain('dataFrom[0]');
  await objects.waitEvent('empty', 'Warning', 'EmptyResult');
  const kept = (await objects.getSecret('empty'))!;
  expect(kept.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  expect(holds(kept, 'user', user)).toBe(true);
});
