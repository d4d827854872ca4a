// The informer over kubeListWatch against the real kube-apiserver and etcd of `make dev-up`.
// TransportSpy wraps the real transport only to observe it or to hold watches back (a network
// gap); every list, watch, bookmark and 410 comes from the API server itself.
import { createHash, randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import {
  Informer,
  InformerEvent,
  RestartReason,
  type InformerConfig,
  type InformerError,
  type ListWatchSource,
  type WatchEventType,
} from '../../src/kube/informer.js';
import { kubeListWatch } from '../../src/kube/kube-list-watch.js';
import {
  adminKubeConfig,
  createNamespace,
  deleteNamespace,
  eventually,
  requireEnv,
  tokenKubeConfig,
  uniqueName,
} from '../support/kube.js';

jest.setTimeout(30_000);

const LABEL = 'e2e.secretsource.dev/informer';
const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
let namespace: string;
const running: { stop(): Promise<void> }[] = [];

// No operator fixture: the informer runs in this process, against a namespace of plain Secrets and ConfigMaps.
beforeAll(async () => {
  namespace = await createNamespace(kc, 'informer');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((informer) => informer.stop()));
});
afterAll(() => deleteNamespace(kc, namespace));

type Seen =
  | { event: InformerEvent.Added | InformerEvent.Deleted; name: string }
  | { event: InformerEvent.Updated; name: string; oldObj: unknown; newObj: unknown }
  | { event: InformerEvent.Synced }
  | { event: InformerEvent.Error; error: InformerError }
  | { event: InformerEvent.Restarted; reason: RestartReason };

/** Passes list and watch through to the real source, recording what crossed, and can hold watches back. */
class TransportSpy<T> implements ListWatchSource<T> {
  lists = 0;
  /** The resourceVersion each watch began from. */
  readonly watchedFrom: string[] = [];
  readonly bookmarks: string[] = [];
  /** Codes of ERROR events the server put in a watch stream. */
  readonly errorCodes: (number | undefined)[] = [];
  /** Watches waiting for resume(). */
  held = 0;
  readonly #inner: ListWatchSource<T>;
  readonly #streams = new Set<AbortController>();
  #gate: Promise<void> | undefined;
  #openGate: (() => void) | undefined;

  constructor(inner: ListWatchSource<T>) {
    this.#inner = inner;
  }

  list(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> {
    this.lists += 1;
    return this.#inner.list(signal);
  }

  async watch(
    resourceVersion: string,
    allowBookmarks: true,
    onEvent: (type: WatchEventType, obj: unknown) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (this.#gate) {
      this.held += 1;
      await this.#gate;
      this.held -= 1;
      if (signal.aborted) return;
    }
    this.watchedFrom.push(resourceVersion);
    const stream = new AbortController();
    const cut = (): void => stream.abort();
    signal.addEventListener('abort', cut, { once: true });
    this.#streams.add(stream);
    const forward = (type: WatchEventType, obj: unknown): void => {
      if (stream.signal.aborted) return;
      if (type === 'BOOKMARK') this.bookmarks.push(resourceVersionOf(obj));
      if (type === 'ERROR') this.errorCodes.push((obj as { code?: number }).code);
      onEvent(type, obj);
    };
    try {
      await new Promise<void>((resolve, reject) => {
        // pause() ends the stream the way a dropped connection would: the informer sees it end.
        stream.signal.addEventListener('abort', () => resolve(), { once: true });
        this.#inner.watch(resourceVersion, allowBookmarks, forward, stream.signal).then(resolve, reject);
      });
    } finally {
      signal.removeEventListener('abort', cut);
      this.#streams.delete(stream);
    }
  }

  /** Ends the watch in flight and holds every new one until resume(). */
  pause(): void {
    this.#gate ??= new Promise((resolve) => (this.#openGate = resolve));
    for (const stream of this.#streams) stream.abort();
  }

  resume(): void {
    this.#openGate?.();
    this.#gate = undefined;
  }
}

function resourceVersionOf(obj: unknown): string {
  return (obj as k8s.KubernetesObject).metadata?.resourceVersion ?? '';
}

/** resourceVersions are opaque to clients, but on an etcd-backed server they are etcd revisions. */
function atLeast(resourceVersion: string, floor: string): boolean {
  return resourceVersion !== '' && BigInt(resourceVersion) >= BigInt(floor);
}

function startInformer<T extends k8s.KubernetesObject>(
  config: Partial<InformerConfig<T>> & Pick<InformerConfig<T>, 'source'>,
): { informer: Informer<T>; seen: Seen[] } {
  const informer = new Informer<T>({
    resource: 'e2e',
    backoffBaseMs: 100,
    backoffMaxMs: 1_000,
    ...config,
  });
  const seen: Seen[] = [];
  const nameOf = (obj: T): string => obj.metadata?.name ?? '';
  informer.on(InformerEvent.Added, (obj) => seen.push({ event: InformerEvent.Added, name: nameOf(obj) }));
  informer.on(InformerEvent.Deleted, (obj) => seen.push({ event: InformerEvent.Deleted, name: nameOf(obj) }));
  informer.on(InformerEvent.Updated, (oldObj, newObj) =>
    seen.push({ event: InformerEvent.Updated, name: nameOf(newObj), oldObj, newObj }),
  );
  informer.on(InformerEvent.Synced, () => seen.push({ event: InformerEvent.Synced }));
  informer.on(InformerEvent.Error, (error) => seen.push({ event: InformerEvent.Error, error }));
  informer.on(InformerEvent.Restarted, (reason) => seen.push({ event: InformerEvent.Restarted, reason }));
  informer.start();
  running.push(informer);
  return { informer, seen };
}

function namesOf(
  seen: Seen[],
  event: InformerEvent.Added | InformerEvent.Updated | InformerEvent.Deleted,
): string[] {
  return seen.flatMap((s) => (s.event === event ? [s.name] : []));
}

function restartsOf(seen: Seen[]): RestartReason[] {
  return seen.flatMap((s) => (s.event === InformerEvent.Restarted ? [s.reason] : []));
}

function errorsOf(seen: Seen[]): InformerError[] {
  return seen.flatMap((s) => (s.event === InformerEvent.Error ? [s.error] : []));
}

/** Compares Secret data by digest so a failing assertion never prints a value. */
function digest(data: Record<string, string> | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify(Object.entries(data ?? {}).sort()))
    .digest('hex');
}

function randomData(): Record<string, string> {
  return { value: randomBytes(24).toString('base64') };
}

async function createSecret(name: string, labels: Record<string, string>): Promise<k8s.V1Secret> {
  return core.createNamespacedSecret({ namespace, body: { metadata: { name, labels }, data: randomData() } });
}

async function createConfigMap(name: string, labels: Record<string, string> = {}): Promise<k8s.V1ConfigMap> {
  return core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name, labels }, data: { value: randomBytes(8).toString('hex') } },
  });
}

function secretsPath(): string {
  return `/api/v1/namespaces/${namespace}/secrets`;
}

function configMapsPath(): string {
  return `/api/v1/namespaces/${namespace}/configmaps`;
}

/** Compacts etcd up to its current revision (returned), so older resourceVersions are gone. */
async function compactEtcd(): Promise<string> {
  const etcd = requireEnv('ETCD_URL');
  const range = await fetch(`${etcd}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from('compact_rev_key').toString('base64') }),
  });
  const { header } = (await range.json()) as { header: { revision: string } };
  const compaction = await fetch(`${etcd}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision: header.revision, physical: true }),
  });
  if (!compaction.ok) throw new Error(`etcd compaction failed: HTTP ${compaction.status}`);
  return header.revision;
}

test('the initial list pages through every object, fills the cache and emits Synced', async () => {
  const selector = uniqueName('paging');
  const names = Array.from({ length: 7 }, (_, i) => `${selector}-${i}`);
  const created = await Promise.all(names.map((name) => createSecret(name, { [LABEL]: selector })));
  await createSecret(`${selector}-unlabelled`, {});

  // A spy on the real client configuration sees every request the transport makes.
  const spiedKc = adminKubeConfig();
  const requests: URL[] = [];
  const authenticate = spiedKc.applySecurityAuthentication.bind(spiedKc);
  spiedKc.applySecurityAuthentication = (ctx) => {
    requests.push(new URL(ctx.getUrl()));
    return authenticate(ctx);
  };
  const source = kubeListWatch<k8s.V1Secret>(spiedKc, secretsPath(), {
    labelSelector: `${LABEL}=${selector}`,
    pageSize: 3,
  });
  const { informer, seen } = startInformer({ source });
  await informer.waitForSync();

  const listRequests = requests.filter((url) => !url.searchParams.has('watch'));
  expect(listRequests).toHaveLength(3);
  expect(listRequests.map((url) => url.searchParams.get('limit'))).toEqual(['3', '3', '3']);
  expect(listRequests.map((url) => url.searchParams.has('continue'))).toEqual([false, true, true]);

  expect(informer.hasSynced()).toBe(true);
  expect(informer.keys().sort()).toEqual(names.map((name) => `${namespace}/${name}`).sort());
  expect(seen.map((s) => s.event)).toEqual([...names.map(() => InformerEvent.Added), InformerEvent.Synced]);
  for (const secret of created) {
    const cached = informer.get(`${namespace}/${secret.metadata!.name!}`)!;
    expect(cached.kind).toBe('Secret');
    expect(cached.apiVersion).toBe('v1');
    expect(cached.metadata?.resourceVersion).toBe(secret.metadata?.resourceVersion);
    expect(digest(cached.data)).toBe(digest(secret.data));
  }
  expect(atLeast(informer.resourceVersion(), created.at(-1)!.metadata!.resourceVersion!)).toBe(true);
});

test('create, update and delete arrive as events; objects outside the label selector are never seen', async () => {
  const selector = uniqueName('events');
  const labels = { [LABEL]: selector };
  const source = kubeListWatch<k8s.V1Secret>(kc, secretsPath(), { labelSelector: `${LABEL}=${selector}` });
  const { informer, seen } = startInformer({ source });
  await informer.waitForSync();
  expect(informer.keys()).toEqual([]);

  const kept = `${selector}-kept`;
  const unlabelled = `${selector}-unlabelled`;
  const relabelled = `${selector}-relabelled`;
  const original = await createSecret(kept, labels);
  await createSecret(unlabelled, {});
  await createSecret(relabelled, labels);
  await eventually(async () =>
    expect(informer.keys().sort()).toEqual([`${namespace}/${kept}`, `${namespace}/${relabelled}`]),
  );

  const newData = randomData();
  await core.replaceNamespacedSecret({
    name: kept,
    namespace,
    body: {
      metadata: { name: kept, labels, resourceVersion: original.metadata!.resourceVersion },
      data: newData,
    },
  });
  await core.replaceNamespacedSecret({
    name: unlabelled,
    namespace,
    body: { metadata: { name: unlabelled }, data: randomData() },
  });
  await eventually(async () => expect(namesOf(seen, InformerEvent.Updated)).toEqual([kept]));
  const update = seen.find((s) => s.event === InformerEvent.Updated)!;
  if (update.event !== InformerEvent.Updated) throw new Error('unreachable');
  expect(digest((update.oldObj as k8s.V1Secret).data)).toBe(digest(original.data));
  expect(digest((update.newObj as k8s.V1Secret).data)).toBe(digest(newData));
  expect(digest(informer.get(`${namespace}/${kept}`)?.data)).toBe(digest(newData));

  // Losing the label takes an object out of the selection: the server reports it as deleted.
  await core.patchNamespacedSecret(
    {
      name: relabelled,
      namespace,
      body: [{ op: 'remove', path: `/metadata/labels/${LABEL.replace('/', '~1')}` }],
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
  );
  await core.deleteNamespacedSecret({ name: kept, namespace });
  await eventually(async () => expect(namesOf(seen, InformerEvent.Deleted)).toEqual([relabelled, kept]));

  // Deleting kept happened after every write to unlabelled, so had the watch passed it on we would have it.
  expect(informer.keys()).toEqual([]);
  expect(namesOf(seen, InformerEvent.Added)).toEqual([kept, relabelled]);
  expect(seen.flatMap((s) => ('name' in s ? [s.name] : []))).not.toContain(unlabelled);
  expect(errorsOf(seen)).toEqual([]);
});

test('bookmarks advance the resourceVersion, and the next watch starts from there without a relist', async () => {
  const selector = uniqueName('bookmarks');
  const spy = new TransportSpy(
    // The server sends a bookmark 2 s before a watch's timeout, so a 5 s watch gets one within ~3 s.
    kubeListWatch<k8s.V1ConfigMap>(kc, configMapsPath(), {
      labelSelector: `${LABEL}=${selector}`,
      watchTimeoutSeconds: 5,
    }),
  );
  const { informer, seen } = startInformer({ source: spy });
  await informer.waitForSync();
  const listedAt = informer.resourceVersion();

  // A change the selector hides: only a bookmark can tell the informer the collection moved on.
  const hidden = await createConfigMap(`${selector}-hidden`);
  const hiddenAt = hidden.metadata!.resourceVersion!;
  expect(atLeast(listedAt, hiddenAt)).toBe(false);

  await eventually(async () => expect(spy.bookmarks.some((rv) => atLeast(rv, hiddenAt))).toBe(true), 15_000);
  expect(atLeast(informer.resourceVersion(), hiddenAt)).toBe(true);

  // The server ends the watch at its timeout; the informer watches again from the bookmark. On a
  // busy machine the bookmark may land in a later watch than the first, so look for the first watch
  // that starts past the hidden change rather than at a fixed position.
  await eventually(
    async () => expect(spy.watchedFrom.slice(1).some((rv) => atLeast(rv, hiddenAt))).toBe(true),
    20_000,
  );
  expect(spy.watchedFrom[0]).toBe(listedAt);
  expect(restartsOf(seen)[0]).toBe(RestartReason.WatchEnded);
  expect(spy.lists).toBe(1);
  expect(informer.keys()).toEqual([]);
  expect(errorsOf(seen)).toEqual([]);
});

test('after a gap past an etcd compaction, 410 Gone makes the informer relist and converge', async () => {
  // core/v1 Events, because the API server keeps no watch cache for them: Secret and ConfigMap watches
  // are served from that cache, which goes on replaying revisions etcd has compacted (a 410 there
  // takes 100+ newer events older than 75 s). An Event watch reaches etcd and gets a real 410.
  const selector = uniqueName('gone');
  const eventBody = (name: string): k8s.CoreV1Event => ({
    metadata: { name, namespace, labels: { [LABEL]: selector } },
    involvedObject: { kind: 'ConfigMap', name: selector, namespace, apiVersion: 'v1' },
    reason: 'InformerE2E',
    message: randomBytes(8).toString('hex'),
    type: 'Normal',
  });
  const [kept, deleted, updated, added] = ['kept', 'deleted', 'updated', 'added'].map(
    (n) => `${selector}-${n}`,
  ) as [string, string, string, string];
  for (const name of [kept, deleted, updated])
    await core.createNamespacedEvent({ namespace, body: eventBody(name) });

  const spy = new TransportSpy(
    kubeListWatch<k8s.CoreV1Event>(kc, `/api/v1/namespaces/${namespace}/events`, {
      labelSelector: `${LABEL}=${selector}`,
    }),
  );
  const { informer, seen } = startInformer({ source: spy, minWatchDurationMs: 100 });
  await informer.waitForSync();
  expect(informer.keys().length).toBe(3);

  spy.pause();
  await eventually(async () => expect(spy.held).toBe(1));
  await core.deleteNamespacedEvent({ name: deleted, namespace });
  await core.createNamespacedEvent({ namespace, body: eventBody(added) });
  await core.replaceNamespacedEvent({ name: updated, namespace, body: eventBody(updated) });
  const compactedAt = await compactEtcd();
  expect(atLeast(informer.resourceVersion(), compactedAt)).toBe(false);
  spy.resume();

  await eventually(async () =>
    expect(informer.keys().sort()).toEqual([added, kept, updated].map((n) => `${namespace}/${n}`).sort()),
  );
  expect(spy.errorCodes).toContain(410);
  expect(restartsOf(seen)).toContain(RestartReason.Gone);
  expect(spy.lists).toBe(2);
  expect(namesOf(seen, InformerEvent.Deleted)).toEqual([deleted]);
  // The first list returns objects in key order, which within one namespace is name order.
  expect(namesOf(seen, InformerEvent.Added)).toEqual([...[kept, deleted, updated].sort(), added]);
  expect(namesOf(seen, InformerEvent.Updated)).toEqual([updated]);
  expect(errorsOf(seen)).toEqual([]);

  // And the informer watches on from the new list.
  await core.deleteNamespacedEvent({ name: kept, namespace });
  await eventually(async () => expect(namesOf(seen, InformerEvent.Deleted)).toEqual([deleted, kept]));
});

test('the watchdog restarts a watch that has gone silent, without relisting', async () => {
  const selector = uniqueName('silence');
  const spy = new TransportSpy(
    kubeListWatch<k8s.V1ConfigMap>(kc, configMapsPath(), { labelSelector: `${LABEL}=${selector}` }),
  );
  const { informer, seen } = startInformer({ source: spy, silenceLimitMs: 1_500 });
  await informer.waitForSync();

  await eventually(
    async () =>
      expect(restartsOf(seen).filter((r) => r === RestartReason.Silence).length).toBeGreaterThanOrEqual(2),
    10_000,
  );
  expect(spy.watchedFrom.length).toBeGreaterThanOrEqual(3);
  expect(spy.lists).toBe(1);
  expect(errorsOf(seen)).toEqual([]);

  const name = `${selector}-late`;
  await createConfigMap(name, { [LABEL]: selector });
  await eventually(async () => expect(namesOf(seen, InformerEvent.Added)).toEqual([name]));
  expect(informer.isHealthy()).toBe(true);
});

test('403 for a ServiceAccount without list rights is reported, retried, and healed by a Role', async () => {
  const selector = uniqueName('forbidden');
  const account = uniqueName('informer');
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: account } } });
  const { status } = await core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const existing = `${selector}-existing`;
  await createConfigMap(existing, { [LABEL]: selector });

  const source = kubeListWatch<k8s.V1ConfigMap>(tokenKubeConfig(status!.token!), configMapsPath(), {
    labelSelector: `${LABEL}=${selector}`,
  });
  const { informer, seen } = startInformer({ source, backoffBaseMs: 200, backoffMaxMs: 500 });

  await eventually(async () => expect(errorsOf(seen).length).toBeGreaterThanOrEqual(3));
  for (const error of errorsOf(seen)) {
    expect(error.phase).toBe('list');
    expect(error.statusCode).toBe(403);
    expect(error.message).toContain(`system:serviceaccount:${namespace}:${account}`);
  }
  expect(informer.hasSynced()).toBe(false);
  expect(informer.isHealthy()).toBe(false);

  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: account },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: account },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
    },
  });

  await eventually(async () => expect(informer.isHealthy()).toBe(true));
  expect(informer.keys()).toEqual([`${namespace}/${existing}`]);
  const later = `${selector}-later`;
  await createConfigMap(later, { [LABEL]: selector });
  await eventually(async () => expect(namesOf(seen, InformerEvent.Added)).toEqual([existing, later]));
});
