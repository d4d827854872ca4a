// Dynamic credentials through the reconciler, on the fake clock: issued once, renewed at a jittered
// fraction of each lease, replaced near the max TTL or when a renewal fails — the Secret only ever
// after the new credentials exist — revoked after a grace period, and picked up from status (not
// issued again) by a restarted operator.
import type { SecretSource, SecretSourceSpec } from '../api/v1alpha1/index.js';
import { UnavailableError } from '../providers/errors.js';
import type { LiveSecret } from './ports.js';
import type { FakeRole } from './testing/fakes.js';
import { secretSource } from './testing/fixtures.js';
import { decoded, HOUR, KEY, MINUTE, SECOND, START, World } from './testing/world.js';

const PATH = 'rabbitmq/creds/app';
const iso = (ms: number): string => new Date(ms).toISOString();

let world: World;
beforeEach(() => {
  world = new World();
});
afterEach(() => {
  world.assertNoValueLeaks();
});

/** A role issuing a generated username and password under a 30-second lease (max 90 s by default). */
function role(overrides: Partial<FakeRole> = {}, path = PATH): void {
  world.engine.role(path, {
    ttlSeconds: 30,
    maxTtlSeconds: 90,
    issue: () => ({ username: `u-${world.secretValue()}`, password: world.secretValue() }),
    ...overrides,
  });
}

function dynamicSource(spec: Partial<SecretSourceSpec> = {}): SecretSource {
  return secretSource({ spec: { data: [], dataFrom: [{ dynamic: { path: PATH } }], ...spec } });
}

/** The credentials a Secret version holds, as one string (never printed by a passing test). */
const credentials = (secret: LiveSecret | undefined): string =>
  `${decoded(secret?.data, 'username')}:${decoded(secret?.data, 'password')}`;

const leases = () => world.lastStatus().leases as Array<Record<string, unknown>>;
const leaseId = (): unknown => leases()[0]?.leaseId;
const issues = () => world.engine.count('issue');
const renewals = () => world.engine.count('renew');
const applies = () => world.kube.writes('applySecret').length;

/** Moves the clock to `at` (ms after START) and reconciles, as the queue's requeueAfter would. */
async function at(seconds: number, key = KEY) {
  world.clock.advance(START + seconds * SECOND - world.clock.now());
  return world.sync(key);
}

describe('first sync', () => {
  test('issues once, writes the credentials, records the lease (not the credentials) and plans the renewal', async () => {
    role();
    world.put(dynamicSource());

    // 30 s lease, renewed at two thirds minus up to a tenth of that: [18 s, 20 s]; random 0.5 → 19 s.
    expect(await world.sync()).toEqual({ requeueAfterMs: 19 * SECOND });

    expect(issues()).toBe(1);
    const [lease] = world.engine.leases.values();
    expect(credentials(world.liveSecret()).startsWith('u-')).toBe(true);
    expect(leases()).toEqual([
      {
        entry: 0,
        path: PATH,
        leaseId: lease!.id,
        leaseDuration: 30,
        renewable: true,
        issueTime: iso(START),
        expireTime: iso(START + 30 * SECOND),
      },
    ]);
    expect(world.lastStatus()).toMatchObject({
      replacedLeases: [],
      nextRefreshTime: iso(START + 19 * SECOND),
      syncedKeys: 2,
    });
    expect(world.ready()?.message).toBe(
      `2 keys from SecretProvider/vault; the credentials expire at ${iso(START + 30 * SECOND)}`,
    );
    expect(world.events.reasons()).toEqual(['Normal/Created', 'Normal/CredentialsIssued']);
    expect(world.events.events[1]!.message).toContain(lease!.id);
    expect(world.metricCalls).toContainEqual(['dynamicIssue', 'missing', 'issued']);
    expect(world.metricCalls).toContainEqual([
      'leaseExpiry',
      'payments',
      'db',
      new Date(START + 30 * SECOND),
    ]);
  });

  test('a provider that cannot issue is InvalidSpec', async () => {
    world.client.issue = undefined;
    world.put(dynamicSource());
    await world.sync();
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(world.ready()?.message).toContain('this provider cannot issue credentials');
  });
});

describe('renewal', () => {
  test('nothing happens before the window; in it the same lease is renewed, with no Secret write', async () => {
    role();
    world.put(dynamicSource());
    await world.sync();
    const id = leaseId();

    expect(await at(10)).toEqual({ requeueAfterMs: 9 * SECOND });
    expect(renewals()).toBe(0);

    const writes = world.writeCount();
    expect(await at(19)).toEqual({ requeueAfterMs: 19 * SECOND }); // renewed at 19 s for 30 s: next at 38 s
    expect(renewals()).toBe(1);
    expect(issues()).toBe(1);
    expect(applies()).toBe(1);
    expect(world.kube.calls.slice(writes).map((call) => call.op)).toEqual(['patchSecretSourceStatus']);
    expect(leases()[0]).toMatchObject({
      leaseId: id,
      leaseDuration: 30,
      renewTime: iso(START + 19 * SECOND),
      expireTime: iso(START + 49 * SECOND),
    });
    expect(world.lastStatus().nextRefreshTime).toBe(iso(START + 38 * SECOND));
    expect(world.ready()?.message).toContain(`expire at ${iso(START + 49 * SECOND)}`);
    expect(world.events.reasons()).toEqual([
      'Normal/Created',
      'Normal/CredentialsIssued',
      'Normal/LeaseRenewed',
    ]);
    expect(world.metricCalls).toContainEqual(['leaseRenewal', 'renewed']);
  });

  test.each([
    ['the start of the window', 0, 18],
    ['the middle', 0.5, 19],
    ['near its end', 0.999, 19.998],
  ])('jitter: random %s renews at %s s', async (_case, random, seconds) => {
    world.random = () => random;
    role();
    world.put(dynamicSource());
    expect(await world.sync()).toEqual({ requeueAfterMs: Math.round(seconds * SECOND) });
  });

  test('spec.lease.renewAt moves the renewal', async () => {
    role();
    world.put(dynamicSource({ lease: { renewAt: '50%' } }));
    // [13.5 s, 15 s], random 0.5 → 14.25 s.
    expect(await world.sync()).toEqual({ requeueAfterMs: 14_250 });
  });

  test('restart targets roll on a replacement, never on a renewal', async () => {
    role({ maxTtlSeconds: 45 });
    world.kube.workloads.add('Deployment/payments/api');
    world.put(dynamicSource({ restartTargets: [{ kind: 'Deployment', name: 'api' }] }));
    await world.sync();
    await at(19); // the renewal is capped at 45 s (granted 26 s of 30): replaced, so rolled
    const restarts = world.kube.writes('restartWorkload');
    expect(restarts).toHaveLength(1);
    expect(restarts[0]!.value).toBe(world.lastStatus().syncedHash);

    role({ maxTtlSeconds: 600 });
    const before = world.kube.writes('restartWorkload').length;
    const renewed = renewals();
    await at(19 + 19);
    expect(renewals()).toBe(renewed + 1);
    expect(world.kube.writes('restartWorkload')).toHaveLength(before);
  });
});

describe('replacement', () => {
  test('near the max TTL: a short renewal is replaced at once, with new credentials and a new lease', async () => {
    role({ maxTtlSeconds: 60 });
    world.put(dynamicSource());
    await world.sync();
    const first = leaseId();
    const held = credentials(world.liveSecret());
    await at(19); // until 49 s
    expect(leaseId()).toBe(first);
    await at(38); // asks for 30 s more, gets 22 s (60 s cap): replaced now
    expect(issues()).toBe(2);
    expect(leaseId()).not.toBe(first);
    expect(credentials(world.liveSecret()) === held).toBe(false);
    expect(leases()[0]).toMatchObject({ issueTime: iso(START + 38 * SECOND), renewable: true });
    expect(world.events.reasons()).toEqual([
      'Normal/Created',
      'Normal/CredentialsIssued',
      'Normal/LeaseRenewed',
      'Normal/Updated',
      'Normal/CredentialsReplaced',
    ]);
    expect(world.events.events.at(-1)!.message).toContain('the lease reached its maximum lifetime');
    expect(world.metricCalls).toContainEqual(['leaseRenewal', 'max_ttl']);
    expect(world.metricCalls).toContainEqual(['dynamicIssue', 'max_ttl', 'issued']);
    // Not revoked without spec.lease.revokeAfter: the old credentials live out their lease.
    expect(world.engine.leases.get(first as string)?.revoked).toBe(false);
  });

  test('a failed renewal issues new credentials', async () => {
    role();
    world.put(dynamicSource());
    await world.sync();
    const first = leaseId() as string;
    world.engine.leases.get(first)!.revoked = true; // revoked behind the operator's back

    await at(19);
    expect(world.events.reasons()).toEqual([
      'Normal/Created',
      'Normal/CredentialsIssued',
      'Warning/LeaseRenewalFailed',
      'Normal/Updated',
      'Normal/CredentialsReplaced',
    ]);
    expect(world.events.events[2]!.message).toContain(`Renewing lease ${first} failed`);
    expect(leaseId()).not.toBe(first);
    expect(world.ready()?.status).toBe('True');
    expect(world.metricCalls).toContainEqual(['dynamicIssue', 'renewal_failed', 'issued']);
  });

  test('no gap: while new credentials cannot be issued the Secret keeps the valid ones, then is replaced', async () => {
    role({ maxTtlSeconds: 30 });
    world.put(dynamicSource());
    await world.sync();
    const held = credentials(world.liveSecret());
    world.engine.failWith(PATH, new UnavailableError({ provider: 'vault', path: PATH }));

    const result = await at(19); // renewal capped (max 30 s), the issue fails: retried with backoff
    expect(result).toEqual({ retry: true });
    expect(applies()).toBe(1);
    expect(credentials(world.liveSecret()) === held).toBe(true);
    expect(world.ready()).toMatchObject({ status: 'False', reason: 'Unavailable' });

    world.engine.failWith(PATH, undefined);
    await at(21);
    expect(applies()).toBe(2);
    expect(credentials(world.liveSecret()) === held).toBe(false);
    // Every version the Secret ever had held one complete issue's credentials.
    const versions = world.kube.history(KEY).map(credentials);
    expect(versions.every((version) => /^u-[0-9a-f]+:[0-9a-f]+$/.test(version))).toBe(true);
  });

  test('a SecretSource with several entries is replaced as a whole, and an issue that fails takes the others back', async () => {
    role();
    role({ ttlSeconds: 60 }, 'database/creds/app');
    world.put(
      dynamicSource({
        dataFrom: [
          { dynamic: { path: PATH } },
          { dynamic: { path: 'database/creds/app' }, rewrite: [{ regexp: { source: '^', target: 'db_' } }] },
        ],
      }),
    );
    await world.sync();
    expect(Object.keys(world.liveSecret()!.data!).sort()).toEqual([
      'db_password',
      'db_username',
      'password',
      'username',
    ]);
    expect(leases().map((lease) => lease.entry)).toEqual([0, 1]);
    // The 30 s lease is renewed alone at 19 s; the 60 s one waits for its own window.
    await at(19);
    expect(renewals()).toBe(1);

    world.edit((s) => (s.spec.target = { labels: { tier: 'db' } }), { specChange: true });
    world.engine.failWith('database/creds/app', new UnavailableError({ provider: 'vault' }));
    await at(20);
    const issuedNow = [...world.engine.leases.values()].filter(
      (lease) => lease.issuedAt === START + 20 * SECOND,
    );
    expect(issuedNow.map((lease) => lease.path)).toEqual([PATH]);
    expect(issuedNow[0]!.revoked).toBe(true);
    expect(applies()).toBe(1);
  });

  test('credentials issued for a Secret that cannot be written are revoked', async () => {
    role();
    world.put(dynamicSource());
    world.kube.failNext('applySecret', new Error('boom'));
    await world.sync();
    expect(issues()).toBe(1);
    expect(world.engine.live()).toEqual([]);
    expect(world.ready()?.status).toBe('False');
  });

  test('a spec change, a force-sync or a deleted Secret issue new credentials', async () => {
    role();
    world.put(dynamicSource());
    await world.sync();
    await at(1);
    world.edit((s) => (s.spec.target = { labels: { tier: 'db' } }), { specChange: true });
    await world.sync();
    expect(issues()).toBe(2);
    world.edit((s) => (s.metadata.annotations = { 'secretsource.dev/force-sync': '1' }));
    await world.sync();
    expect(issues()).toBe(3);
    world.kube.secrets.delete(KEY);
    world.settle();
    await world.sync();
    expect(issues()).toBe(4);
    expect(world.events.events.at(-1)!.message).toContain('(target-missing)');
  });

  test('non-renewable credentials are replaced at two thirds of their lifetime, never after they expire', async () => {
    role({ leaseless: true, ttlSeconds: 30 });
    world.put(dynamicSource());
    await world.runAsQueue(1 / 12); // five minutes
    const issued = world.kube.history(KEY).length;
    expect(issued).toBeGreaterThanOrEqual(15); // one every 19 s
    expect(renewals()).toBe(0);
    // Each certificate was replaced 11 s before it expired: the Secret never held an expired one.
    const times = world.kube
      .writes('patchSecretSourceStatus')
      .flatMap((call) => (call.status.leases as Array<Record<string, string>> | undefined) ?? [])
      .map((lease) => [Date.parse(lease.issueTime!), Date.parse(lease.expireTime!)] as const);
    for (let i = 1; i < times.length; i++) {
      if (times[i]![0] === times[i - 1]![0]) continue;
      expect(times[i]![0]).toBeLessThan(times[i - 1]![1]);
    }
    expect(leases()[0]).toMatchObject({ renewable: false, leaseDuration: 30 });
    expect(leases()[0]!.leaseId).toBeUndefined();
  });

  test('credentials without a lifetime are issued again at each refresh interval', async () => {
    world.engine.role(PATH, { ttlSeconds: 0, leaseless: true, issue: () => ({ otp: world.secretValue() }) });
    world.client.issue = async (request, signal) => {
      const issued = await world.engine.issue(request, signal, 'vault');
      return { values: issued.values };
    };
    world.put(dynamicSource({ refresh: { interval: '10m' } }));
    expect(await world.sync()).toEqual({ requeueAfterMs: 10 * MINUTE });
    expect(world.lastStatus().leases).toEqual([]);
    await at(600);
    expect(issues()).toBe(2);
    expect(world.events.events.at(-1)!.message).toContain('credentials without a lifetime');
  });
});

describe('revocation after a grace period', () => {
  test('the replaced lease is revoked revokeAfter after the Secret holds the new credentials', async () => {
    role({ maxTtlSeconds: 30 });
    world.put(dynamicSource({ lease: { revokeAfter: '5s' } }));
    await world.sync();
    const first = leaseId() as string;
    await at(19); // capped: replaced at 19 s
    expect(world.lastStatus().replacedLeases).toEqual([
      { leaseId: first, expireTime: iso(START + 30 * SECOND), revokeTime: iso(START + 24 * SECOND) },
    ]);
    expect(world.engine.leases.get(first)!.revoked).toBe(false);
    expect(world.lastStatus().nextRefreshTime).toBe(iso(START + 24 * SECOND));

    await at(24);
    expect(world.engine.leases.get(first)!.revoked).toBe(true);
    expect(world.lastStatus().replacedLeases).toEqual([]);
    expect(world.events.reasons().at(-1)).toBe('Normal/LeaseRevoked');
    expect(world.metricCalls).toContainEqual(['leaseRevocation', 'revoked']);
    // The next action is the new lease's renewal: 19 s after 19 s.
    expect(world.lastStatus().nextRefreshTime).toBe(iso(START + 38 * SECOND));
  });

  test('a revocation that fails is tried again later, and dropped once the lease has expired', async () => {
    role({ maxTtlSeconds: 30, ttlSeconds: 30 });
    world.put(dynamicSource({ lease: { revokeAfter: '1s' } }));
    await world.sync();
    const first = leaseId() as string;
    await at(19);
    world.client.revokeLease = () => Promise.reject(new UnavailableError({ provider: 'vault' }));
    await at(20);
    expect(world.metricCalls).toContainEqual(['leaseRevocation', 'error']);
    // Tried again in 30 s at the latest, which is when it expires: then it is dropped.
    expect(world.lastStatus().replacedLeases).toEqual([
      { leaseId: first, expireTime: iso(START + 30 * SECOND), revokeTime: iso(START + 30 * SECOND) },
    ]);
    expect(world.lastStatus().nextRefreshTime).toBe(iso(START + 38 * SECOND));
    await at(38); // the second lease is replaced in turn (its max TTL), the first is gone from status
    expect(
      (world.lastStatus().replacedLeases as Array<{ leaseId: string }>).map((l) => l.leaseId),
    ).not.toContain(first);
    expect(world.engine.leases.get(first)!.revoked).toBe(false);
  });
});

describe('after a restart or a leader change', () => {
  test('the leases are picked up from status: renewed, not issued again', async () => {
    role();
    world.put(dynamicSource());
    await world.sync();
    const id = leaseId();
    world.restart();

    expect(await at(5)).toEqual({ requeueAfterMs: 14 * SECOND }); // the announced renewal, exactly
    expect(issues()).toBe(1);
    await at(19);
    expect(renewals()).toBe(1);
    expect(issues()).toBe(1);
    expect(leaseId()).toBe(id);
  });

  test('an operator down past the expiry issues new credentials at once', async () => {
    role();
    world.put(dynamicSource());
    await world.sync();
    world.restart();
    await at(HOUR / SECOND);
    expect(issues()).toBe(2);
    expect(world.events.events.at(-1)!.message).toContain('they had expired');
  });

  test('a queue run over hours keeps the credentials valid at every moment with one lease per max TTL', async () => {
    role({ maxTtlSeconds: 90 });
    world.put(dynamicSource());
    await world.runAsQueue(1);
    // Replaced about every 76 s (the renewal at 76 s asks for 30 s and gets 14 s): ~47 an hour.
    expect(issues()).toBeGreaterThan(40);
    expect(issues()).toBeLessThan(60);
    expect(world.ready()?.status).toBe('True');
    const live = world.engine.live().map((lease) => lease.id);
    expect(live).toContain(leaseId());
  });
});
