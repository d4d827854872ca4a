// The sync core beyond the provider, end to end: one operator process, authenticated as the config/rbac
// ServiceAccount, syncs SecretSources in this file's namespace from the real OpenBao dev server (token
// auth) into Secrets on the real kube-apiserver: a provider that appears later, a target Secret
// someone else owns, keys produced twice. What every provider must do is in the common cases
// (e2e/cases/common/, run by e2e/operator/openbao.e2e.test.ts and aws.e2e.test.ts). Each test has its
// own SecretSource and OpenBao path. Values are random and compared without printing them.
import { jest } from '@jest/globals';
import { OpenBaoUnderTest } from '../cases/openbao.js';
import { readyCondition } from '../support/kube.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { authMode } from '../support/provider-under-test.js';
import { holds, type SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(60_000);

const openbao = new OpenBaoUnderTest();
const fx = useOperatorFixture({ name: 'sync', provider: openbao, authModes: ['token'] });
const { core } = fx;
let namespace: string;
let objects: SecretSourceObjects;
beforeAll(() => {
  ({ namespace, objects } = fx);
});

const generated = (): string => fx.generated();

test('provider not found, then created: ProviderNotFound turns into Ready', async () => {
  const value = generated();
  const path = await openbao.put('later', { value });
  await objects.createSource('later', {
    providerRef: { kind: 'SecretProvider', name: 'vault-later' },
    data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
  });
  await objects.waitReady('later', 'False', 'ProviderNotFound');
  await objects.waitEvent('later', 'Warning', 'ProviderNotFound');

  await objects.createProvider('vault-later', await authMode(openbao, 'token').providerSpec(fx));
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
  const path = await openbao.put('conflict', { ours });
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

test('a key produced by both data and dataFrom: InvalidSpec, and the existing Secret stays as it was', async () => {
  const single = await openbao.put('duplicate-single', { a: generated() });
  const map = await openbao.put('duplicate-map', { b: generated(), c: generated() });
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
