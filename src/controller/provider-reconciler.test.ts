import type { ProviderStatus } from '../api/v1alpha1/index.js';
import {
  CredentialsPerNamespaceError,
  CredentialsUnavailableError,
  UnauthorizedError,
  UnavailableError,
} from '../providers/errors.js';
import { FakeClock } from '../kube/clock.js';
import type { Condition } from '../kube/conditions.js';
import type { ProviderKind } from './ports.js';
import { ProviderReconciler } from './provider-reconciler.js';
import {
  FakeBackend,
  FakeKubeGateway,
  FakeProviderClient,
  FakeProviderClients,
  MapStore,
  RecordingLogger,
} from './testing/fakes.js';
import { clusterSecretProvider, secretProvider } from './testing/fixtures.js';

const START = Date.parse('2026-03-01T00:00:00Z');
const REVALIDATE = { requeueAfterMs: 5 * 60_000 };
const subject = { provider: 'vault SecretProvider payments/vault' };

class World {
  readonly clock = new FakeClock(START);
  readonly providers = new MapStore<unknown>();
  readonly clusterProviders = new MapStore<unknown>();
  readonly kube = new FakeKubeGateway();
  readonly client = new FakeProviderClient(new FakeBackend());
  readonly clients = new FakeProviderClients(this.client);
  readonly logger = new RecordingLogger();
  readonly reconciler = new ProviderReconciler({
    providers: this.providers,
    clusterProviders: this.clusterProviders,
    clients: this.clients,
    kube: this.kube,
    logger: this.logger,
    clock: this.clock,
  });

  reconcile(kind: ProviderKind = 'SecretProvider', key = 'payments/vault') {
    return this.reconciler.reconcile(kind, key, new AbortController().signal);
  }

  /** The informer catches up with our last status write (a merge patch). */
  settle(kind: ProviderKind = 'SecretProvider', key = 'payments/vault'): void {
    const store = kind === 'SecretProvider' ? this.providers : this.clusterProviders;
    const object = store.get(key) as { status?: ProviderStatus };
    const patch = this.kube.writes('patchProviderStatus').at(-1)?.status;
    if (patch)
      store.set(key, { ...object, status: { ...object.status, ...JSON.parse(JSON.stringify(patch)) } });
  }

  lastStatus(): Record<string, unknown> {
    return this.kube.writes('patchProviderStatus').at(-1)!.status;
  }

  ready(): Condition | undefined {
    return (this.lastStatus().conditions as Condition[]).find((c) => c.type === 'Ready');
  }
}

let world: World;
beforeEach(() => {
  world = new World();
  world.providers.set('payments/vault', secretProvider());
});

test('a provider that validates is Ready=True with its backend', async () => {
  expect(await world.reconcile()).toEqual(REVALIDATE);

  expect(world.kube.writes('patchProviderStatus')).toEqual([
    {
      op: 'patchProviderStatus',
      kind: 'SecretProvider',
      namespace: 'payments',
      name: 'vault',
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Valid',
            message: 'connected to vault',
            observedGeneration: 1,
            lastTransitionTime: new Date(START).toISOString(),
          },
        ],
        observedGeneration: 1,
        backend: 'vault',
      },
    },
  ]);
  expect(world.clients.acquisitions).toEqual([
    {
      provider: {
        kind: 'SecretProvider',
        name: 'vault',
        namespace: 'payments',
        uid: 'uid-provider-vault',
        generation: 1,
        spec: secretProvider().spec,
      },
      consumerNamespace: 'payments',
    },
  ]);
  expect(world.client.validations).toBe(1);
});

test('a ClusterSecretProvider is validated in no namespace: never with credentials of the operator namespace', async () => {
  world.clusterProviders.set(
    'aws-prod',
    clusterSecretProvider({ name: 'aws-prod', spec: { aws: { region: 'eu-west-1' } } }),
  );
  await world.reconcile('ClusterSecretProvider', 'aws-prod');

  expect(world.clients.acquisitions[0]?.consumerNamespace).toBeUndefined();
  expect(world.clients.acquisitions[0]?.provider.namespace).toBeUndefined();
  expect(world.kube.writes('patchProviderStatus')[0]).toMatchObject({
    kind: 'ClusterSecretProvider',
    namespace: undefined,
    name: 'aws-prod',
    status: { backend: 'aws' },
  });
});

test('a ClusterSecretProvider whose credentials are per SecretSource namespace: Ready Unknown, no call, no warning', async () => {
  world.clusterProviders.set('vault-tenants', clusterSecretProvider({ name: 'vault-tenants' }));
  world.clients.acquireError = new CredentialsPerNamespaceError({
    provider: 'ClusterSecretProvider vault-tenants',
  });
  await world.reconcile('ClusterSecretProvider', 'vault-tenants');

  expect(world.client.validations).toBe(0);
  expect(world.ready()).toMatchObject({ status: 'Unknown', reason: 'CredentialsPerNamespace' });
  expect(world.ready()?.message).toContain("each SecretSource's namespace");
  expect(world.logger.entries.filter((e) => e.level === 'warn')).toEqual([]);
});

test.each([
  [
    'validate() is refused',
    () => (world.client.validateError = new UnauthorizedError(subject)),
    'AuthFailed',
  ],
  ['the backend is down', () => (world.client.validateError = new UnavailableError(subject)), 'Unavailable'],
  [
    'the credentials are missing',
    () =>
      (world.clients.acquireError = new CredentialsUnavailableError(subject, 'Secret vault-token not found')),
    'AuthFailed',
  ],
])('%s: Ready=False with the reason, re-checked later', async (_n, breakIt, reason) => {
  const error = breakIt();
  expect(await world.reconcile()).toEqual(REVALIDATE);

  expect(world.ready()).toMatchObject({ status: 'False', reason, message: error.message });
  expect(world.lastStatus()).not.toHaveProperty('backend');
  expect(world.logger.entries).toEqual([
    {
      level: 'warn',
      fields: { provider: 'SecretProvider/payments/vault', reason },
      message: expect.any(String),
    },
  ]);
});

test('an error without a reason is ValidationFailed, with its name only', async () => {
  world.client.validateError = new TypeError('socket hang up: Authorization: Bearer s.xyz');
  await world.reconcile();
  expect(world.ready()).toMatchObject({ status: 'False', reason: 'ValidationFailed', message: 'TypeError' });
});

test('nothing changed: no status write, on success and on a repeated failure', async () => {
  await world.reconcile();
  world.settle();
  world.clock.advance(5 * 60_000);
  await world.reconcile();
  expect(world.kube.writes('patchProviderStatus')).toHaveLength(1);

  world.client.validateError = new UnavailableError(subject);
  await world.reconcile();
  world.settle();
  world.clock.advance(5 * 60_000);
  await world.reconcile();
  expect(world.kube.writes('patchProviderStatus')).toHaveLength(2);
  expect(world.client.validations).toBe(4);
});

test('a failure that changes reason keeps lastTransitionTime; recovery moves it', async () => {
  world.client.validateError = new UnavailableError(subject);
  await world.reconcile();
  world.settle();
  world.clock.advance(60_000);
  world.client.validateError = new UnauthorizedError(subject);
  await world.reconcile();
  world.settle();
  expect(world.ready()).toMatchObject({
    reason: 'AuthFailed',
    lastTransitionTime: new Date(START).toISOString(),
  });

  world.clock.advance(60_000);
  world.client.validateError = undefined;
  await world.reconcile();
  expect(world.ready()).toMatchObject({
    status: 'True',
    lastTransitionTime: new Date(START + 120_000).toISOString(),
  });
  expect(world.lastStatus().backend).toBe('vault');
});

test('a new generation is written even when the outcome is the same', async () => {
  await world.reconcile();
  world.settle();
  const current = world.providers.get('payments/vault') as { metadata: { generation: number } };
  world.providers.set('payments/vault', { ...current, metadata: { ...current.metadata, generation: 2 } });
  await world.reconcile();
  expect(world.kube.writes('patchProviderStatus')).toHaveLength(2);
  expect(world.lastStatus().observedGeneration).toBe(2);
});

test('an invalid provider is Ready=False InvalidSpec without a connection attempt or a revalidation', async () => {
  world.providers.set('payments/vault', secretProvider({ spec: {} }));
  expect(await world.reconcile()).toEqual({});
  expect(world.clients.acquisitions).toHaveLength(0);
  expect(world.ready()).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
  expect(world.ready()?.message).toContain('spec must set exactly one of vault, aws or azure');
});

test('a provider that is gone: nothing to do', async () => {
  expect(await world.reconcile('SecretProvider', 'payments/gone')).toEqual({});
  expect(world.kube.calls).toHaveLength(0);
});

test('an aborted validation is not reported', async () => {
  const controller = new AbortController();
  controller.abort(new Error('shutting down'));
  await expect(
    world.reconciler.reconcile('SecretProvider', 'payments/vault', controller.signal),
  ).rejects.toThrow('shutting down');
  expect(world.kube.calls).toHaveLength(0);
});
