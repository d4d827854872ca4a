import { createHash, randomBytes } from 'node:crypto';
import type { SecretSource, SecretSourceStatus } from '../../api/v1alpha1/index.js';
import { secretSourceStatusSchema } from '../../api/v1alpha1/schema.js';
import {
  CredentialsUnavailableError,
  InvalidRefError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
} from '../../providers/errors.js';
import {
  FINALIZER,
  FINGERPRINT_ANNOTATION,
  FORCE_SYNC_ANNOTATION,
  MANAGED_LABEL,
  SOURCE_ANNOTATION,
} from '../../api/v1alpha1/names.js';
import { needsFinalizer } from './finalize.js';
import type { ProviderWarning } from '../../providers/types.js';
import {
  clusterSecretProvider,
  namespace,
  secretProvider,
  secretSource,
  type SecretSourceFixture,
} from '../testing/fixtures.js';
import { MAX_LAST_FORCE_SYNC_LENGTH, resolveSecretSourceSpec } from '../../api/v1alpha1/index.js';
import { b64, decoded, HOUR, KEY, MINUTE, SECOND, START, TARGET, World } from '../testing/world.js';

let world: World;
beforeEach(() => {
  world = new World();
});
afterEach(() => {
  world.assertNoValueLeaks();
});

/** A synced `payments/db` (informers caught up); returns the value it holds. */
async function synced(fixture: SecretSourceFixture = {}): Promise<string> {
  const password = world.secretValue();
  world.backend.set('app/db', { password });
  world.put(secretSource(fixture));
  await world.sync();
  return password;
}

const runAsQueue = (hours: number): Promise<number> => world.runAsQueue(hours);

describe('first sync', () => {
  test('writes the Secret (owner reference, labels, hash), then status, and adds the finalizer', async () => {
    const password = world.secretValue();
    world.backend.set('app/db', { password });
    world.put(secretSource());

    expect(await world.reconcile()).toEqual({ requeueAfterMs: HOUR });

    expect(world.kube.calls.map((c) => c.op)).toEqual([
      'setFinalizer',
      'applySecret',
      'patchSecretSourceStatus',
    ]);
    expect(world.kube.writes('setFinalizer')[0]).toMatchObject({
      namespace: 'payments',
      name: 'db',
      finalizer: FINALIZER,
      present: true,
      uid: 'uid-db',
    });

    const { secret } = world.kube.writes('applySecret')[0]!;
    const hash = world.fingerprint.of(TARGET, 'Opaque', new Map([['password', Buffer.from(password)]]));
    expect(secret.metadata).toEqual({
      name: 'db',
      namespace: 'payments',
      labels: { [MANAGED_LABEL]: 'true' },
      annotations: { [FINGERPRINT_ANNOTATION]: hash, [SOURCE_ANNOTATION]: 'db' },
      ownerReferences: [
        {
          apiVersion: 'secretsource.dev/v1alpha1',
          kind: 'SecretSource',
          name: 'db',
          uid: 'uid-db',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(secret.type).toBe('Opaque');
    expect(Object.keys(secret.data)).toEqual(['password']);
    expect(decoded(secret.data, 'password') === password).toBe(true);

    const status = world.lastStatus();
    expect(status).toEqual({
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Synced',
          message: '1 keys from SecretProvider/vault',
          observedGeneration: 1,
          lastTransitionTime: new Date(START).toISOString(),
        },
      ],
      observedGeneration: 1,
      lastSyncTime: new Date(START).toISOString(),
      lastRefreshTime: new Date(START).toISOString(),
      nextRefreshTime: new Date(START + HOUR).toISOString(),
      syncedHash: hash,
      targetName: 'db',
      syncedKeys: 1,
      provider: 'SecretProvider/vault',
      lastForceSync: undefined,
    });
    expect(world.events.reasons()).toEqual(['Normal/Created']);
    expect(world.backend.totalReads()).toBe(1);
    expect(world.clients.acquisitions).toEqual([
      {
        provider: expect.objectContaining({ kind: 'SecretProvider', name: 'vault', namespace: 'payments' }),
        consumerNamespace: 'payments',
      },
    ]);
    expect(world.syncResults).toEqual(['created']);
  });

  test('target name, type, labels and annotations come from the spec; our label cannot be overridden', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(
      secretSource({
        target: {
          name: 'db-credentials',
          type: 'example.com/db',
          labels: { team: 'payments', [MANAGED_LABEL]: 'false' },
          annotations: { owner: 'payments' },
        },
      }),
    );
    await world.reconcile();

    const { secret } = world.kube.writes('applySecret')[0]!;
    expect(secret.metadata.name).toBe('db-credentials');
    expect(secret.type).toBe('example.com/db');
    expect(secret.metadata.labels).toEqual({ team: 'payments', [MANAGED_LABEL]: 'true' });
    expect(secret.metadata.annotations).toMatchObject({ owner: 'payments', [SOURCE_ANNOTATION]: 'db' });
    expect(world.lastStatus().targetName).toBe('db-credentials');
  });

  test('a spec change shares a read from inside the coalescing window; later ones read again', async () => {
    await synced();
    world.backend.set('app/db', { password: world.secretValue() });
    world.clock.advance(SECOND);
    world.edit((s) => (s.spec.target = { labels: { tier: 'db' } }), { specChange: true });
    await world.sync();
    expect(world.backend.totalReads()).toBe(1);
    expect(world.lastStatus().observedGeneration).toBe(2);

    const changed = world.secretValue();
    world.backend.set('app/db', { password: changed });
    world.clock.advance(5 * SECOND);
    world.edit((s) => (s.spec.target = { labels: { tier: 'cache' } }), { specChange: true });
    await world.sync();
    expect(world.backend.totalReads()).toBe(2);
    expect(decoded(world.liveSecret()?.data, 'password') === changed).toBe(true);
    expect(world.lastStatus().observedGeneration).toBe(3);
  });

  test('first syncs of SecretSources on one path share one provider read', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ name: 'a' }));
    world.put(secretSource({ name: 'b' }));
    await Promise.all([world.reconcile('payments/a'), world.reconcile('payments/b')]);
    expect(world.backend.totalReads()).toBe(1);
    expect(world.kube.writes('applySecret').map((c) => c.secret.metadata.name)).toEqual(['a', 'b']);
  });
});

describe('nothing to do', () => {
  test.each([
    ['the informers caught up', true],
    ['the informers lag behind our own writes', false],
  ])('a second reconcile writes nothing and calls no provider (%s)', async (_case, settle) => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource());
    await world.reconcile();
    if (settle) world.settle();
    const writes = world.writeCount();

    world.clock.advance(10 * MINUTE);
    expect(await world.reconcile()).toEqual({ requeueAfterMs: 50 * MINUTE });

    expect(world.writeCount()).toBe(writes);
    expect(world.backend.totalReads()).toBe(1);
    expect(world.clients.acquisitions).toHaveLength(1);
  });

  test('a restarted operator keeps the schedule the status announced', async () => {
    await synced();
    const writes = world.writeCount();
    world.restart();

    world.clock.advance(10 * MINUTE);
    expect(await world.reconcile()).toEqual({ requeueAfterMs: 50 * MINUTE });
    expect(world.writeCount()).toBe(writes);
    expect(world.backend.totalReads()).toBe(1);
  });

  test('a SecretSource that is gone is forgotten without any call', async () => {
    expect(await world.reconcile('payments/gone')).toEqual({});
    expect(world.writeCount()).toBe(0);
    expect(world.kube.reads).toBe(0);
  });
});

describe('refresh', () => {
  test('due with the same values: one provider read; no Secret write, no Event, only the two times', async () => {
    await synced();
    const writes = world.writeCount();

    world.clock.advance(HOUR);
    expect(await world.sync()).toEqual({ requeueAfterMs: HOUR });

    expect(world.backend.totalReads()).toBe(2);
    expect(world.kube.calls.slice(writes)).toEqual([
      {
        op: 'patchSecretSourceStatus',
        namespace: 'payments',
        name: 'db',
        status: {
          lastRefreshTime: new Date(START + HOUR).toISOString(),
          nextRefreshTime: new Date(START + 2 * HOUR).toISOString(),
        },
      },
    ]);
    expect(world.events.reasons()).toEqual(['Normal/Created']);
    expect(world.syncResults).toEqual(['created', 'unchanged']);

    // Between refreshes nothing is written, however often it is reconciled.
    world.clock.advance(MINUTE);
    await world.sync();
    expect(world.kube.calls.slice(writes)).toHaveLength(1);
  });

  test('sources sharing a path share one read per interval and fall into one refresh phase', async () => {
    const other = 'payments/db2';
    await synced({ refresh: { interval: '1m' } });
    world.clock.advance(20 * SECOND);
    world.put(secretSource({ name: 'db2', refresh: { interval: '1m' } }));
    await world.sync(other);
    expect(world.backend.totalReads()).toBe(2); // the second source's first sync reads fresh

    world.clock.advance(40 * SECOND); // db is due: one read
    expect(await world.reconcile()).toEqual({ requeueAfterMs: MINUTE });
    world.clock.advance(20 * SECOND); // db2 is due: it uses that read (20 s old, under half the interval)
    // ...and schedules its next refresh from the read, so both are due together from now on.
    expect(await world.reconcile(other)).toEqual({ requeueAfterMs: 40 * SECOND });
    expect(world.backend.totalReads()).toBe(3);

    world.clock.advance(40 * SECOND);
    await world.reconcile();
    await world.reconcile(other);
    expect(world.backend.totalReads()).toBe(4);
    expect(world.syncResults).toEqual([
      'created',
      'created',
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
  });

  test('a shared read older than half the interval is not used', async () => {
    const other = 'payments/db2';
    await synced({ refresh: { interval: '1m' } });
    world.clock.advance(40 * SECOND);
    world.put(secretSource({ name: 'db2', refresh: { interval: '1m' } }));
    await world.sync(other);
    world.clock.advance(20 * SECOND);
    await world.reconcile(); // db reads at +60 s
    world.clock.advance(40 * SECOND);
    await world.reconcile(other); // +100 s: that read is 40 s old, more than 30 s
    expect(world.backend.totalReads()).toBe(4);
  });

  test('a changed value is applied once, with an Updated event and a new status', async () => {
    await synced();
    const changed = world.secretValue();
    world.backend.set('app/db', { password: changed });
    const writes = world.writeCount();

    world.clock.advance(HOUR);
    await world.sync();

    const newWrites = world.kube.calls.slice(writes);
    expect(newWrites.map((c) => c.op)).toEqual(['applySecret', 'patchSecretSourceStatus']);
    expect(decoded(world.liveSecret()?.data, 'password') === changed).toBe(true);
    const hash = world.fingerprint.of(TARGET, 'Opaque', new Map([['password', Buffer.from(changed)]]));
    expect(world.lastStatus()).toMatchObject({
      syncedHash: hash,
      lastSyncTime: new Date(START + HOUR).toISOString(),
      nextRefreshTime: new Date(START + 2 * HOUR).toISOString(),
    });
    expect(world.events.reasons()).toEqual(['Normal/Created', 'Normal/Updated']);
    expect(world.syncResults).toEqual(['created', 'updated']);

    // Settled: nothing more to do.
    await world.reconcile();
    expect(world.kube.calls.length).toBe(writes + 2);
  });

  test('an informer copy that lags behind our own apply is not mistaken for drift', async () => {
    await synced();
    world.backend.set('app/db', { password: world.secretValue() });
    world.clock.advance(HOUR);
    await world.reconcile(); // applies; the managed-Secret informer still holds the old copy
    const writes = world.writeCount();

    await world.reconcile();
    expect(world.writeCount()).toBe(writes);
    expect(world.backend.totalReads()).toBe(2);
  });
  test('an immutable Secret is written once; new content is ImmutableTarget, never applied', async () => {
    await synced({ target: { immutable: true } });
    expect(world.kube.writes('applySecret')[0]!.secret.immutable).toBe(true);
    world.backend.set('app/db', { password: world.secretValue() });

    world.clock.advance(HOUR);
    expect(await world.reconcile()).toEqual({ requeueAfterMs: HOUR });

    expect(world.kube.writes('applySecret')).toHaveLength(1);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'ImmutableTarget' });
  });
});

describe('provider warnings (synced, with a warning)', () => {
  const expired: ProviderWarning = {
    reason: 'VersionExpired',
    message: 'vault SecretProvider fake: version 1 expired at 2026-02-01T00:00:00.000Z (path "app/db")',
  };

  test('a warning is a Warning Event and a note in Ready, once; quiet refreshes stay quiet', async () => {
    world.backend.warn('app/db', [expired]);
    await synced();
    expect(world.liveSecret()).toBeDefined();
    expect(world.ready()).toMatchObject({
      status: 'True',
      reason: 'Synced',
      message: `1 keys from SecretProvider/vault; warning: ${expired.message}`,
    });
    expect(world.events.reasons()).toEqual(['Normal/Created', 'Warning/VersionExpired']);
    const writes = world.writeCount();

    world.clock.advance(HOUR);
    await world.sync();
    expect(world.kube.calls.slice(writes).map((call) => call.op)).toEqual(['patchSecretSourceStatus']);
    expect(world.lastStatus().lastRefreshTime).toBe(new Date(START + HOUR).toISOString());
    expect(world.events.reasons()).toEqual(['Normal/Created', 'Warning/VersionExpired']);

    // A new version without the problem: the note goes, with no Event.
    world.backend.warn('app/db', []);
    world.clock.advance(HOUR);
    await world.sync();
    expect(world.ready()?.message).toBe('1 keys from SecretProvider/vault');
    expect(world.events.reasons()).toEqual(['Normal/Created', 'Warning/VersionExpired']);
  });

  test('warnings of dataFrom documents count too; the note quotes three and counts the rest', async () => {
    const warnings = [1, 2, 3, 4].map((n) => ({ reason: 'VersionNotYetValid' as const, message: `w${n}` }));
    world.backend.set('app/extra', { user: world.secretValue() }).warn('app/extra', warnings);
    world.backend.set('app/db', { password: world.secretValue() }).warn('app/db', [warnings[0]!]);
    world.put(secretSource({ spec: { dataFrom: [{ path: 'app/extra' }] } }));
    await world.sync();
    expect(world.ready()?.message).toBe('2 keys from SecretProvider/vault; warning: w1; w2; w3 (and 1 more)');
    expect(world.events.reasons().filter((reason) => reason.startsWith('Warning'))).toHaveLength(4);
  });
});

describe('force-sync', () => {
  test('a new annotation value reads fresh inside the coalescing window and records the answer', async () => {
    await synced();
    const changed = world.secretValue();
    world.backend.set('app/db', { password: changed });
    world.clock.advance(SECOND); // a non-fresh read would reuse the first one

    world.edit((s) => (s.metadata.annotations = { [FORCE_SYNC_ANNOTATION]: '1' }));
    await world.sync();

    expect(world.backend.totalReads()).toBe(2);
    expect(decoded(world.liveSecret()?.data, 'password') === changed).toBe(true);
    expect(world.lastStatus().lastForceSync).toBe('1');
    expect(world.events.events[1]?.message).toContain('force-sync');

    // Answered: the same value does not sync again.
    const writes = world.writeCount();
    await world.reconcile();
    expect(world.writeCount()).toBe(writes);
    expect(world.backend.totalReads()).toBe(2);
  });

  test('with unchanged values only the status is written (to record the answered value)', async () => {
    await synced();
    world.clock.advance(SECOND);
    world.edit((s) => (s.metadata.annotations = { [FORCE_SYNC_ANNOTATION]: 'now' }));
    const writes = world.writeCount();

    await world.sync();

    expect(world.backend.totalReads()).toBe(2);
    expect(world.kube.calls.slice(writes).map((c) => c.op)).toEqual(['patchSecretSourceStatus']);
    expect(world.lastStatus().lastForceSync).toBe('now');
  });
});

describe('force-sync with a long annotation value', () => {
  /** As the API server does (422), the fake refuses a status with a string over its schema maxLength. */
  function refuseStatusOverSchemaLimits(): void {
    const properties = secretSourceStatusSchema.properties!;
    const patch = world.kube.patchSecretSourceStatus.bind(world.kube);
    world.kube.patchSecretSourceStatus = async (namespace, name, status) => {
      for (const [field, value] of Object.entries(status)) {
        const max = properties[field]?.maxLength;
        if (typeof value === 'string' && max !== undefined && value.length > max) {
          throw {
            code: 422,
            body: { message: `status.${field}: Too long: may not be more than ${max} bytes` },
          };
        }
      }
      return patch(namespace, name, status);
    };
  }

  test('a 10 KiB value: one fresh read, one status write that fits the schema, no retry loop', async () => {
    refuseStatusOverSchemaLimits();
    await synced();
    world.clock.advance(MINUTE);
    const request = randomBytes(5 * 1024).toString('hex');
    world.edit((s) => (s.metadata.annotations = { [FORCE_SYNC_ANNOTATION]: request }));
    const writes = world.writeCount();

    await runAsQueue(0.5); // under the 1h interval: any further read would be a retry

    expect(world.backend.totalReads()).toBe(2);
    const statusWrites = world.kube.writes('patchSecretSourceStatus').slice(1);
    expect(statusWrites).toHaveLength(1);
    expect(world.kube.calls.slice(writes).map((c) => c.op)).toEqual(['patchSecretSourceStatus']);
    expect(world.ready()).toMatchObject({ status: 'True', reason: 'Synced' });
    const recorded = String(world.lastStatus().lastForceSync);
    expect(recorded).toBe(`sha256:${createHash('sha256').update(request).digest('hex')}`);

    // Answered: the same value does not sync again.
    await world.sync();
    expect(world.backend.totalReads()).toBe(2);
  });

  test('a value that fits status.lastForceSync is kept verbatim', async () => {
    await synced();
    const request = 'x'.repeat(MAX_LAST_FORCE_SYNC_LENGTH);
    world.edit((s) => (s.metadata.annotations = { [FORCE_SYNC_ANNOTATION]: request }));
    await world.sync();
    expect(world.lastStatus().lastForceSync).toBe(request);
  });
});

describe('drift', () => {
  test('data edited by hand is repaired at once, with a Repaired event', async () => {
    const password = await synced();
    world.clock.advance(MINUTE);
    world.editSecret((s) => (s.data = { password: b64('edited by hand') }));

    await world.sync();

    expect(world.kube.writes('applySecret')).toHaveLength(2);
    expect(decoded(world.liveSecret()?.data, 'password') === password).toBe(true);
    expect(world.events.reasons()).toEqual(['Normal/Created', 'Normal/Repaired']);
  });
});

describe('provider failures', () => {
  const subject = { provider: 'vault SecretProvider fake', path: 'app/db' };
  test.each([
    ['NotFound', new NotFoundError(subject), 'RemoteNotFound'],
    ['Unauthorized', new UnauthorizedError(subject), 'AuthFailed'],
    ['Unavailable', new UnavailableError(subject), 'Unavailable'],
  ])('%s on refresh: no write to the Secret, Ready=False, a Warning, a retry', async (_n, error, reason) => {
    const password = await synced();
    world.backend.failWith('app/db', error);
    const writes = world.writeCount();

    world.clock.advance(HOUR);
    expect(await world.reconcile()).toEqual({ retry: true });

    const newWrites = world.kube.calls.slice(writes);
    expect(newWrites.map((c) => c.op)).toEqual(['patchSecretSourceStatus']);
    expect(world.ready()).toMatchObject({ status: 'False', reason, message: error.message });
    expect(world.lastStatus().observedGeneration).toBe(1);
    expect(world.events.events.at(-1)).toMatchObject({ type: 'Warning', reason, message: error.message });
    expect(decoded(world.liveSecret()?.data, 'password') === password).toBe(true);
    expect(world.syncResults).toEqual(['created', 'error']);
  });

  test.each([
    ['the informers caught up', true],
    ['the informers lag behind our own writes', false],
  ])('a repeated failure does not rewrite the status (%s)', async (_case, settle) => {
    await synced();
    world.backend.failWith('app/db', new UnavailableError(subject));
    world.clock.advance(HOUR);
    await world.reconcile();
    if (settle) world.settle();
    const writes = world.writeCount();

    world.clock.advance(10 * SECOND);
    expect(await world.reconcile()).toEqual({ retry: true });

    expect(world.writeCount()).toBe(writes);
    expect(world.backend.totalReads()).toBe(3);
    // Events repeat; the production recorder folds repeats within its window.
    expect(world.events.reasons().filter((r) => r === 'Warning/Unavailable')).toHaveLength(2);
  });

  test('recovery: the next successful read sets Ready=True without rewriting the Secret', async () => {
    await synced();
    world.backend.failWith('app/db', new UnavailableError(subject));
    world.clock.advance(HOUR);
    await world.sync();
    world.backend.clearError('app/db');
    const writes = world.writeCount();

    world.clock.advance(10 * SECOND);
    await world.sync();

    expect(world.kube.calls.slice(writes).map((c) => c.op)).toEqual(['patchSecretSourceStatus']);
    expect(world.ready()).toMatchObject({ status: 'True', reason: 'Synced' });
  });

  test('a failed first sync writes no Secret', async () => {
    world.put(secretSource());
    expect(await world.reconcile()).toEqual({ retry: true });
    expect(world.kube.writes('applySecret')).toHaveLength(0);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'RemoteNotFound' });
    expect(world.lastStatus().targetName).toBe('db');
  });

  test('a permanent provider error waits for the next refresh instead of retrying', async () => {
    await synced();
    world.backend.failWith('app/db', new InvalidRefError(subject, 'bad version'));
    world.clock.advance(HOUR);
    expect(await world.reconcile()).toEqual({ requeueAfterMs: HOUR });
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'InvalidRef' });
  });

  test('credentials that cannot be loaded yet are AuthFailed and retried', async () => {
    world.clients.acquireError = new CredentialsUnavailableError(
      { provider: 'vault SecretProvider payments/vault' },
      'Secret payments/vault-token not found',
    );
    world.put(secretSource());
    expect(await world.reconcile()).toEqual({ retry: true });
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'AuthFailed' });
    expect(world.backend.totalReads()).toBe(0);
  });

  test('a missing property is RemoteNotFound', async () => {
    world.backend.set('app/db', { user: world.secretValue() });
    world.put(secretSource());
    await world.reconcile();
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'RemoteNotFound' });
    expect(world.ready()?.message).toContain('property "password"');
  });

  test('a failed Secret write is WriteFailed with the API message only, and retried', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource());
    world.kube.failNext('applySecret', { code: 500, body: { message: 'etcdserver: request timed out' } });

    expect(await world.reconcile()).toEqual({ retry: true });
    expect(world.ready()).toMatchObject({
      status: 'False',
      reason: 'WriteFailed',
      message: 'writing Secret db: etcdserver: request timed out',
    });
  });
});

describe('ownership of the target', () => {
  test.each([
    ['unmanaged', {}],
    ['managed by another SecretSource', { [SOURCE_ANNOTATION]: 'other' }],
  ])('a pre-existing Secret %s is a TargetConflict and is left alone', async (_n, annotations) => {
    const theirs = world.secretValue();
    const labels: Record<string, string> =
      SOURCE_ANNOTATION in annotations ? { [MANAGED_LABEL]: 'true' } : {};
    world.kube.putSecret({
      metadata: { name: 'db', namespace: 'payments', labels, annotations },
      type: 'Opaque',
      data: { password: b64(theirs) },
    });
    world.settle();
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource());

    expect(await world.reconcile()).toEqual({ requeueAfterMs: HOUR });

    expect(world.kube.writes('applySecret')).toHaveLength(0);
    expect(world.kube.writes('deleteSecret')).toHaveLength(0);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'TargetConflict' });
    expect(world.events.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'TargetConflict' });
    expect(world.backend.totalReads()).toBe(0);
    expect(decoded(world.liveSecret()?.data, 'password') === theirs).toBe(true);
  });
});

describe('creationPolicy Merge', () => {
  function existing(type = 'example.com/app'): string {
    const theirs = world.secretValue();
    world.kube.putSecret({
      metadata: { name: 'app', namespace: 'payments' },
      type,
      data: { other: b64(theirs) },
    });
    return theirs;
  }

  test('applies only our keys, keeps the Secret type, and compares only our keys', async () => {
    const theirs = existing();
    const password = world.secretValue();
    world.backend.set('app/db', { password });
    world.put(secretSource({ target: { name: 'app', creationPolicy: 'Merge' } }));

    await world.sync();

    const { secret } = world.kube.writes('applySecret')[0]!;
    expect(secret).not.toHaveProperty('type');
    expect(secret.metadata.ownerReferences).toBeUndefined();
    expect(Object.keys(secret.data)).toEqual(['password']);
    // Not ours to mark: a Merge source sets neither the content hash nor the source annotation.
    expect(secret.metadata.annotations).toEqual({});
    expect(world.lastStatus().syncedHash).toBe(
      world.fingerprint.of(
        { namespace: 'payments', name: 'app' },
        'example.com/app',
        new Map([['password', Buffer.from(password)]]),
      ),
    );
    const live = world.liveSecret('payments/app');
    expect(decoded(live?.data, 'other') === theirs).toBe(true);
    expect(decoded(live?.data, 'password') === password).toBe(true);
    expect(live?.type).toBe('example.com/app');
    expect(world.ready()).toMatchObject({ status: 'True' });
    // Merge + Retain needs no finalizer.
    expect(world.kube.writes('setFinalizer')).toHaveLength(0);

    // Their key changes: not ours, no drift, and the refresh finds ours unchanged.
    world.editSecret((s) => (s.data = { ...s.data, other: b64('changed by them') }), 'payments/app');
    const writes = world.writeCount();
    await world.reconcile();
    expect(world.writeCount()).toBe(writes);
    world.clock.advance(HOUR);
    await world.reconcile();
    expect(world.kube.calls.slice(writes).map((c) => c.op)).toEqual(['patchSecretSourceStatus']); // the times
    expect(world.backend.totalReads()).toBe(2);
  });

  test('a refresh with a changed value updates only our key', async () => {
    existing();
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ target: { name: 'app', creationPolicy: 'Merge' } }));
    await world.sync();
    const changed = world.secretValue();
    world.backend.set('app/db', { password: changed });

    world.clock.advance(HOUR);
    await world.sync();

    expect(world.kube.writes('applySecret')).toHaveLength(2);
    expect(decoded(world.liveSecret('payments/app')?.data, 'password') === changed).toBe(true);
    expect(world.liveSecret('payments/app')?.data?.other).toBeDefined();
  });

  test('a missing Secret is TargetNotFound: nothing is created, no retry storm', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ target: { name: 'app', creationPolicy: 'Merge' } }));

    expect(await world.reconcile()).toEqual({ requeueAfterMs: HOUR });
    expect(world.kube.writes('applySecret')).toHaveLength(0);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'TargetNotFound' });
  });

  test('Merge + Delete: deleting the SecretSource removes only our keys and marks', async () => {
    const theirs = existing();
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ target: { name: 'app', creationPolicy: 'Merge', deletionPolicy: 'Delete' } }));
    await world.sync();
    expect(world.kube.writes('setFinalizer')).toEqual([expect.objectContaining({ present: true })]);

    world.markDeleted();
    expect(await world.sync()).toEqual({});

    const live = world.liveSecret('payments/app');
    expect(Object.keys(live?.data ?? {})).toEqual(['other']);
    expect(decoded(live?.data, 'other') === theirs).toBe(true);
    expect(live?.metadata?.labels ?? {}).not.toHaveProperty(MANAGED_LABEL);
    expect(live?.metadata?.annotations ?? {}).not.toHaveProperty(SOURCE_ANNOTATION);
    expect(world.kube.writes('deleteSecret')).toHaveLength(0);
    expect(world.sources.get(KEY)).toBeUndefined();
  });
});

describe('deletion', () => {
  test.each([
    ['Owner', 'Retain', true],
    ['Owner', 'Delete', false],
    ['Orphan', 'Retain', false],
    ['Orphan', 'Delete', true],
    ['Merge', 'Retain', false],
    ['Merge', 'Delete', true],
  ] as const)('%s + %s needs a finalizer: %s', (creationPolicy, deletionPolicy, wanted) => {
    const spec = resolveSecretSourceSpec(secretSource({ target: { creationPolicy, deletionPolicy } }));
    expect(needsFinalizer(spec)).toBe(wanted);
  });

  test('Owner + Retain: the finalizer drops the ownerReference, then goes', async () => {
    await synced();
    expect(world.liveSecret()?.metadata?.ownerReferences).toHaveLength(1);
    world.markDeleted();
    const writes = world.writeCount();

    expect(await world.sync()).toEqual({});

    expect(world.kube.calls.slice(writes)).toEqual([
      { op: 'releaseSecret', namespace: 'payments', name: 'db', ownerUid: 'uid-db' },
      {
        op: 'setFinalizer',
        namespace: 'payments',
        name: 'db',
        finalizer: FINALIZER,
        present: false,
        uid: 'uid-db',
      },
    ]);
    expect(world.liveSecret()?.metadata?.ownerReferences).toEqual([]);
    expect(world.events.reasons().at(-1)).toBe('Normal/Retained');
    expect(world.sources.get(KEY)).toBeUndefined();
  });

  test('Orphan + Delete: no ownerReference; the finalizer deletes the Secret', async () => {
    await synced({ target: { creationPolicy: 'Orphan', deletionPolicy: 'Delete' } });
    expect(world.kube.writes('applySecret')[0]!.secret.metadata.ownerReferences).toBeUndefined();
    expect(world.kube.writes('setFinalizer')).toEqual([expect.objectContaining({ present: true })]);
    const uid = world.liveSecret()!.metadata!.uid!;
    world.markDeleted();

    await world.sync();

    expect(world.kube.writes('deleteSecret')).toEqual([
      { op: 'deleteSecret', namespace: 'payments', name: 'db', uid },
    ]);
    expect(world.liveSecret()).toBeUndefined();
    expect(world.events.reasons().at(-1)).toBe('Normal/Deleted');
    expect(world.sources.get(KEY)).toBeUndefined();
  });

  test('Owner + Delete: no finalizer at all; garbage collection follows the ownerReference', async () => {
    await synced({ target: { deletionPolicy: 'Delete' } });
    expect(world.kube.writes('setFinalizer')).toHaveLength(0);
    expect(world.kube.writes('applySecret')[0]!.secret.metadata.ownerReferences).toHaveLength(1);
    world.markDeleted();
    const writes = world.writeCount();

    expect(await world.reconcile()).toEqual({});
    expect(world.writeCount()).toBe(writes);
  });

  test('a deletionPolicy change drops the finalizer it no longer needs', async () => {
    await synced();
    world.edit((s) => (s.spec.target = { deletionPolicy: 'Delete' }), { specChange: true });
    await world.sync();
    expect(world.kube.writes('setFinalizer').map((c) => c.present)).toEqual([true, false]);
    expect(world.source().metadata.finalizers ?? []).toEqual([]);
  });

  test('other finalizers are left alone', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ finalizers: ['example.com/keep'] }));
    await world.sync();
    expect(world.source().metadata.finalizers).toEqual(['example.com/keep', FINALIZER]);
  });

  test('a Secret that is not ours is neither released nor deleted', async () => {
    world.kube.putSecret({ metadata: { name: 'db', namespace: 'payments' }, data: {} });
    world.put(secretSource({ target: { creationPolicy: 'Orphan', deletionPolicy: 'Delete' } }));
    await world.sync();
    world.markDeleted();
    await world.sync();
    expect(world.kube.writes('deleteSecret')).toHaveLength(0);
    expect(world.kube.writes('releaseSecret')).toHaveLength(0);
    expect(world.liveSecret()).toBeDefined();
    expect(world.sources.get(KEY)).toBeUndefined();
  });
});

describe('provider resolution', () => {
  test('a missing SecretProvider is ProviderNotFound: nothing is fetched, no retry', async () => {
    world.put(secretSource({ spec: { providerRef: { kind: 'SecretProvider', name: 'nope' } } }));
    expect(await world.reconcile()).toEqual({ requeueAfterMs: HOUR });
    expect(world.clients.acquisitions).toHaveLength(0);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'ProviderNotFound' });
    expect(world.events.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'ProviderNotFound' });
  });

  test('a SecretProvider in another namespace is not found', async () => {
    world.providers.delete('payments/vault');
    world.providers.set('other/vault', secretProvider({ namespace: 'other' }));
    world.put(secretSource());
    await world.reconcile();
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'ProviderNotFound' });
  });

  test.each([
    ['named in a condition', ['billing', 'payments'], {}, true],
    ['selected by its labels', ['billing'], { team: 'platform' }, true],
    ['neither named nor selected', ['billing'], { team: 'other' }, false],
  ])('ClusterSecretProvider, namespace %s', async (_n, names, labels, admitted) => {
    world.clusterProviders.set(
      'vault-prod',
      clusterSecretProvider({
        conditions: [{ namespaces: names }, { namespaceSelector: { matchLabels: { team: 'platform' } } }],
      }),
    );
    world.namespaces.set('payments', namespace('payments', labels));
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ spec: { providerRef: { kind: 'ClusterSecretProvider', name: 'vault-prod' } } }));

    await world.reconcile();

    if (admitted) {
      expect(world.ready()).toMatchObject({
        status: 'True',
        message: '1 keys from ClusterSecretProvider/vault-prod',
      });
      expect(world.clients.acquisitions[0]).toEqual({
        provider: expect.objectContaining({ kind: 'ClusterSecretProvider', name: 'vault-prod' }),
        consumerNamespace: 'payments',
      });
      expect(world.clients.acquisitions[0]!.provider.namespace).toBeUndefined();
    } else {
      expect(world.ready()).toMatchObject({ status: 'False', reason: 'ProviderNotAllowed' });
      expect(world.clients.acquisitions).toHaveLength(0);
      expect(world.kube.writes('applySecret')).toHaveLength(0);
    }
  });

  test('a ClusterSecretProvider without conditions admits no namespace', async () => {
    world.clusterProviders.set('vault-prod', clusterSecretProvider());
    world.put(secretSource({ spec: { providerRef: { kind: 'ClusterSecretProvider', name: 'vault-prod' } } }));
    await world.reconcile();
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'ProviderNotAllowed' });
  });
});

describe('refresh policies', () => {
  test('CreatedOnce: never read again, not even for drift; a deleted Secret is recreated', async () => {
    await synced({ refresh: { policy: 'CreatedOnce' } });
    expect(world.kube.writes('patchSecretSourceStatus')).toHaveLength(1);
    const writes = world.writeCount();

    world.clock.advance(2 * HOUR);
    expect(await world.reconcile()).toEqual({ requeueAfterMs: undefined });
    world.editSecret((s) => (s.data = { password: b64('edited') }));
    await world.reconcile();
    expect(world.writeCount()).toBe(writes);
    expect(world.backend.totalReads()).toBe(1);

    world.kube.secrets.delete(KEY);
    world.settle();
    await world.reconcile();
    expect(world.kube.writes('applySecret')).toHaveLength(2);
  });

  test('OnChange: no scheduled refresh, but drift and spec changes sync', async () => {
    await synced({ refresh: { policy: 'OnChange' } });
    world.clock.advance(2 * HOUR);
    expect(await world.reconcile()).toEqual({ requeueAfterMs: undefined });
    expect(world.backend.totalReads()).toBe(1);

    world.editSecret((s) => (s.data = { password: b64('edited') }));
    await world.sync();
    expect(world.events.reasons().at(-1)).toBe('Normal/Repaired');

    world.clock.advance(MINUTE); // past the coalescing window of the drift repair's read
    world.edit((s) => (s.spec.target = { labels: { a: 'b' } }), { specChange: true });
    await world.sync();
    expect(world.backend.totalReads()).toBe(3);
  });

  test('jitter spreads the next refresh with the injected randomness', async () => {
    await synced({ refresh: { interval: '1h', jitter: '10%' } });
    // random() = 0.5 puts a ±10% jitter in the middle: exactly one hour.
    expect(world.lastStatus().nextRefreshTime).toBe(new Date(START + HOUR).toISOString());
  });
});

describe('spec problems', () => {
  test('a key produced by both data and dataFrom is InvalidSpec: permanent, nothing written', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ spec: { dataFrom: [{ path: 'app/db' }] } }));

    expect(await world.reconcile()).toEqual({ requeueAfterMs: HOUR });

    expect(world.kube.writes('applySecret')).toHaveLength(0);
    expect(world.ready()).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'key "password" is produced by both dataFrom[0] and data[0]',
    });
  });

  test('duplicateKeys LastWins: data overrides the dataFrom key, the Secret is written, the swap logged at debug', async () => {
    const fromData = world.secretValue();
    const user = world.secretValue();
    world.backend.set('app/db', { password: world.secretValue(), user });
    world.backend.set('app/override', { password: fromData });
    world.put(
      secretSource({
        spec: {
          data: [{ key: 'password', remoteRef: { path: 'app/override', property: 'password' } }],
          dataFrom: [{ path: 'app/db' }],
          duplicateKeys: 'LastWins',
        },
      }),
    );

    expect(await world.sync()).toEqual({ requeueAfterMs: HOUR });

    const { secret } = world.kube.writes('applySecret')[0]!;
    expect(Object.keys(secret.data).sort()).toEqual(['password', 'user']);
    expect(decoded(secret.data, 'password') === fromData).toBe(true);
    expect(decoded(secret.data, 'user') === user).toBe(true);
    expect(world.ready()).toMatchObject({ status: 'True', reason: 'Synced' });
    expect(world.logger.entries.find((e) => e.message === 'duplicate keys: last wins')).toEqual({
      level: 'debug',
      fields: {
        secretSource: KEY,
        replacedKeys: [{ key: 'password', replaced: 'dataFrom[0]', by: 'data[0]' }],
      },
      message: 'duplicate keys: last wins',
    });

    // Unset again, the default refuses the duplicate and leaves the Secret as it was.
    world.edit((s) => delete s.spec.duplicateKeys, { specChange: true });
    const writes = world.kube.writes('applySecret').length;
    await world.sync();
    expect(world.kube.writes('applySecret')).toHaveLength(writes);
    expect(world.ready()).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'key "password" is produced by both dataFrom[0] and data[0]',
    });
    expect(decoded(world.liveSecret()?.data, 'password') === fromData).toBe(true);
  });

  test('an object that does not parse is InvalidSpec and not retried', async () => {
    const raw = secretSource() as unknown as { spec: { providerRef: { kind: string } } };
    raw.spec.providerRef.kind = 'Vault';
    world.sources.set(KEY, raw);

    expect(await world.reconcile()).toEqual({});

    expect(world.kube.calls.map((c) => c.op)).toEqual(['patchSecretSourceStatus']);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(world.events.events[0]).toMatchObject({
      type: 'Warning',
      reason: 'InvalidSpec',
      object: { kind: 'SecretSource', name: 'db', namespace: 'payments', uid: 'uid-db' },
    });
  });

  test('data and dataFrom on one path cost one provider read', async () => {
    world.backend.set('app/db', { password: world.secretValue(), user: world.secretValue() });
    world.put(
      secretSource({
        spec: {
          data: [{ key: 'pw', remoteRef: { path: 'app/db', property: 'password' } }],
          dataFrom: [{ path: 'app/db' }],
        },
      }),
    );
    await world.reconcile();
    expect(world.backend.totalReads()).toBe(1);
    expect(Object.keys(world.kube.writes('applySecret')[0]!.secret.data)).toEqual(['password', 'pw', 'user']);
  });
});

describe('restartTargets', () => {
  const restartTargets = [
    { kind: 'Deployment' as const, name: 'payments-api' },
    { kind: 'StatefulSet' as const, name: 'payments-db' },
  ];
  const restarts = () => world.kube.writes('restartWorkload');
  beforeEach(() => {
    world.kube.workloads.add('Deployment/payments/payments-api');
    world.kube.workloads.add('StatefulSet/payments/payments-db');
  });

  test('not on the first sync, nor on a quiet refresh', async () => {
    await synced({ spec: { restartTargets } });
    world.clock.advance(HOUR);
    await world.sync();
    expect(restarts()).toEqual([]);
    expect(world.ready()?.message).toBe('1 keys from SecretProvider/vault');
  });

  test('each content change rolls every target once, with the new fingerprint on its pod template', async () => {
    await synced({ spec: { restartTargets } });
    world.backend.set('app/db', { password: world.secretValue() });
    world.clock.advance(HOUR);
    await world.sync();
    world.clock.advance(HOUR);
    await world.sync(); // quiet

    const hash = world.lastStatus().syncedHash;
    expect(restarts()).toEqual([
      {
        op: 'restartWorkload',
        workload: { namespace: 'payments', kind: 'Deployment', name: 'payments-api' },
        annotation: 'secretsource.dev/content-hash',
        value: hash,
      },
      expect.objectContaining({
        workload: { namespace: 'payments', kind: 'StatefulSet', name: 'payments-db' },
      }),
    ]);
    expect(world.events.reasons().filter((r) => r === 'Normal/WorkloadRestarted')).toHaveLength(2);
    // The restart comes before the status that records the new fingerprint.
    const ops = world.kube.calls.map((c) => c.op);
    expect(ops.lastIndexOf('restartWorkload')).toBeLessThan(ops.lastIndexOf('patchSecretSourceStatus'));
  });

  test('a missing workload is a Warning, not a failed sync', async () => {
    await synced({ spec: { restartTargets } });
    world.kube.workloads.delete('StatefulSet/payments/payments-db');
    world.backend.set('app/db', { password: world.secretValue() });
    world.clock.advance(HOUR);
    await world.sync();
    expect(world.ready()).toMatchObject({ status: 'True' });
    expect(world.events.events.at(-1)).toMatchObject({
      type: 'Warning',
      reason: 'RestartTargetNotFound',
      message: 'StatefulSet payments-db not found in namespace payments; nothing was restarted',
    });
  });

  test('a failed restart fails the sync; the retry restarts again, since status still has the old fingerprint', async () => {
    await synced({ spec: { restartTargets } });
    world.backend.set('app/db', { password: world.secretValue() });
    world.kube.failNext('restartWorkload', { code: 500, body: { message: 'etcdserver: timeout' } });
    world.clock.advance(HOUR);
    expect(await world.sync()).toEqual({ retry: true });
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'RestartFailed' });

    world.clock.advance(10 * SECOND);
    await world.sync();
    expect(world.ready()).toMatchObject({ status: 'True' });
    expect(restarts().map((r) => r.workload.name)).toEqual(['payments-api', 'payments-api', 'payments-db']);
  });
});

// Bugs found by these tests and fixed; each test states what must happen.
describe('target labels', () => {
  test('a change of target labels with unchanged data is applied', async () => {
    await synced();
    world.edit((s) => (s.spec.target = { labels: { team: 'payments' } }), { specChange: true });
    await world.sync();
    expect(world.liveSecret()?.metadata?.labels).toMatchObject({ team: 'payments' });
  });
});

describe('a Merge target deleted', () => {
  test('a Merge target deleted while Ready is not polled with requeueAfterMs 0', async () => {
    world.kube.putSecret({ metadata: { name: 'app', namespace: 'payments' }, data: {} });
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ target: { name: 'app', creationPolicy: 'Merge' } }));
    await world.sync();
    world.kube.secrets.delete('payments/app');
    world.settle();

    world.clock.advance(HOUR);
    const result = await world.reconcile();
    expect(result.requeueAfterMs === undefined || result.requeueAfterMs > 0).toBe(true);
  });
});

describe('a SecretSource that no longer parses', () => {
  test('a SecretSource that no longer parses can still be deleted (finalizer removed)', async () => {
    await synced();
    world.edit((s) => {
      (s.spec.providerRef as { kind: string }).kind = 'Vault'; // e.g. stored before a CRD upgrade
    });
    world.markDeleted();
    await world.reconcile();
    expect(world.kube.writes('setFinalizer').at(-1)).toMatchObject({ present: false });
  });
});

describe('refresh schedules that cannot fire', () => {
  test('an unschedulable refresh is a permanent failure, reported before anything is written', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ refresh: { schedule: '0 3 * * *', timeZone: 'Mars/Olympus' } }));
    const result = await world.reconcile(); // rejects today, after applying the Secret
    expect(result.retry).toBeUndefined();
    expect(world.kube.writes('applySecret')).toHaveLength(0);
  });

  test('a schedule that never fires (0 0 31 2 *) is InvalidSpec once, and the backend is never read', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource({ refresh: { schedule: '0 0 31 2 *' } }));

    const runs = await runAsQueue(48);

    expect(runs).toBe(1);
    expect(world.backend.totalReads()).toBe(0);
    expect(world.kube.writes('applySecret')).toHaveLength(0);
    expect(world.ready()).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'refresh: schedule "0 0 31 2 *" never fires: no date matches it',
    });
    expect(world.events.reasons()).toEqual(['Warning/InvalidSpec']);
  });

  test('a permanent failure with a schedule that yields no next run does not throw', async () => {
    // Reached only if a schedule passed validation and still had no next slot: the failure is
    // reported and the source waits for a change instead of crashing into the queue's backoff.
    await synced({ refresh: { schedule: '0 3 * * *' } });
    world.backend.failWith(
      'app/db',
      new InvalidRefError({ provider: 'vault SecretProvider fake', path: 'app/db' }, 'bad'),
    );
    world.clock.advance(Date.parse('9999-12-31T12:00:00Z') - world.clock.now());
    world.edit((s) => (s.metadata.annotations = { [FORCE_SYNC_ANNOTATION]: '1' }));
    await expect(world.reconcile()).resolves.toEqual({});
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'InvalidRef' });
  });

  test('a permanent failure under OnChange or CreatedOnce is retried eventually', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(
      secretSource({ target: { name: 'app', creationPolicy: 'Merge' }, refresh: { policy: 'OnChange' } }),
    );
    // TargetNotFound: the Secret to merge into arrives later (no event: it is not labelled as managed).
    const result = await world.reconcile();
    expect(result.retry === true || result.requeueAfterMs !== undefined).toBe(true);
  });
});

describe('a SecretSource that no longer parses: status', () => {
  test('an unparseable SecretSource has its status written once, not on every reconcile', async () => {
    const raw = secretSource() as unknown as { spec: { providerRef: { kind: string } } };
    raw.spec.providerRef.kind = 'Vault';
    world.sources.set(KEY, raw);
    await world.sync();
    world.clock.advance(MINUTE);
    await world.sync();
    expect(world.kube.writes('patchSecretSourceStatus')).toHaveLength(1);
  });
});

// Defects found in review (issue 11); each test failed on the code before its fix.
describe('an empty read never blanks the Secret', () => {
  test('a dataFrom map that became empty is EmptyResult: the Secret keeps its keys', async () => {
    const user = world.secretValue();
    world.backend.set('app/extra', { user });
    await synced({ spec: { dataFrom: [{ path: 'app/extra' }] } });
    world.backend.set('app/extra', {});
    const writes = world.kube.writes('applySecret').length;

    world.clock.advance(HOUR);
    await world.sync();

    expect(world.kube.writes('applySecret')).toHaveLength(writes);
    expect(decoded(world.liveSecret()?.data, 'user') === user).toBe(true);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'EmptyResult' });
    expect(world.ready()?.message).toContain('dataFrom[0]');
    expect(world.events.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'EmptyResult' });
  });

  test('a find that matches nothing is EmptyResult on the first sync: nothing is written', async () => {
    world.client.find = async () => new Map();
    world.put(secretSource({ spec: { data: [], dataFrom: [{ find: { name: { regexp: '^none' } } }] } }));
    await world.sync();
    expect(world.kube.writes('applySecret')).toHaveLength(0);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'EmptyResult' });
  });

  test('spec.allowEmpty opts in: the empty map is written', async () => {
    world.backend.set('app/extra', {});
    world.put(
      secretSource({ spec: { data: [], dataFrom: [{ path: 'app/extra' }], ...{ allowEmpty: true } } }),
    );
    await world.sync();
    expect(world.ready()).toMatchObject({ status: 'True' });
    expect(world.liveSecret()?.data ?? {}).toEqual({});
  });
});

describe('each SecretSource writes under its own field manager', () => {
  function existingApp(): string {
    const theirs = world.secretValue();
    world.kube.putSecret({
      metadata: { name: 'app', namespace: 'payments' },
      type: 'Opaque',
      data: { other: b64(theirs) },
    });
    world.settle();
    return theirs;
  }
  function mergeSource(name: string, path: string, extra: SecretSourceFixture = {}): SecretSource {
    return world.put(
      secretSource({
        name,
        spec: { data: [{ key: name, remoteRef: { path, property: 'value' } }] },
        target: { name: 'app', creationPolicy: 'Merge' },
        ...extra,
      }),
    );
  }

  test('two Merge sources on one Secret keep each other’s keys, and a quiet refresh writes nothing', async () => {
    const theirs = existingApp();
    const a = world.secretValue();
    const b = world.secretValue();
    world.backend.set('app/a', { value: a }).set('app/b', { value: b });
    mergeSource('a', 'app/a');
    mergeSource('b', 'app/b');

    await world.sync('payments/a');
    await world.sync('payments/b');
    world.clock.advance(HOUR);
    await world.sync('payments/a');
    await world.sync('payments/b');

    const live = world.liveSecret('payments/app');
    expect(decoded(live?.data, 'a') === a).toBe(true);
    expect(decoded(live?.data, 'b') === b).toBe(true);
    expect(decoded(live?.data, 'other') === theirs).toBe(true);
    expect(world.kube.writes('applySecret')).toHaveLength(2);
    expect(world.kube.writes('applySecret').map((w) => w.fieldManager)).toEqual([
      'secretsource.dev/a',
      'secretsource.dev/b',
    ]);
  });

  test('a Merge source cannot take over the Secret of an Owner source', async () => {
    const password = await synced();
    world.backend.set('app/m', { value: world.secretValue() });
    world.put(
      secretSource({
        name: 'm',
        spec: { data: [{ key: 'password', remoteRef: { path: 'app/m', property: 'value' } }] },
        target: { name: 'db', creationPolicy: 'Merge' },
      }),
    );
    const writes = world.kube.writes('applySecret').length;

    await world.sync('payments/m');

    expect(world.kube.writes('applySecret')).toHaveLength(writes);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'TargetConflict' });
    expect(world.ready()?.message).toContain('SecretSource db');
    expect(decoded(world.liveSecret()?.data, 'password') === password).toBe(true);
  });

  test('Merge + Delete finalization removes only that source’s keys', async () => {
    existingApp();
    const b = world.secretValue();
    world.backend.set('app/a', { value: world.secretValue() }).set('app/b', { value: b });
    mergeSource('a', 'app/a', { target: { name: 'app', creationPolicy: 'Merge', deletionPolicy: 'Delete' } });
    mergeSource('b', 'app/b');
    await world.sync('payments/a');
    await world.sync('payments/b');

    world.markDeleted('payments/a');
    await world.sync('payments/a');

    const live = world.liveSecret('payments/app');
    expect(Object.keys(live?.data ?? {}).sort()).toEqual(['b', 'other']);
    expect(decoded(live?.data, 'b') === b).toBe(true);
    expect(live?.metadata?.labels?.[MANAGED_LABEL]).toBe('true'); // still b's
  });

  test('a Secret written under the old shared manager is taken over without a value gap', async () => {
    const password = world.secretValue();
    world.backend.set('app/db', { password });
    world.put(secretSource());
    // What an older operator wrote: the same data, applied by the shared manager, an unsalted hash.
    const legacyHash = `sha256:${randomBytes(32).toString('hex')}`;
    world.kube.applyAs('secretsource-operator', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'db',
        namespace: 'payments',
        labels: { [MANAGED_LABEL]: 'true' },
        annotations: { [FINGERPRINT_ANNOTATION]: legacyHash, [SOURCE_ANNOTATION]: 'db' },
      },
      type: 'Opaque',
      data: { password: b64(password) },
    });
    world.edit((s) => {
      s.status = {
        observedGeneration: 1,
        syncedHash: legacyHash,
        conditions: [
          { type: 'Ready', status: 'True', reason: 'Synced', message: '', lastTransitionTime: '' },
        ],
      } as SecretSourceStatus;
    });
    world.settle();

    await world.sync();

    const live = world.liveSecret();
    expect(decoded(live?.data, 'password') === password).toBe(true);
    expect(world.kube.managersOf(KEY)).toEqual(['secretsource.dev/db']);
    expect(live?.metadata?.annotations?.[FINGERPRINT_ANNOTATION]).not.toBe(legacyHash);
    // Every write kept the password: no moment without it.
    expect(world.kube.history(KEY).every((s) => decoded(s.data, 'password') === password)).toBe(true);
  });
});

describe('keys and fields that are not ours', () => {
  test('a key added by hand is left alone, and refreshes then write nothing', async () => {
    await synced();
    world.clock.advance(MINUTE);
    const extra = world.secretValue();
    world.editSecret((s) => (s.data = { ...s.data, extra: b64(extra) }));
    const writes = world.writeCount();
    const events = world.events.events.length;

    await world.sync();
    world.clock.advance(HOUR);
    await world.sync();
    world.clock.advance(HOUR);
    await world.sync();

    expect(world.kube.writes('applySecret')).toHaveLength(1);
    // Only the refreshes' own two times: nothing about the key, no repair, no Event.
    expect(
      world.kube.calls
        .slice(writes)
        .map((c) => c.op === 'patchSecretSourceStatus' && Object.keys(c.status).sort()),
    ).toEqual([
      ['lastRefreshTime', 'nextRefreshTime'],
      ['lastRefreshTime', 'nextRefreshTime'],
    ]);
    expect(world.events.events).toHaveLength(events);
    expect(decoded(world.liveSecret()?.data, 'extra') === extra).toBe(true);
  });

  test('a label removed from spec.target is removed from the Secret', async () => {
    await synced({ target: { labels: { team: 'payments', tier: 'db' } } });
    world.edit((s) => (s.spec.target = { labels: { team: 'payments' } }), { specChange: true });
    await world.sync();
    expect(world.liveSecret()?.metadata?.labels).toEqual({ team: 'payments', [MANAGED_LABEL]: 'true' });
  });

  test('an annotation removed from spec.target is removed from the Secret', async () => {
    await synced({ target: { annotations: { note: 'x' } } });
    world.edit((s) => (s.spec.target = {}), { specChange: true });
    await world.sync();
    expect(world.liveSecret()?.metadata?.annotations ?? {}).not.toHaveProperty('note');
  });
});

describe('drift repair', () => {
  test('the managed label removed by hand is put back while the source annotation names us', async () => {
    const password = await synced();
    world.editSecret((s) => delete s.metadata!.labels![MANAGED_LABEL]);

    await world.sync();

    expect(world.liveSecret()?.metadata?.labels?.[MANAGED_LABEL]).toBe('true');
    expect(world.ready()).toMatchObject({ status: 'True' });
    expect(decoded(world.liveSecret()?.data, 'password') === password).toBe(true);
    expect(world.events.reasons().at(-1)).toBe('Normal/Repaired');
  });

  test('Merge: our key edited by hand is repaired; their keys are not ours to repair', async () => {
    world.kube.putSecret({ metadata: { name: 'app', namespace: 'payments' }, data: { other: b64('x') } });
    const password = world.secretValue();
    world.backend.set('app/db', { password });
    world.put(secretSource({ target: { name: 'app', creationPolicy: 'Merge' } }));
    await world.sync();

    world.editSecret((s) => (s.data = { ...s.data, password: b64('edited by hand') }), 'payments/app');
    await world.sync();

    expect(decoded(world.liveSecret('payments/app')?.data, 'password') === password).toBe(true);
    expect(world.events.reasons().at(-1)).toBe('Normal/Repaired');
  });
});

describe('fingerprints reveal nothing', () => {
  test('status.syncedHash and the annotation are keyed HMACs, not a hash anyone can recompute', async () => {
    const password = await synced();
    const unsalted = `sha256:${createHash('sha256').update(password).digest('hex')}`;
    const stamp = world.liveSecret()?.metadata?.annotations?.[FINGERPRINT_ANNOTATION];
    expect(world.lastStatus().syncedHash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(world.lastStatus().syncedHash).not.toBe(unsalted);
    expect(stamp).toBe(world.lastStatus().syncedHash);
  });
});

describe('spec.generate: rotation at the source', () => {
  const generate = [
    {
      key: 'password',
      remoteRef: { path: 'app/gen', property: 'password' },
      password: { length: 24, digits: 3 },
    },
  ];
  const source = () => secretSource({ spec: { data: [], generate } });
  const backendValue = () => world.backend.documents.get('app/gen')?.['password'] as string | undefined;
  const secretValue = () => decoded(world.liveSecret()?.data, 'password');
  const rotatedAt = () => world.liveSecret()?.metadata?.annotations?.['secretsource.dev/rotated-at'];
  afterEach(() => {
    // Generated passwords are values too: none may show in events, logs or status.
    const value = backendValue();
    if (value) world.values.add(value);
  });

  test('a remote value that does not exist yet is generated, written, read back and synced', async () => {
    world.put(source());
    await world.sync();
    expect(world.client.writes).toEqual([{ path: 'app/gen', property: 'password' }]);
    expect(backendValue()).toMatch(/^.{24}$/);
    expect(secretValue() === backendValue()).toBe(true);
    expect(rotatedAt()).toBe(new Date(START).toISOString());
    expect(world.events.reasons()).toEqual(['Normal/Rotated', 'Normal/Created']);
    expect(world.ready()).toMatchObject({ status: 'True' });
  });

  test('an existing remote value is adopted on the first sync, not rotated', async () => {
    const existing = world.secretValue();
    world.backend.set('app/gen', { password: existing });
    world.put(source());
    await world.sync();
    expect(world.client.writes).toEqual([]);
    expect(secretValue() === existing).toBe(true);
    expect(rotatedAt()).toBeUndefined();
  });

  test('each scheduled refresh rotates once; a reconcile in between does not', async () => {
    world.put(source());
    await world.sync();
    const first = backendValue();
    world.clock.advance(MINUTE);
    await world.sync();
    expect(world.client.writes).toHaveLength(1);

    world.clock.advance(HOUR);
    await world.sync();
    expect(world.client.writes).toHaveLength(2);
    expect(backendValue()).not.toBe(first);
    expect(secretValue() === backendValue()).toBe(true);
    expect(rotatedAt()).toBe(new Date(START + HOUR + MINUTE).toISOString());
  });

  test('a force-sync rotates now', async () => {
    world.put(source());
    await world.sync();
    world.clock.advance(SECOND);
    world.edit((s) => (s.metadata.annotations = { [FORCE_SYNC_ANNOTATION]: 'rotate' }));
    await world.sync();
    expect(world.client.writes).toHaveLength(2);
    expect(secretValue() === backendValue()).toBe(true);
  });

  test('crash after the backend write, before the Secret write: the retry adopts the backend value', async () => {
    world.put(source());
    await world.sync();
    world.clock.advance(HOUR);
    world.kube.failNext('applySecret', { code: 500, body: { message: 'etcdserver: timeout' } });
    expect(await world.sync()).toEqual({ retry: true });
    const written = backendValue();
    expect(secretValue() === written).toBe(false); // the backend is ahead, for one retry

    world.clock.advance(10 * SECOND);
    await world.sync();
    expect(world.client.writes).toHaveLength(2); // no second rotation
    expect(secretValue() === written).toBe(true);
  });

  test('crash after the Secret write, before the status: the retry does not rotate again', async () => {
    world.put(source());
    await world.sync();
    world.clock.advance(HOUR);
    world.kube.failNext('patchSecretSourceStatus', { code: 500, body: { message: 'etcdserver: timeout' } });
    await world.sync().catch(() => undefined);
    world.clock.advance(10 * SECOND);
    world.restart(); // what the process knew is gone; the Secret's rotated-at mark is not
    await world.sync();
    expect(world.client.writes).toHaveLength(2);
    expect(secretValue() === backendValue()).toBe(true);
    expect(world.ready()).toMatchObject({ status: 'True' });
  });

  test('a failed backend write fails the sync and leaves the Secret as it was', async () => {
    world.put(source());
    await world.sync();
    const before = secretValue();
    world.client.writeErrors.push(new UnavailableError({ provider: 'fake', path: 'app/gen' }));
    world.clock.advance(HOUR);
    expect(await world.sync()).toEqual({ retry: true });
    expect(secretValue() === before).toBe(true);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'Unavailable' });
  });

  test('a key pair: private key under the key, public under key.pub; a mismatched pair is made again', async () => {
    world.put(
      secretSource({
        spec: {
          data: [],
          generate: [
            {
              key: 'ssh',
              remoteRef: { path: 'app/keys', property: 'id' },
              keyPair: { algorithm: 'Ed25519', publicKeyFormat: 'OpenSSH' },
            },
          ],
        },
      }),
    );
    await world.sync();
    const keys = world.backend.documents.get('app/keys')!;
    world.values.add(keys['id'] as string);
    expect(world.client.writes.map((w) => w.property)).toEqual(['id.pub', 'id']);
    expect(decoded(world.liveSecret()?.data, 'ssh.pub')).toMatch(/^ssh-ed25519 /);
    expect(decoded(world.liveSecret()?.data, 'ssh')).toContain('BEGIN PRIVATE KEY');

    // A crash between the two writes of a later rotation: the public half is not the private's.
    world.backend.set('app/keys', { ...keys, 'id.pub': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAA\n' });
    world.clock.advance(MINUTE);
    world.edit((s) => (s.spec.target = { labels: { a: 'b' } }), { specChange: true });
    await world.sync();
    expect(world.client.writes).toHaveLength(4);
    world.values.add(world.backend.documents.get('app/keys')!['id'] as string);
  });
});

describe('every failure of a reconcile reaches Ready', () => {
  const timeout = { code: 500, body: { message: 'etcdserver: request timed out' } };

  test('a failing finalizer write is Ready=False with a reason and a Warning, and retried', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource());
    world.kube.failNext('setFinalizer', timeout);

    expect(await world.reconcile()).toEqual({ retry: true });

    const message = `adding finalizer ${FINALIZER}: etcdserver: request timed out`;
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'SyncFailed', message });
    expect(world.events.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'SyncFailed', message });
    expect(world.kube.writes('applySecret')).toHaveLength(0);
    expect(world.syncResults).toEqual(['error']);
  });

  test('a failing read of the target Secret is Ready=False with a reason and a Warning, and retried', async () => {
    world.backend.set('app/db', { password: world.secretValue() });
    world.put(secretSource());
    world.kube.failNext('getSecret', timeout);

    expect(await world.reconcile()).toEqual({ retry: true });

    const message = 'reading Secret db: etcdserver: request timed out';
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'SyncFailed', message });
    expect(world.events.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'SyncFailed', message });
    expect(world.kube.writes('applySecret')).toHaveLength(0);
    expect(world.backend.totalReads()).toBe(0);
  });

  test('a failing re-read of a drifted Secret is Ready=False, and the Secret is left as it is', async () => {
    await synced();
    world.clock.advance(MINUTE);
    world.editSecret((s) => (s.data = { password: b64('edited by hand') }));
    world.kube.failNext('getSecret', timeout);

    expect(await world.reconcile()).toEqual({ retry: true });

    expect(world.ready()).toMatchObject({
      status: 'False',
      reason: 'SyncFailed',
      message: 'reading Secret db: etcdserver: request timed out',
    });
    expect(world.events.reasons().at(-1)).toBe('Warning/SyncFailed');
    expect(world.kube.writes('applySecret')).toHaveLength(1);
  });

  test('a failing delete on finalization is Ready=False with a reason; the finalizer stays', async () => {
    await synced({ target: { creationPolicy: 'Orphan', deletionPolicy: 'Delete' } });
    world.markDeleted();
    world.kube.failNext('deleteSecret', timeout);

    expect(await world.sync()).toEqual({ retry: true });

    expect(world.ready()).toMatchObject({
      status: 'False',
      reason: 'WriteFailed',
      message: 'deleting Secret db: etcdserver: request timed out',
    });
    expect(world.events.reasons().at(-1)).toBe('Warning/WriteFailed');
    expect(world.source().metadata.finalizers).toEqual([FINALIZER]);
    expect(world.liveSecret()).toBeDefined();

    expect(await world.sync()).toEqual({});
    expect(world.liveSecret()).toBeUndefined();
    expect(world.sources.get(KEY)).toBeUndefined();
  });
});
