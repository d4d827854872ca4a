import { FakeClock, flushPromises } from '../kube/clock.js';
import { ProviderClientCache, type ProviderObject } from './client-cache.js';
import type { CredentialSecretValue, CredentialSource, SecretKeyRef } from './credentials.js';
import {
  CredentialsPerNamespaceError,
  CredentialsUnavailableError,
  InvalidSpecError,
  UnauthorizedError,
  UnavailableError,
} from './errors.js';
import { ProviderRegistry, type ProviderContext, type ProviderSpecFields } from './registry.js';
import type { ProviderClient, RemoteRef, RemoteValue } from './types.js';

interface FakeSpec {
  tokenRef?: { name: string; key: string; namespace?: string };
  failBuild?: boolean;
}

/** The fake factory reads its own fields, not a real provider schema. */
const fakeSpec = (fields: Record<string, unknown>): ProviderSpecFields => fields as ProviderSpecFields;

class FakeClient implements ProviderClient {
  closed = false;
  calls = 0;
  constructor(
    readonly id: number,
    readonly token: string,
    readonly behaviour: { get: (client: FakeClient, ref: RemoteRef) => Promise<RemoteValue> },
  ) {}
  get(ref: RemoteRef): Promise<RemoteValue> {
    this.calls++;
    return this.behaviour.get(this, ref);
  }
  validate(): Promise<void> {
    return Promise.resolve();
  }
  renewLease(
    id: string,
    incrementSeconds: number,
  ): Promise<{ id: string; durationSeconds: number; renewable: boolean }> {
    this.calls++;
    return Promise.resolve({ id, durationSeconds: incrementSeconds, renewable: true });
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

class Credentials implements CredentialSource {
  versions = new Map<string, string>();
  reads: string[] = [];
  failing = false;
  secretKey(ref: SecretKeyRef): Promise<CredentialSecretValue> {
    this.reads.push(`${ref.namespace}/${ref.name}`);
    if (this.failing) return Promise.reject(new CredentialsUnavailableError({ provider: 'k8s' }, 'gone'));
    const resourceVersion = this.versions.get(`${ref.namespace}/${ref.name}`) ?? '1';
    return Promise.resolve({ value: Buffer.from(`token@${resourceVersion}`), resourceVersion });
  }
  serviceAccountToken(): Promise<never> {
    return Promise.reject(new Error('unused'));
  }
}

function setup(options: { get?: (client: FakeClient, ref: RemoteRef) => Promise<RemoteValue> } = {}) {
  const clock = new FakeClock(1_000_000);
  const credentials = new Credentials();
  const built: FakeClient[] = [];
  const contexts: ProviderContext[] = [];
  let release: (() => void) | undefined;
  const gate = { hold: false };
  const behaviour = {
    get: options.get ?? ((client: FakeClient) => Promise.resolve({ value: Buffer.from(client.token) })),
  };
  const registry = new ProviderRegistry([
    {
      type: 'vault',
      prepare(spec) {
        const fake = spec as FakeSpec;
        if (typeof spec !== 'object' || spec === null) throw new InvalidSpecError({ provider: 'x' }, 'bad');
        return {
          referencesDefaultNamespace: fake.tokenRef !== undefined && fake.tokenRef.namespace === undefined,
          async create(context) {
            contexts.push(context);
            if (gate.hold) await new Promise<void>((resolve) => (release = resolve));
            if (fake.failBuild) throw new UnavailableError({ provider: 'fake' }, 'cannot build');
            const token = fake.tokenRef
              ? (await context.credentials.secretKey(fake.tokenRef, context.signal)).value
              : 'none';
            const client = new FakeClient(built.length + 1, token.toString(), behaviour);
            built.push(client);
            return client;
          },
        };
      },
    },
  ]);
  const cache = new ProviderClientCache({
    registry,
    credentials,
    clock,
    credentialCheckIntervalMs: 60_000,
    idleTimeoutMs: 600_000,
    unauthorizedRebuildIntervalMs: 30_000,
  });
  return { clock, credentials, built, contexts, cache, gate, release: () => release?.() };
}

const signal = (): AbortSignal => new AbortController().signal;

function provider(overrides: Partial<ProviderObject> = {}, spec: FakeSpec = {}): ProviderObject {
  return {
    kind: 'ClusterSecretProvider',
    name: 'vault-prod',
    uid: 'uid-1',
    generation: 1,
    spec: fakeSpec({
      vault: { tokenRef: { name: 'vault-token', key: 'token', namespace: 'system' }, ...spec },
    }),
    ...overrides,
  };
}

describe('ProviderClientCache', () => {
  test('builds once and reuses the client across acquires', async () => {
    const { cache, built } = setup();
    const a = await cache.acquire(provider(), 'team-a', signal());
    const b = await cache.acquire(provider(), 'team-b', signal());
    await a.get({ path: 'x' }, signal());
    await b.get({ path: 'y' }, signal());
    expect(built).toHaveLength(1);
    expect(a.key).toBe(b.key);
    expect(built[0]!.calls).toBe(2);
    expect(cache.size).toBe(1);
  });

  test('optional methods are forwarded exactly when the client has them', async () => {
    const { cache, built } = setup();
    const handle = await cache.acquire(provider(), 'team-a', signal());
    expect(await handle.renewLease?.('db/creds/app/1', 30, signal())).toEqual({
      id: 'db/creds/app/1',
      durationSeconds: 30,
      renewable: true,
    });
    expect(built[0]!.calls).toBe(1);
    expect(handle.issue).toBeUndefined();
    expect(handle.revokeLease).toBeUndefined();
    expect(handle.write).toBeUndefined();
  });

  test('concurrent acquires share one build', async () => {
    const { cache, built, gate, release } = setup();
    gate.hold = true;
    const acquires = [1, 2, 3].map(() => cache.acquire(provider(), 'team-a', signal()));
    await flushPromises();
    gate.hold = false;
    release();
    const handles = await Promise.all(acquires);
    expect(built).toHaveLength(1);
    expect(new Set(handles.map((h) => h.key)).size).toBe(1);
  });

  test('a cluster provider with an unqualified credential ref gets one client per SecretSource namespace', async () => {
    const { cache, built, credentials } = setup();
    const unqualified = provider({}, { tokenRef: { name: 'vault-token', key: 'token' } });
    await cache.acquire(unqualified, 'team-a', signal());
    await cache.acquire(unqualified, 'team-b', signal());
    await cache.acquire(unqualified, 'team-a', signal());
    expect(built).toHaveLength(2);
    expect(credentials.reads).toEqual(['team-a/vault-token', 'team-b/vault-token']);
  });

  test('without a SecretSource namespace, a cluster provider with an unqualified ref is refused and reads nothing', async () => {
    // The operator's own namespace is no tenant's: a ref without a namespace must not fall back to
    // that namespace (it holds the operator's ServiceAccount and its fingerprint key).
    const { cache, built, credentials } = setup();
    const unqualified = provider({}, { tokenRef: { name: 'vault-token', key: 'token' } });
    await expect(cache.acquire(unqualified, undefined, signal())).rejects.toBeInstanceOf(
      CredentialsPerNamespaceError,
    );
    expect({ built: built.length, reads: credentials.reads }).toEqual({ built: 0, reads: [] });
    // A fully qualified one needs no SecretSource namespace.
    await cache.acquire(provider(), undefined, signal());
    expect(credentials.reads).toEqual(['system/vault-token']);
  });

  test('a new generation replaces the old client, which is closed', async () => {
    const { cache, built } = setup();
    await cache.acquire(provider(), 'team-a', signal());
    await cache.acquire(provider({ generation: 2 }), 'team-a', signal());
    await flushPromises();
    expect(built).toHaveLength(2);
    expect(built[0]!.closed).toBe(true);
    expect(cache.size).toBe(1);
  });

  test('invalidate(uid) closes the clients; a stale handle then fails retryably', async () => {
    const { cache, built } = setup();
    const handle = await cache.acquire(provider(), 'team-a', signal());
    await cache.invalidate('uid-1');
    expect(built[0]!.closed).toBe(true);
    expect(cache.size).toBe(0);
    await expect(handle.get({ path: 'x' }, signal())).rejects.toBeInstanceOf(UnavailableError);
    await cache.acquire(provider(), 'team-a', signal());
    expect(built).toHaveLength(2);
  });

  test('a client in use is closed only after its call finishes', async () => {
    let finish: (() => void) | undefined;
    const { cache, built } = setup({
      get: () =>
        new Promise((resolve) => {
          finish = () => resolve({ value: Buffer.from('v') });
        }),
    });
    const handle = await cache.acquire(provider(), 'team-a', signal());
    const call = handle.get({ path: 'x' }, signal());
    await flushPromises();
    await cache.invalidate('uid-1');
    expect(built[0]!.closed).toBe(false);
    finish!();
    await call;
    expect(built[0]!.closed).toBe(true);
  });

  test('a failed build is not cached', async () => {
    const { cache, built } = setup();
    const failing = provider({}, { failBuild: true });
    await expect(cache.acquire(failing, 'team-a', signal())).rejects.toBeInstanceOf(UnavailableError);
    expect(cache.size).toBe(0);
    await cache.acquire(provider(), 'team-a', signal());
    expect(built).toHaveLength(1);
  });

  test('an invalid spec is rejected before anything is built', async () => {
    const { cache, built } = setup();
    await expect(
      cache.acquire({ ...provider(), spec: fakeSpec({ vault: {}, aws: {} }) }, 'team-a', signal()),
    ).rejects.toBeInstanceOf(InvalidSpecError);
    await expect(
      cache.acquire({ ...provider(), spec: fakeSpec({ azure: {} }) }, 'team-a', signal()),
    ).rejects.toThrow(/not supported/);
    expect(built).toHaveLength(0);
  });

  test('credentials are re-checked at most every interval and a changed Secret rebuilds the client', async () => {
    const { cache, built, credentials, clock } = setup();
    const handle = await cache.acquire(provider(), 'team-a', signal());
    expect((await handle.get({ path: 'x' }, signal())).value.toString()).toBe('token@1');
    credentials.versions.set('system/vault-token', '2');
    clock.advance(30_000);
    expect((await handle.get({ path: 'x' }, signal())).value.toString()).toBe('token@1');
    expect(credentials.reads).toHaveLength(1);
    clock.advance(30_000);
    expect((await handle.get({ path: 'x' }, signal())).value.toString()).toBe('token@2');
    await flushPromises();
    expect(built).toHaveLength(2);
    expect(built[0]!.closed).toBe(true);
    // An unchanged Secret keeps the client.
    clock.advance(60_000);
    await handle.get({ path: 'x' }, signal());
    expect(built).toHaveLength(2);
  });

  test('a failing credential check keeps the working client', async () => {
    const { cache, built, credentials, clock } = setup();
    const handle = await cache.acquire(provider(), 'team-a', signal());
    credentials.failing = true;
    clock.advance(60_000);
    await expect(handle.get({ path: 'x' }, signal())).resolves.toBeDefined();
    expect(built).toHaveLength(1);
  });

  test('Unauthorized rebuilds once and retries; repeated denials are not retried within the interval', async () => {
    const { cache, built, clock } = setup({
      get: (client) =>
        client.id === 1 || client.id === 3
          ? Promise.reject(new UnauthorizedError({ provider: 'fake', path: 'x' }))
          : Promise.resolve({ value: Buffer.from(`client ${client.id}`) }),
    });
    const handle = await cache.acquire(provider(), 'team-a', signal());
    expect((await handle.get({ path: 'x' }, signal())).value.toString()).toBe('client 2');
    await flushPromises();
    expect(built[0]!.closed).toBe(true);

    // Client 2 now denies too (say, a path the policy forbids): no rebuild storm.
    built[1]!.behaviour.get = () => Promise.reject(new UnauthorizedError({ provider: 'fake', path: 'x' }));
    await expect(handle.get({ path: 'x' }, signal())).rejects.toBeInstanceOf(UnauthorizedError);
    expect(built).toHaveLength(2);
    clock.advance(30_000);
    await expect(handle.get({ path: 'x' }, signal())).rejects.toBeInstanceOf(UnauthorizedError);
    expect(built).toHaveLength(3);
  });

  test('idle clients expire; used ones stay', async () => {
    const { cache, built, clock } = setup();
    const idle = await cache.acquire(provider(), 'team-a', signal());
    const busy = await cache.acquire(provider({ uid: 'uid-2' }), 'team-a', signal());
    for (let minute = 0; minute < 12; minute++) {
      clock.advance(60_000);
      await busy.get({ path: 'x' }, signal());
    }
    await flushPromises();
    expect(built[0]!.closed).toBe(true);
    expect(built[1]!.closed).toBe(false);
    expect(cache.size).toBe(1);
    await expect(idle.get({ path: 'x' }, signal())).rejects.toBeInstanceOf(UnavailableError);
  });

  test('closeAll closes everything and stops timers', async () => {
    const { cache, built, clock } = setup();
    await cache.acquire(provider(), 'team-a', signal());
    await cache.acquire(provider({ uid: 'uid-2' }), 'team-a', signal());
    await cache.closeAll();
    expect(built.every((client) => client.closed)).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('the build gets the provider identity and scoped credentials (namespace rule applied)', async () => {
    const { cache, contexts, credentials } = setup();
    const namespaced = { kind: 'SecretProvider' as const, namespace: 'payments' };
    await cache.acquire(provider(namespaced, { tokenRef: { name: 't', key: 'k' } }), 'payments', signal());
    expect(contexts[0]!.provider).toEqual({
      kind: 'SecretProvider',
      name: 'vault-prod',
      namespace: 'payments',
    });
    expect(contexts[0]!.signal.aborted).toBe(false);
    expect(credentials.reads).toEqual(['payments/t']);
    await expect(
      cache.acquire(
        provider({ ...namespaced, uid: 'uid-2' }, { tokenRef: { name: 't', key: 'k', namespace: 'other' } }),
        'payments',
        signal(),
      ),
    ).rejects.toMatchObject({ name: 'ProviderNotAllowedError', reason: 'ProviderNotAllowed' });
    expect(credentials.reads).toEqual(['payments/t']);
  });
});
