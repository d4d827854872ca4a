import { FakeClock, flushPromises } from '../kube/clock.js';
import {
  LeaderElectionConfigError,
  LeaderElector,
  type LeaderElectorOptions,
  type StepDownReason,
} from './leader-election.js';
import {
  LeaseConflictError,
  LeaseRequestError,
  type LeaseKey,
  type LeaseRecord,
  type LeaseSpec,
  type LeaseStore,
} from './lease-store.js';

const KEY: LeaseKey = { namespace: 'secretsource-system', name: 'secretsource-operator' };
const START = Date.parse('2026-11-26T10:00:00Z');

/** One Lease object with resourceVersion checks, as the API server keeps it. */
class FakeLeaseBackend {
  record: LeaseRecord | undefined;
  #version = 0;
  writes = 0;

  client(): FakeLeaseClient {
    return new FakeLeaseClient(this);
  }

  read(): LeaseRecord | undefined {
    return this.record && { ...this.record };
  }

  write(spec: LeaseSpec, expectedVersion: string | undefined): LeaseRecord {
    if (expectedVersion === undefined && this.record) throw new LeaseConflictError(KEY, 'create');
    if (expectedVersion !== undefined && this.record?.resourceVersion !== expectedVersion) {
      throw new LeaseConflictError(KEY, 'update');
    }
    this.writes++;
    this.record = { ...spec, resourceVersion: String(++this.#version) };
    return { ...this.record };
  }
}

/** One replica's connection to the backend; its mode simulates a partition or a hung API server. */
class FakeLeaseClient implements LeaseStore {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  /** What a request rejects with in mode 'fail'. */
  failure: Error = new Error('connect ECONNREFUSED');

  constructor(readonly backend: FakeLeaseBackend) {}

  async get(): Promise<LeaseRecord | undefined> {
    await this.#gate();
    return this.backend.read();
  }

  async create(_key: LeaseKey, spec: LeaseSpec): Promise<LeaseRecord> {
    await this.#gate();
    return this.backend.write(spec, undefined);
  }

  async update(_key: LeaseKey, record: LeaseRecord): Promise<LeaseRecord> {
    await this.#gate();
    return this.backend.write(record, record.resourceVersion);
  }

  #gate(): Promise<void> {
    if (this.mode === 'fail') return Promise.reject(this.failure);
    if (this.mode === 'hang') return new Promise(() => undefined);
    return Promise.resolve();
  }
}

interface Replica {
  elector: LeaderElector;
  store: FakeLeaseClient;
  events: string[];
  stepDowns: Array<{ reason: StepDownReason; at: number }>;
  startedAt: number[];
}

function replica(
  identity: string,
  backend: FakeLeaseBackend,
  clock: FakeClock,
  extra: Partial<LeaderElectorOptions> = {},
): Replica {
  const store = backend.client();
  const events: string[] = [];
  const stepDowns: Replica['stepDowns'] = [];
  const startedAt: number[] = [];
  const elector = new LeaderElector({
    lease: KEY,
    identity,
    store,
    clock,
    random: () => 0.5,
    onStartedLeading: () => {
      events.push('started');
      startedAt.push(clock.now());
    },
    onStoppedLeading: (reason) => {
      events.push(`stopped:${reason}`);
      stepDowns.push({ reason, at: clock.now() });
    },
    onNewLeader: (leader) => events.push(`leader:${leader}`),
    ...extra,
  });
  return { elector, store, events, stepDowns, startedAt };
}

describe('LeaderElector', () => {
  let clock: FakeClock;
  let backend: FakeLeaseBackend;
  beforeEach(() => {
    clock = new FakeClock(START);
    backend = new FakeLeaseBackend();
  });

  it('creates a missing lease and leads', async () => {
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);

    expect(a.elector.isLeader()).toBe(true);
    expect(a.elector.currentLeader()).toBe('a');
    expect(a.events).toEqual(['leader:a', 'started']);
    expect(backend.record).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
      acquireTime: new Date(START),
      renewTime: new Date(START),
    });
  });

  it('renews every retry period, keeping acquireTime', async () => {
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);
    await clock.advanceAsync(2_000);
    expect(backend.record?.renewTime).toEqual(new Date(START + 2_000));
    await clock.advanceAsync(2_000);
    expect(backend.record?.renewTime).toEqual(new Date(START + 4_000));
    expect(backend.record?.acquireTime).toEqual(new Date(START));
    expect(a.events).toEqual(['leader:a', 'started']);
  });

  it('lets only one of two simultaneous candidates win', async () => {
    const a = replica('a', backend, clock);
    const b = replica('b', backend, clock);
    a.elector.start();
    b.elector.start();
    await clock.advanceAsync(0);
    await clock.advanceAsync(10_000);

    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, standby] = a.elector.isLeader() ? [a, b] : [b, a];
    expect(standby.events).toEqual([`leader:${backend.record?.holderIdentity}`]);
    expect(leader.events).toContain('started');
    expect(standby.elector.currentLeader()).toBe(leader.elector.currentLeader());
  });

  it('lets only one of two candidates take a released lease', async () => {
    backend.write({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 3 }, undefined);
    const a = replica('a', backend, clock);
    const b = replica('b', backend, clock);
    a.elector.start();
    b.elector.start();
    await clock.advanceAsync(0);

    expect(a.elector.isLeader()).not.toBe(b.elector.isLeader());
    expect(backend.record?.leaseTransitions).toBe(4);
  });

  it('steps down after the renew deadline, before a standby can take over', async () => {
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);
    const b = replica('b', backend, clock);
    b.elector.start();
    await clock.advanceAsync(2_000); // a renewed at +2s; b has observed it
    const lastRenewal = backend.record?.renewTime?.getTime() ?? 0;
    expect(lastRenewal).toBe(START + 2_000);

    a.store.mode = 'fail'; // a is cut off from the API server
    await clock.advanceAsync(30_000);

    expect(a.stepDowns).toEqual([{ reason: 'renew-deadline', at: lastRenewal + 10_000 }]);
    expect(b.elector.isLeader()).toBe(true);
    const [takeover] = b.startedAt;
    expect(takeover).toBeGreaterThanOrEqual(lastRenewal + 15_000);
    expect(takeover).toBeLessThan(lastRenewal + 15_000 + 2 * 2_200);
    expect(takeover).toBeGreaterThan(a.stepDowns[0]?.at ?? Infinity);
    expect(backend.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('steps down when a renewal hangs', async () => {
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);
    a.store.mode = 'hang';
    await clock.advanceAsync(9_999);
    expect(a.elector.isLeader()).toBe(true);
    await clock.advanceAsync(1);
    expect(a.stepDowns).toEqual([{ reason: 'renew-deadline', at: START + 10_000 }]);
  });

  it('survives failed renewals inside the deadline', async () => {
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);
    a.store.mode = 'fail';
    await clock.advanceAsync(6_000); // renewals at +2s, +4s and +6s fail
    a.store.mode = 'ok';
    await clock.advanceAsync(2_000); // +8s succeeds, inside the 10s deadline
    expect(backend.record?.renewTime).toEqual(new Date(START + 8_000));
    await clock.advanceAsync(10_000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.events).toEqual(['leader:a', 'started']);
  });

  it('hands the lease to a standby at once on release', async () => {
    const a = replica('a', backend, clock);
    const b = replica('b', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);
    b.elector.start();
    await clock.advanceAsync(0);
    expect(b.elector.isLeader()).toBe(false);

    await expect(a.elector.release()).resolves.toBe(true);
    expect(a.events).toEqual(['leader:a', 'started', 'stopped:released']);
    expect(a.elector.isLeader()).toBe(false);
    expect(backend.record).toMatchObject({ holderIdentity: '', renewTime: new Date(clock.now()) });

    await clock.advanceAsync(2_000 * 2.2);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.startedAt[0]).toBeLessThanOrEqual(START + 2_000 * 2.2);

    await clock.advanceAsync(60_000);
    expect(a.events).toEqual(['leader:a', 'started', 'stopped:released']); // stopped competing
  });

  it('release by a standby leaves the lease alone', async () => {
    const a = replica('a', backend, clock);
    const b = replica('b', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);
    b.elector.start();
    await clock.advanceAsync(0);
    const before = backend.writes;
    await expect(b.elector.release()).resolves.toBe(false);
    expect(backend.record?.holderIdentity).toBe('a');
    expect(backend.writes).toBe(before);
    expect(b.events).toEqual(['leader:a']);
  });

  it('release waits for an attempt in flight and does not throw when the API server is down', async () => {
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);
    a.store.mode = 'fail';
    await expect(a.elector.release()).resolves.toBe(false);
    expect(a.events).toEqual(['leader:a', 'started', 'stopped:released']);
  });

  it('steps down at once when it finds another holder', async () => {
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);
    const current = backend.read();
    if (!current) throw new Error('no lease');
    backend.write(
      { ...current, holderIdentity: 'intruder', renewTime: new Date(clock.now()) },
      current.resourceVersion,
    );

    await clock.advanceAsync(2_000);
    expect(a.stepDowns).toEqual([{ reason: 'lost', at: START + 2_000 }]);
    expect(a.events).toContain('leader:intruder');
    expect(a.elector.currentLeader()).toBe('intruder');
  });

  it('waits a lease duration of its own before taking a lease whose renewTime looks long expired', async () => {
    // The holder's clock may be behind ours; only a lease that also stayed unchanged for a full
    // duration on our clock is taken.
    backend.write(
      {
        holderIdentity: 'old',
        leaseDurationSeconds: 15,
        leaseTransitions: 0,
        renewTime: new Date(START - 3_600_000),
      },
      undefined,
    );
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(14_000);
    expect(a.elector.isLeader()).toBe(false);
    await clock.advanceAsync(6_000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.events).toEqual(['leader:old', 'leader:a', 'started']);
  });

  it('respects a renewTime ahead of its own clock', async () => {
    backend.write(
      {
        holderIdentity: 'old',
        leaseDurationSeconds: 15,
        leaseTransitions: 0,
        renewTime: new Date(START + 30_000),
      },
      undefined,
    );
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(44_000);
    expect(a.elector.isLeader()).toBe(false);
    await clock.advanceAsync(5_000);
    expect(a.elector.isLeader()).toBe(true);
  });

  it('keeps running when a callback throws', async () => {
    const warnings: string[] = [];
    const a = replica('a', backend, clock, {
      onStartedLeading: () => {
        throw new Error('callback bug');
      },
      logger: {
        info: () => undefined,
        debug: () => undefined,
        warn: (_o, message) => warnings.push(message),
      },
    });
    a.elector.start();
    await clock.advanceAsync(4_000);
    expect(a.elector.isLeader()).toBe(true);
    expect(warnings).toEqual(['leader election callback threw']);
    expect(backend.record?.renewTime).toEqual(new Date(START + 4_000));
  });

  it('clears its timers after release', async () => {
    const a = replica('a', backend, clock);
    a.elector.start();
    await clock.advanceAsync(0);
    await a.elector.release();
    await flushPromises();
    expect(clock.pendingTimers()).toBe(0);
  });

  it.each([
    [{ leaseDurationSeconds: 10, renewDeadlineSeconds: 10 }],
    [{ renewDeadlineSeconds: 2, retryPeriodSeconds: 2 }],
    [{ retryPeriodSeconds: 0 }],
    [{ identity: ' ' }],
  ])('rejects inconsistent timing %j', (options) => {
    expect(
      () => new LeaderElector({ lease: KEY, identity: 'a', store: backend.client(), ...options }),
    ).toThrow(LeaderElectionConfigError);
  });
});

describe('LeaderElector: failures to take or renew the Lease', () => {
  const MINUTE = 60_000;
  let clock: FakeClock;
  let backend: FakeLeaseBackend;
  let logged: { level: string; fields: Record<string, unknown>; message: string }[];
  beforeEach(() => {
    clock = new FakeClock(START);
    backend = new FakeLeaseBackend();
    logged = [];
  });
  const logger = {
    info: (fields: object, message: string) => logged.push({ level: 'info', fields: { ...fields }, message }),
    warn: (fields: object, message: string) => logged.push({ level: 'warn', fields: { ...fields }, message }),
    debug: () => undefined,
  };
  const warnings = () => logged.filter((entry) => entry.level === 'warn').map((entry) => entry.message);
  const missingNamespace = new LeaseRequestError(
    KEY,
    'create',
    404,
    'namespaces "secretsource-system" not found',
  );

  it('a candidate that cannot take the Lease warns at once, naming the Lease, its namespace and the error', async () => {
    const a = replica('a', backend, clock, { logger });
    a.store.mode = 'fail';
    a.store.failure = missingNamespace;
    a.elector.start();
    await clock.advanceAsync(0);

    expect(warnings()).toEqual([
      'cannot take Lease secretsource-system/secretsource-operator: namespaces "secretsource-system" not found' +
        ' — create it (kubectl create namespace secretsource-system) or pass --leader-election-namespace',
    ]);
    expect(logged.find((entry) => entry.level === 'warn')?.fields).toMatchObject({
      lease: KEY,
      operation: 'create',
      statusCode: 404,
    });
  });

  it('logs the same failure again only every 5 minutes, with the count, and a different one at once', async () => {
    const a = replica('a', backend, clock, { logger });
    a.store.mode = 'fail';
    a.store.failure = missingNamespace;
    a.elector.start();
    await clock.advanceAsync(0);
    await clock.advanceAsync(4 * MINUTE);
    expect(warnings()).toHaveLength(1);

    await clock.advanceAsync(MINUTE + 5_000);
    expect(warnings()).toHaveLength(2);
    const repeated = logged.filter((entry) => entry.level === 'warn')[1]!;
    expect(repeated.message).toBe(warnings()[0]);
    expect(repeated.fields.failedAttempts).toBeGreaterThan(50);

    a.store.failure = new Error('connect ECONNREFUSED');
    await clock.advanceAsync(5_000);
    expect(warnings()).toHaveLength(3);
    expect(warnings()[2]).toBe(
      'cannot take Lease secretsource-system/secretsource-operator: connect ECONNREFUSED',
    );
  });

  it('says when the Lease can be reached again, and takes it', async () => {
    const a = replica('a', backend, clock, { logger });
    a.store.mode = 'fail';
    a.elector.start();
    await clock.advanceAsync(30_000);
    a.store.mode = 'ok';
    await clock.advanceAsync(5_000);

    expect(a.elector.isLeader()).toBe(true);
    expect(warnings()).toHaveLength(1);
    expect(
      logged.find((entry) =>
        entry.message.startsWith('Lease secretsource-system/secretsource-operator answers again'),
      )?.fields,
    ).toMatchObject({
      failedAttempts: expect.any(Number),
    });
  });

  it('a leader whose renewals fail warns once per run of failures, saying renew', async () => {
    const a = replica('a', backend, clock, { logger });
    a.elector.start();
    await clock.advanceAsync(0);
    a.store.mode = 'fail';
    await clock.advanceAsync(6_000); // three failed renewals, inside the 10 s deadline
    a.store.mode = 'ok';
    await clock.advanceAsync(2_000);
    a.store.mode = 'fail';
    await clock.advanceAsync(2_000);

    expect(a.elector.isLeader()).toBe(true);
    expect(warnings()).toEqual([
      'cannot renew Lease secretsource-system/secretsource-operator: connect ECONNREFUSED',
      'cannot renew Lease secretsource-system/secretsource-operator: connect ECONNREFUSED',
    ]);
  });

  it('a request that hangs is a failure too', async () => {
    const a = replica('a', backend, clock, { logger });
    a.store.mode = 'hang';
    a.elector.start();
    await clock.advanceAsync(10_000);
    expect(warnings()).toEqual([
      'cannot take Lease secretsource-system/secretsource-operator: no answer from the API server within 10s',
    ]);
  });
});
