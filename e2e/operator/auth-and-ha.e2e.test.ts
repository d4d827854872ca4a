// The operator process end to end, running as the config/rbac ServiceAccount: the namespace rules of
// providers (a ClusterSecretProvider's selector, a credential Secret of another namespace), an
// OpenBao outage on a dedicated dev server, and leader election between replicas. The auth modes
// themselves are common cases (e2e/cases/common/, run by openbao.e2e.test.ts and aws.e2e.test.ts).
// Values are random and compared without printing.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { OpenBaoUnderTest } from '../cases/openbao.js';
import { eventually, requireEnv, statusCode, uniqueName, readyCondition } from '../support/kube.js';
import { OpenBaoAdmin } from '../support/openbao-admin.js';
import { OPERATOR_NAMESPACE, freePort, type RunningOperator } from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { scrape, total, valuesOf } from '../support/prometheus.js';
import type { Condition, SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(90_000);

const ADMIT_LABEL = 'e2e.secretsource.dev/auth-and-ha';

const runId = randomBytes(4).toString('hex');
const tokenSecret = 'vault-token';
const openbao = new OpenBaoUnderTest();
let nsA: string; // admitted by the ClusterSecretProvider
let nsB: string; // not admitted
// One operator watching nsA (labelled for the ClusterSecretProvider) and nsB; the HA replicas below
// are started by the test. SecretProviders are created by the tests.
const fx = useOperatorFixture({
  name: 'auth-a',
  namespaceLabels: { [ADMIT_LABEL]: runId },
  provider: openbao,
  mode: 'operator-without-providers',
  defaultProvider: 'vault',
  beforeOperator: async (fixture) => {
    nsA = fixture.namespace;
    nsB = await fixture.createNamespace('auth-b');
    await createSecret(nsA, tokenSecret, { token: await openbao.token(fixture) });
  },
});
const { kc, core } = fx;
const leases = kc.makeApiClient(k8s.CoordinationV1Api);

// ------------------------------------------------------------------------------------------------
// Helpers

const generated = (): string => fx.generated(24);

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

async function createSecret(namespace: string, name: string, data: Record<string, string>): Promise<void> {
  await core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: data } });
}

/** The SecretSource helpers of one namespace (every SecretSource here names its provider). */
function objectsIn(namespace: string): SecretSourceObjects {
  return fx.objectsIn(namespace);
}

function createProvider(namespace: string, name: string, vaultSpec: object): Promise<void> {
  return objectsIn(namespace).createProvider(name, { vault: vaultSpec });
}

interface SourceOptions {
  provider: { kind: 'SecretProvider' | 'ClusterSecretProvider'; name: string };
  remotePath: string;
  interval?: string;
}

/** A SecretSource writing Secret `name` with one key, `value`, from `<remotePath>` property `value`. */
function createSource(namespace: string, name: string, options: SourceOptions): Promise<void> {
  return objectsIn(namespace).createSource(name, {
    providerRef: options.provider,
    refresh: { interval: options.interval ?? '1h' },
    target: { name },
    data: [{ key: 'value', remoteRef: { path: options.remotePath, property: 'value' } }],
  });
}

/** Waits for a SecretSource's Ready to have this status and reason; status messages never hold values. */
async function waitForReady(
  namespace: string,
  name: string,
  status: 'True' | 'False',
  reason: string,
  timeoutMs = 30_000,
): Promise<Condition> {
  return readyCondition(await objectsIn(namespace).waitReady(name, status, reason, timeoutMs))!;
}

function readSecret(namespace: string, name: string): Promise<k8s.V1Secret | undefined> {
  return objectsIn(namespace).getSecret(name);
}

/** Waits until Secret `name` holds `expected` under key `value` (never printed). */
function waitForSecretValue(
  namespace: string,
  name: string,
  expected: string,
  timeoutMs = 30_000,
): Promise<k8s.V1Secret> {
  return objectsIn(namespace).waitValue(name, 'value', expected, timeoutMs);
}

/** Writes a random value at `<prefix>/<name>` of the shared OpenBao and returns it. */
async function remoteValue(name: string): Promise<{ remotePath: string; value: string }> {
  const value = generated();
  return { remotePath: await openbao.put(name, { value }), value };
}

function sharedVault(auth: object): object {
  return { server: requireEnv('VAULT_ADDR'), path: 'secret', version: 'v2', auth };
}

function logMessages(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
      } catch {
        return '';
      }
    });
}

const SECRET_WRITE_LOG = /^(created|updated|repaired) Secret$/;

/** The secretsource_kube_writes_total samples on an operator's /metrics. */
async function kubeWriteSamples(operator: RunningOperator): Promise<number[]> {
  return valuesOf(await scrape(operator.metricsUrl), 'secretsource_kube_writes_total');
}

async function leaseHolder(name: string): Promise<string> {
  try {
    const lease = await leases.readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name });
    return lease.spec?.holderIdentity ?? '';
  } catch (error) {
    if (statusCode(error) === 404) return '';
    throw error;
  }
}

/** The replica identity (POD_NAME) in a holderIdentity, which the operator suffixes with `_<uuid>`. */
function replicaOf(holder: string): string {
  const at = holder.lastIndexOf('_');
  return at < 0 ? holder : holder.slice(0, at);
}

function launch(namespacesToWatch: string[], leaseId: string, identity: string): Promise<RunningOperator> {
  return fx.startOperator({ namespaces: namespacesToWatch, leaseId, identity });
}

// ------------------------------------------------------------------------------------------------
// A dedicated OpenBao dev server (in memory: a restart loses every value and mount)

function baoBinary(): string {
  const bin = process.env['BAO_BIN'];
  if (!bin) throw new Error('BAO_BIN is not set: source e2e/.run/env (make dev-up writes it)');
  return bin;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

class DevOpenBao {
  readonly token = `root-${generated()}`;
  #child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  /** A dev server listens on `port` and its cluster listener on `port + 1`. */
  static async create(): Promise<DevOpenBao> {
    for (;;) {
      const port = await freePort();
      if (port < 65_535 && (await portIsFree(port + 1))) return new DevOpenBao(port);
    }
  }

  get addr(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      baoBinary(),
      [
        'server',
        '-dev',
        '-dev-no-store-token',
        `-dev-root-token-id=${this.token}`,
        `-dev-listen-address=127.0.0.1:${this.port}`,
      ],
      // Its output prints the root token: discard it.
      { stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '', HOME: homedir() } },
    );
    this.#child = child;
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`bao exited with ${child.exitCode}`);
      const response = await fetch(`${this.addr}/v1/sys/health`);
      if (!response.ok) throw new Error(`bao health ${response.status}`);
    }, 30_000);
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  write(remotePath: string, data: Record<string, string>): Promise<unknown> {
    return new OpenBaoAdmin(this.addr, this.token).putKv(remotePath, data);
  }
}

// ------------------------------------------------------------------------------------------------

describe('one operator watching two namespaces', () => {
  let operator: RunningOperator;

  beforeAll(() => {
    operator = fx.operator;
  });

  test('a ClusterSecretProvider serves the namespaces its selector admits, and no other', async () => {
    const name = uniqueName('e2e-cluster-vault');
    await fx.createClusterProvider(name, {
      conditions: [{ namespaceSelector: { matchLabels: { [ADMIT_LABEL]: runId } } }],
      vault: sharedVault({ token: { secretRef: { name: tokenSecret, namespace: nsA, key: 'token' } } }),
    });
    const { remotePath, value } = await remoteValue('cluster');
    const provider = { kind: 'ClusterSecretProvider' as const, name };
    await createSource(nsA, 'by-cluster', { provider, remotePath });
    await createSource(nsB, 'by-cluster', { provider, remotePath });

    await waitForSecretValue(nsA, 'by-cluster', value);
    await waitForReady(nsA, 'by-cluster', 'True', 'Synced');
    const refused = await waitForReady(nsB, 'by-cluster', 'False', 'ProviderNotAllowed');
    expect(refused.message).toContain(nsB);
    expect(await readSecret(nsB, 'by-cluster')).toBeUndefined();
  });

  test('a SecretProvider may not read a credential Secret of another namespace', async () => {
    const { remotePath } = await remoteValue('cross-namespace');
    await createProvider(
      nsB,
      'borrowed-token',
      sharedVault({ token: { secretRef: { name: tokenSecret, namespace: nsA, key: 'token' } } }),
    );
    await createSource(nsB, 'borrowed-token', {
      provider: { kind: 'SecretProvider', name: 'borrowed-token' },
      remotePath,
    });
    await waitForReady(nsB, 'borrowed-token', 'False', 'ProviderNotAllowed');
    await objectsIn(nsB).waitProviderReady('borrowed-token', 'False', 'ProviderNotAllowed', 30_000);
    expect(await readSecret(nsB, 'borrowed-token')).toBeUndefined();
  });

  test('an OpenBao outage keeps the Secret as it was, reports Unavailable, and recovers', async () => {
    const server = await DevOpenBao.create();
    fx.onCleanup(() => server.kill());
    await server.start();
    const value = generated();
    const remotePath = `outage/${runId}`;
    await server.write(remotePath, { value });
    await createSecret(nsA, 'outage-token', { token: server.token });
    await createProvider(nsA, 'outage', {
      server: server.addr,
      path: 'secret',
      version: 'v2',
      auth: { token: { secretRef: { name: 'outage-token', key: 'token' } } },
    });
    await createSource(nsA, 'outage', {
      provider: { kind: 'SecretProvider', name: 'outage' },
      remotePath,
      interval: '2s',
    });
    const synced = await waitForSecretValue(nsA, 'outage', value);
    await waitForReady(nsA, 'outage', 'True', 'Synced');

    await server.kill();
    await waitForReady(nsA, 'outage', 'False', 'Unavailable', 30_000);
    // Events are recorded alongside the status write, not before it.
    await objectsIn(nsA).waitEvent('outage', 'Warning', 'Unavailable');
    // Retries that met the outage ran (the dead server is this provider's alone): none may touch the Secret.
    const unavailableCalls = async () =>
      total(
        await fx.metrics(),
        'secretsource_provider_calls_total',
        (labels) => labels.status === 'unavailable',
      );
    const seen = await unavailableCalls();
    await eventually(
      async () => {
        const calls = await unavailableCalls();
        if (calls < seen + 2) throw new Error(`${calls - seen} of 2 retries met the outage`);
      },
      { timeoutMs: 30_000, describe: 'two more reads to meet the outage' },
    );
    const during = await readSecret(nsA, 'outage');
    expect(during?.metadata?.resourceVersion).toBe(synced.metadata?.resourceVersion);
    expect(digest(JSON.stringify(during?.data))).toBe(digest(JSON.stringify(synced.data)));
    expect(readyCondition(await objectsIn(nsA).getSource('outage'))?.reason).toBe('Unavailable');

    // A dev server starts empty; the same root token id makes the provider's token valid again.
    await server.start();
    await server.write(remotePath, { value });
    await waitForReady(nsA, 'outage', 'True', 'Synced', 45_000);
    const after = await readSecret(nsA, 'outage');
    expect(after?.metadata?.resourceVersion).toBe(synced.metadata?.resourceVersion);
  });

  test('no generated value or credential appears in the operator output or in Events', async () => {
    const output = operator.output();
    expect(output.length).toBeGreaterThan(0);
    const events = [
      ...(await core.listNamespacedEvent({ namespace: nsA })).items,
      ...(await core.listNamespacedEvent({ namespace: nsB })).items,
    ];
    const eventText = JSON.stringify(events);
    // A count, so a failure does not print the leaked values.
    expect(fx.leaked(`${output}\n${eventText}`)).toBe(0);
  });
});

describe('two replicas with one leader election', () => {
  const leaseId = uniqueName('e2e-ha');
  let nsC: string;

  beforeAll(async () => {
    nsC = await fx.createNamespace('ha');
    await createSecret(nsC, tokenSecret, { token: await openbao.token(fx) });
    await createProvider(
      nsC,
      'vault',
      sharedVault({ token: { secretRef: { name: tokenSecret, key: 'token' } } }),
    );
  });

  test('one leader writes; SIGKILL hands over on expiry; SIGTERM releases at once', async () => {
    const replicas = new Map<string, RunningOperator>();
    const [one, two] = await Promise.all([
      launch([nsC], leaseId, 'ha-one'),
      launch([nsC], leaseId, 'ha-two'),
    ]);
    replicas.set('ha-one', one);
    replicas.set('ha-two', two);

    const firstHolder = await eventually(async () => {
      const holder = await leaseHolder(leaseId);
      if (!replicas.has(replicaOf(holder))) throw new Error(`lease holder is "${holder}"`);
      return holder;
    });
    const leaderName = replicaOf(firstHolder);
    const standbyName = leaderName === 'ha-one' ? 'ha-two' : 'ha-one';
    const leader = replicas.get(leaderName)!;
    const standby = replicas.get(standbyName)!;

    const first = await remoteValue('ha-first');
    await createSource(nsC, 'first', {
      provider: { kind: 'SecretProvider', name: 'vault' },
      remotePath: first.remotePath,
    });
    await waitForSecretValue(nsC, 'first', first.value);
    await waitForReady(nsC, 'first', 'True', 'Synced');
    // The lease may only be held by the first leader all along: no flapping.
    expect(await leaseHolder(leaseId)).toBe(firstHolder);
    expect((await kubeWriteSamples(leader)).some((sample) => sample > 0)).toBe(true);
    expect((await kubeWriteSamples(standby)).filter((sample) => sample > 0)).toEqual([]);
    expect(logMessages(leader.output()).some((message) => SECRET_WRITE_LOG.test(message))).toBe(true);
    expect(logMessages(standby.output()).filter((message) => SECRET_WRITE_LOG.test(message))).toEqual([]);
    expect(logMessages(standby.output())).not.toContain('became leader');

    // A crash: the lease is not released, the standby waits for it to expire (15 s).
    const killedAt = Date.now();
    await leader.kill();
    const abandoned = await leases.readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: leaseId });
    await eventually(
      async () => {
        const holder = await leaseHolder(leaseId);
        if (replicaOf(holder) !== standbyName) throw new Error(`lease holder is "${holder}"`);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const takeoverMs = Date.now() - killedAt;
    // It did wait for expiry: the Lease's own times say so (both replicas share this machine's clock).
    const taken = await leases.readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: leaseId });
    const lastRenewal = new Date(abandoned.spec!.renewTime!).getTime();
    const leaseMs = abandoned.spec!.leaseDurationSeconds! * 1_000;
    expect(new Date(taken.spec!.acquireTime!).getTime()).toBeGreaterThanOrEqual(lastRenewal + leaseMs);
    const second = await remoteValue('ha-second');
    await createSource(nsC, 'second', {
      provider: { kind: 'SecretProvider', name: 'vault' },
      remotePath: second.remotePath,
    });
    await waitForSecretValue(nsC, 'second', second.value);
    await waitForReady(nsC, 'second', 'True', 'Synced');

    // A clean stop: the new leader hands the lease back, a third replica takes it within a retry period.
    const three = await launch([nsC], leaseId, 'ha-three');
    await eventually(async () => {
      if (!logMessages(three.output()).includes('new leader observed'))
        throw new Error('ha-three has not seen the lease');
    });
    const holders: string[] = [];
    const watch = await new k8s.Watch(kc).watch(
      `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases`,
      { fieldSelector: `metadata.name=${leaseId}` },
      (_phase: string, lease: k8s.V1Lease) => holders.push(lease.spec?.holderIdentity ?? ''),
      () => undefined,
    );
    try {
      const stoppedAt = Date.now();
      expect(await standby.stop()).toBe(0);
      await eventually(
        async () => {
          const holder = await leaseHolder(leaseId);
          if (replicaOf(holder) !== 'ha-three') throw new Error(`lease holder is "${holder}"`);
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      const handoverMs = Date.now() - stoppedAt;
      // Released, not expired: the watch saw the old leader's last renewal, the release (no
      // holder), then the new holder.
      await eventually(async () => {
        const sequence = holders.map(replicaOf).filter((holder, i, all) => i === 0 || holder !== all[i - 1]);
        expect(sequence.slice(-3)).toEqual([standbyName, '', 'ha-three']);
      }, 5_000);
      expect(logMessages(standby.output())).toContain('released leader lease');
      console.log(`leader takeover after SIGKILL: ${takeoverMs} ms; after SIGTERM: ${handoverMs} ms`);
    } finally {
      watch.abort();
    }

    const third = await remoteValue('ha-third');
    await createSource(nsC, 'third', {
      provider: { kind: 'SecretProvider', name: 'vault' },
      remotePath: third.remotePath,
    });
    await waitForSecretValue(nsC, 'third', third.value);

    const outputs = [one, two, three].map((operator) => operator.output()).join('\n');
    expect(fx.leaked(outputs)).toBe(0);
  });
});
