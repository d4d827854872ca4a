// Syncing: a property and a whole map into one Secret with its status, Event and kubectl columns;
// a change in the backend picked up on refresh; a quiet refresh that writes nothing; force-sync.
import * as k8s from '@kubernetes/client-node';
import { eventually, readyCondition } from '../../support/kube.js';
import { waitForRefreshes } from '../../support/refreshes.js';
import { GROUP, VERSION, holds } from '../../support/secret-sources.js';
import type { CommonCase } from './case.js';

const MANAGED_LABEL = 'secretsource.dev/managed';
const HASH_ANNOTATION = 'secretsource.dev/content-hash';
const FORCE_SYNC_ANNOTATION = 'secretsource.dev/force-sync';

export const syncWithPropertyAndMap: CommonCase = {
  title:
    'create: data with a property and dataFrom map → a managed, owned Secret, a full status and a Created Event',
  perAuthMode: true,
  async run(c) {
    const { objects } = c;
    const name = c.name('create');
    const custom = c.fx.kc.makeApiClient(k8s.CustomObjectsApi);
    const apiextensions = c.fx.kc.makeApiClient(k8s.ApiextensionsV1Api);
    const password = c.generated();
    const host = c.generated();
    const port = c.generated();
    const single = await c.put('create-single', { password, user: c.generated() });
    const map = await c.put('create-map', { host, port });
    const createdAt = Date.now();
    await objects.createSource(
      name,
      {
        data: [{ key: 'db-password', remoteRef: { path: single, property: 'password' } }],
        dataFrom: [{ path: map }],
      },
      c.providerName,
    );

    const source = await objects.waitReady(name, 'True', 'Synced', 30_000);
    const observedAt = Date.now();
    const secret = await objects.waitSecret(name);
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['db-password', 'host', 'port']);
    expect(holds(secret, 'db-password', password)).toBe(true);
    expect(holds(secret, 'host', host)).toBe(true);
    expect(holds(secret, 'port', port)).toBe(true);
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata?.labels?.[MANAGED_LABEL]).toBe('true');
    expect(secret.metadata?.annotations?.['secretsource.dev/source']).toBe(name);
    const hash = secret.metadata?.annotations?.[HASH_ANNOTATION];
    expect(hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(secret.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'SecretSource',
        name,
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
    expect(status.targetName).toBe(name);
    expect(status.syncedKeys).toBe(3);
    expect(readyCondition(source)!.message).toContain('3 keys');

    const created = await objects.waitEvent(name, 'Normal', 'Created');
    expect(created.involvedObject.uid).toBe(source.metadata.uid);
    await objects.waitProviderReady(c.providerName, 'True', 'Valid', 30_000);

    // kubectl's columns: the CRD declares them, and the API server's Table rendering fills them.
    const crd = await apiextensions.readCustomResourceDefinition({ name: `secretsources.${GROUP}` });
    const columns = crd.spec.versions.find((v) => v.name === VERSION)?.additionalPrinterColumns ?? [];
    expect(columns.map((column) => column.name)).toEqual(
      expect.arrayContaining(['Ready', 'Provider', 'Target', 'Last Sync', 'Next Refresh', 'Age']),
    );
    const table = (await custom.getNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: objects.namespace, plural: 'secretsources', name },
      k8s.setHeaderOptions('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io'),
    )) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    const cell = (column: string): unknown =>
      table.rows[0]!.cells[table.columnDefinitions.findIndex((definition) => definition.name === column)];
    expect(cell('Ready')).toBe('True');
    expect(cell('Provider')).toBe(c.providerName);
    expect(cell('Target')).toBe(name);
    expect(cell('Next Refresh')).toBe(status.nextRefreshTime);
  },
};

export const refreshPicksUpChange: CommonCase = {
  title: 'refresh: a value changed in the backend reaches the Secret within the interval',
  async run(c) {
    const { objects } = c;
    const { name, path } = await c.syncOne('refresh', '2s');

    const after = c.generated();
    await c.remote.update(path, { value: after });
    // Refresh every 2 s, plus the 5 s read-sharing window: well within 20 s.
    await objects.waitValue(name, 'value', after, 20_000);
    await eventually(async () => {
      const source = await objects.getSource(name);
      const secret = await objects.getSecret(name);
      if (source?.status?.syncedHash !== secret?.metadata?.annotations?.[HASH_ANNOTATION])
        throw new Error('status.syncedHash does not match the Secret yet');
    });
  },
};

export const quietRefreshWritesNothing: CommonCase = {
  title: 'a refresh that finds nothing new writes nothing to Kubernetes',
  async run(c) {
    const { objects } = c;
    const { name } = await c.syncOne('unchanged', '2s');
    const namespace = objects.namespace;
    const refreshes = (count: number) => waitForRefreshes(() => c.fx.metrics(), namespace, [name], { count });
    // One refresh first, so creation's writes (finalizer, Secret, status checkpoint) are all done.
    await refreshes(1);

    const secretBefore = (await objects.getSecret(name))!.metadata!.resourceVersion;
    const sourceBefore = (await objects.getSource(name))!.metadata.resourceVersion;
    const eventsBefore = (await objects.sourceEvents(name)).length;
    // Two refreshes that ran (seen on the operator's per-source next-refresh metric), then look.
    await refreshes(2);

    expect((await objects.getSecret(name))!.metadata!.resourceVersion).toBe(secretBefore);
    expect((await objects.getSource(name))!.metadata.resourceVersion).toBe(sourceBefore);
    expect((await objects.sourceEvents(name)).length).toBe(eventsBefore);
    // And what kubectl shows as Next Refresh is still ahead (a checkpoint, docs/adr/0014).
    const status = (await objects.getSource(name))!.status!;
    expect(Date.parse(status.nextRefreshTime!)).toBeGreaterThan(Date.now());
    expect(Date.parse(status.lastRefreshTime!)).toBeLessThanOrEqual(Date.now());
  },
};

export const forceSync: CommonCase = {
  title: 'force-sync: a new annotation value syncs at once and is recorded in status.lastForceSync',
  async run(c) {
    const { objects } = c;
    const { name, path } = await c.syncOne('force', '1h');

    const after = c.generated();
    await c.remote.update(path, { value: after });
    const request = `e2e-${Date.now()}`;
    await objects.patchSource(name, { metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: request } } });
    await objects.waitValue(name, 'value', after, 10_000);
    await eventually(async () => {
      const source = await objects.getSource(name);
      if (source?.status?.lastForceSync !== request) throw new Error('status.lastForceSync not recorded yet');
    });
    await objects.waitEvent(name, 'Normal', 'Updated');
  },
};
