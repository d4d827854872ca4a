// spec.restartTargets against the real API server: each kind of workload is rolled (its pod template
// annotated with the new fingerprint, a new generation) exactly once per content change, never on
// the first sync nor on a quiet refresh; a missing one is a Warning and the sync stays Ready.
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { adminKubeConfig, createNamespace, eventually, installCrds, uniqueName } from '../support/kube.js';
import { OpenBaoAdmin } from '../support/openbao-admin.js';
import {
  installOperatorRbac,
  leakedCount,
  startNamespacedOperator,
  type RunningOperator,
} from '../support/operator.js';
import { openBaoTokenProvider, SecretSourceObjects } from '../support/secret-sources.js';
import { createWorkload, readWorkload, WORKLOAD_KINDS } from '../support/workloads.js';

jest.setTimeout(90_000);

const ANNOTATION = 'secretsource.dev/content-hash';
const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const openbao = OpenBaoAdmin.fromEnv();
const policy = uniqueName('e2e-restart');
const path = `${uniqueName('e2e-restart')}/db`;
const neverPrinted: string[] = [];
let namespace: string;
let objects: SecretSourceObjects;
let operator: RunningOperator;
let token: string;

const generated = () => {
  const value = randomBytes(16).toString('hex');
  neverPrinted.push(value);
  return value;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nameOf = (kind: string) => `app-${kind.toLowerCase()}`;

async function generations(): Promise<number[]> {
  return Promise.all(
    WORKLOAD_KINDS.map(async (kind) => (await readWorkload(kc, namespace, kind, nameOf(kind))).generation),
  );
}

beforeAll(async () => {
  await installCrds(kc);
  await installOperatorRbac(kc);
  namespace = await createNamespace(kc, 'restart');
  objects = new SecretSourceObjects(kc, namespace, { provider: 'vault' });
  await openbao.putPolicy(policy, 'path "secret/data/*" { capabilities = ["read"] }');
  token = await openbao.createToken([policy], '1h');
  neverPrinted.push(token);
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'vault-token' }, stringData: { token } },
  });
  await objects.createProvider('vault', openBaoTokenProvider('vault-token'));
  for (const kind of WORKLOAD_KINDS) await createWorkload(kc, namespace, kind, nameOf(kind));
  operator = await startNamespacedOperator(kc, namespace, 'e2e-restart');
}, 120_000);

afterAll(async () => {
  try {
    expect(await objects?.tearDown(operator)).toBe(0);
  } finally {
    await openbao.revokeToken(token).catch(() => undefined);
    await openbao.deletePolicy(policy).catch(() => undefined);
  }
  expect(leakedCount(operator.output(), neverPrinted)).toBe(0);
}, 60_000);

test('each kind is rolled exactly once per content change, and not on the first sync or a quiet refresh', async () => {
  const remote = await openbao.putKv(path, { password: generated() });
  await objects.createSource('db', {
    data: [{ key: 'password', remoteRef: { path: remote, property: 'password' } }],
    refresh: { interval: '2s' },
    restartTargets: [
      ...WORKLOAD_KINDS.map((kind) => ({ kind, name: nameOf(kind) })),
      { kind: 'Deployment', name: 'missing' },
    ],
  });
  await objects.waitReady('db', 'True', 'Synced');
  const initial = await generations();
  await sleep(5_000); // quiet refreshes
  expect(await generations()).toEqual(initial);

  await openbao.putKv(path, { password: generated() });
  const hash = await eventually(async () => {
    const source = await objects.getSource('db');
    const workload = await readWorkload(kc, namespace, 'Deployment', nameOf('Deployment'));
    const synced = source?.status?.syncedHash;
    if (!synced || workload.annotations[ANNOTATION] !== synced)
      throw new Error('not rolled for the new content yet');
    return synced;
  });
  for (const kind of WORKLOAD_KINDS) {
    expect((await readWorkload(kc, namespace, kind, nameOf(kind))).annotations[ANNOTATION]).toBe(hash);
  }
  const afterChange = await generations();
  expect(afterChange).toEqual(initial.map((g) => g + 1));
  await sleep(5_000); // quiet refreshes again: no more rolls
  expect(await generations()).toEqual(afterChange);

  expect((await objects.getSource('db'))?.status?.conditions?.[0]?.status).toBe('True');
  await objects.waitEvent('db', 'Normal', 'WorkloadRestarted');
  const missing = await objects.waitEvent('db', 'Warning', 'RestartTargetNotFound');
  expect(missing.message).toContain('Deployment missing not found');
  expect(
    (await objects.sourceEvents('db'))
      .filter((e) => e.reason === 'WorkloadRestarted')
      .map((e) => e.count ?? 1)
      .reduce((a, b) => a + b, 0),
  ).toBe(3);
});
