// New objects first: with 2,000 refreshes due at once (an operator that was down while they came
// due), a SecretSource created meanwhile is synced ahead of them. Asserted by order — how much of
// the storm was still waiting when the new Secret appeared — not by wall-clock time; the time it
// took is logged as a measurement (`make bench` reports it as p50/p99).
import { jest } from '@jest/globals';
import { mapBounded } from '../../bench/support/bounded.js';
import { OpenBaoUnderTest } from '../cases/openbao.js';
import { eventually, uniqueName } from '../support/kube.js';
import type { RunningOperator } from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { total } from '../support/prometheus.js';
import type { SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(600_000);

const STORM = 2_000;
const PATHS = 20;
const INTERVAL_S = 20;
const openbao = new OpenBaoUnderTest();
const fx = useOperatorFixture({
  name: 'prio',
  provider: openbao,
  authModes: ['token'],
  beforeOperator: async () => {
    for (let i = 0; i < PATHS; i++) await openbao.put(String(i), { value: generated() });
  },
  // The test starts (and restarts) the operator itself.
  mode: 'no-operator',
  // Orphan + Retain: no finalizers, so the namespace goes at once with its 2,000 objects.
  runFinalizers: false,
  hookTimeoutMs: 300_000,
});
const leaseId = uniqueName('e2e-prio');
let objects: SecretSourceObjects;
let operator: RunningOperator | undefined;
beforeAll(() => {
  ({ objects } = fx);
});

const generated = (): string => fx.generated();

function start(): Promise<RunningOperator> {
  return fx.startOperator({ leaseId, extraArgs: ['--kube-qps=200', '--kube-burst=200'] });
}

/** The sum of a counter's samples with this `result` label, from the operator's /metrics. */
async function counter(name: string, result: string): Promise<number> {
  return total(await fx.metrics(operator), name, (labels) => labels.result === result);
}

test(`a SecretSource created during a storm of ${STORM} due refreshes is synced ahead of them`, async () => {
  const spec = (i: number) => ({
    data: [{ key: 'value', remoteRef: { path: openbao.remote.path(String(i % PATHS)), property: 'value' } }],
    refresh: { interval: `${INTERVAL_S}s` },
    target: { creationPolicy: 'Orphan' },
  });
  const names = Array.from({ length: STORM }, (_, i) => `storm-${i}`);
  await mapBounded(names, 32, (name, i) => objects.createSource(name, spec(i)));
  operator = await start();
  await eventually(
    async () => {
      const ready = (await objects.listSources()).filter((s) =>
        s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
      if (ready < STORM) throw new Error(`${ready}/${STORM} Ready`);
    },
    { timeoutMs: 240_000, intervalMs: 1_000 },
  );

  // Down while every refresh comes due, with new values: at the next start all of them are due at
  // once, and each one writes its Secret, status and an Event through the shared write budget.
  expect(await operator.stop()).toBe(0);
  operator = undefined;
  const stoppedAt = Date.now();
  for (let i = 0; i < PATHS; i++) await openbao.put(String(i), { value: generated() });
  // With the operator down there is nothing to observe: the condition is the clock itself.
  const dueAt = stoppedAt + (INTERVAL_S + 2) * 1_000;
  await eventually(
    async () => {
      if (Date.now() < dueAt) throw new Error(`${dueAt - Date.now()} ms to go`);
    },
    { timeoutMs: (INTERVAL_S + 10) * 1_000, intervalMs: 500, describe: 'every refresh to come due' },
  );
  operator = await start();
  // Once the storm is under way (the leader works through the due refreshes)...
  await eventually(
    async () => {
      if ((await counter('secretsource_sync_total', 'written')) < 20)
        throw new Error('the storm has not started yet');
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
  const refreshedAtCreate = await counter('secretsource_sync_total', 'written');
  const createdAt = Date.now();
  await objects.createSource('newcomer', spec(0));
  const secret = await eventually(
    async () => {
      const found = await objects.getSecret('newcomer');
      if (!found) throw new Error('the newcomer has no Secret yet');
      return found;
    },
    { timeoutMs: 120_000, intervalMs: 50 },
  );
  // The newcomer's own sync counts as written too.
  const refreshedBefore = (await counter('secretsource_sync_total', 'written')) - 1;
  const latencyMs = Date.now() - createdAt;
  console.log(
    `newcomer's Secret after ${latencyMs} ms; due refreshes run: ${refreshedAtCreate} when it was created, ${refreshedBefore} when its Secret appeared, of ${STORM}`,
  );
  expect(secret.data?.['value']).toBeDefined();
  // Ahead of the storm: it did not wait for the refreshes queued before it.
  expect(refreshedBefore).toBeLessThan(STORM / 2);
  expect(refreshedBefore - refreshedAtCreate).toBeLessThan(STORM / 4);
  // ...and the storm does run.
  await eventually(
    async () => {
      const refreshed = (await counter('secretsource_sync_total', 'written')) - 1;
      if (refreshed < STORM) throw new Error(`${refreshed}/${STORM} refreshed`);
    },
    { timeoutMs: 240_000, intervalMs: 1_000 },
  );
});
