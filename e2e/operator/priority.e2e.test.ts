// New objects first: with 2,000 refreshes due at once (an operator that was down while they came
// due), a SecretSource created meanwhile is synced ahead of them. Asserted by order — how much of
// the storm was still waiting when the new Secret appeared — not by wall-clock time; the time it
// took is logged as a measurement (`make bench` reports it as p50/p99).
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { mapBounded } from '../../bench/support/bounded.js';
import { adminKubeConfig, createNamespace, eventually, installCrds, uniqueName } from '../support/kube.js';
import { OpenBaoAdmin } from '../support/openbao-admin.js';
import {
  installOperatorRbac,
  leakedCount,
  operatorKubeconfigFile,
  startOperator,
  type RunningOperator,
} from '../support/operator.js';
import { openBaoTokenProvider, SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(600_000);

const STORM = 2_000;
const PATHS = 20;
const INTERVAL_S = 20;
const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const openbao = OpenBaoAdmin.fromEnv();
const policy = uniqueName('e2e-prio');
const prefix = uniqueName('e2e-prio');
const leaseId = uniqueName('e2e-prio');
const neverPrinted: string[] = [];
let namespace: string;
let objects: SecretSourceObjects;
let operator: RunningOperator | undefined;
let kubeconfig: string;
let token: string;

const generated = () => {
  const value = randomBytes(16).toString('hex');
  neverPrinted.push(value);
  return value;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function start(): Promise<RunningOperator> {
  return startOperator({
    kubeconfig,
    namespaces: [namespace],
    extraArgs: [`--leader-election-id=${leaseId}`, '--kube-qps=200', '--kube-burst=200'],
  });
}

/** The sum of a counter's samples whose labels contain `label`, from the operator's /metrics. */
async function counter(name: string, label: string): Promise<number> {
  const text = await (await fetch(operator!.metricsUrl)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(label))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

beforeAll(async () => {
  await installCrds(kc);
  await installOperatorRbac(kc);
  namespace = await createNamespace(kc, 'prio');
  objects = new SecretSourceObjects(kc, namespace, { provider: 'vault' });
  await openbao.putPolicy(policy, 'path "secret/data/*" { capabilities = ["read"] }');
  token = await openbao.createToken([policy], '1h');
  neverPrinted.push(token);
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'vault-token' }, stringData: { token } },
  });
  await objects.createProvider('vault', openBaoTokenProvider('vault-token'));
  for (let i = 0; i < PATHS; i++) await openbao.putKv(`${prefix}/${i}`, { value: generated() });
  kubeconfig = await operatorKubeconfigFile(kc);
}, 120_000);

afterAll(async () => {
  try {
    if (operator) expect(await operator.stop()).toBe(0);
  } finally {
    // Orphan + Retain: no finalizers, so the namespace goes at once with its 2,000 objects.
    await objects.tearDown(undefined);
    await openbao.revokeToken(token).catch(() => undefined);
    await openbao.deletePolicy(policy).catch(() => undefined);
  }
  if (operator) expect(leakedCount(operator.output(), neverPrinted)).toBe(0);
}, 300_000);

test(`a SecretSource created during a storm of ${STORM} due refreshes is synced ahead of them`, async () => {
  const spec = (i: number) => ({
    data: [{ key: 'value', remoteRef: { path: `${prefix}/${i % PATHS}`, property: 'value' } }],
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
    240_000,
    1_000,
  );

  // Down while every refresh comes due, with new values: at the next start all of them are due at
  // once, and each one writes its Secret, status and an Event through the shared write budget.
  expect(await operator.stop()).toBe(0);
  operator = undefined;
  for (let i = 0; i < PATHS; i++) await openbao.putKv(`${prefix}/${i}`, { value: generated() });
  await sleep((INTERVAL_S + 2) * 1_000);
  operator = await start();
  // Once the storm is under way (the leader works through the due refreshes)...
  await eventually(
    async () => {
      if ((await counter('secretsource_sync_total', 'result="written"')) < 20)
        throw new Error('the storm has not started yet');
    },
    60_000,
    20,
  );
  const refreshedAtCreate = await counter('secretsource_sync_total', 'result="written"');
  const createdAt = Date.now();
  await objects.createSource('newcomer', spec(0));
  const secret = await eventually(
    async () => {
      const found = await objects.getSecret('newcomer');
      if (!found) throw new Error('the newcomer has no Secret yet');
      return found;
    },
    120_000,
    50,
  );
  // The newcomer's own sync counts as written too.
  const refreshedBefore = (await counter('secretsource_sync_total', 'result="written"')) - 1;
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
      const refreshed = (await counter('secretsource_sync_total', 'result="written"')) - 1;
      if (refreshed < STORM) throw new Error(`${refreshed}/${STORM} refreshed`);
    },
    240_000,
    1_000,
  );
});
