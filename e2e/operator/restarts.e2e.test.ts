// spec.restartTargets against the real API server: each kind of workload is rolled (its pod template
// annotated with the new fingerprint, a new generation) exactly once per content change, never on
// the first sync nor on a quiet refresh; a missing one is a Warning and the sync stays Ready.
import { jest } from '@jest/globals';
import { OpenBaoUnderTest } from '../cases/openbao.js';
import { eventually } from '../support/kube.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { waitForRefreshes } from '../support/refreshes.js';
import type { SecretSourceObjects } from '../support/secret-sources.js';
import { createWorkload, readWorkload, WORKLOAD_KINDS } from '../support/workloads.js';

jest.setTimeout(90_000);

const ANNOTATION = 'secretsource.dev/content-hash';
const openbao = new OpenBaoUnderTest();
const fx = useOperatorFixture({
  name: 'restart',
  provider: openbao,
  authModes: ['token'],
  beforeOperator: async (fixture) => {
    for (const kind of WORKLOAD_KINDS) await createWorkload(kc, fixture.namespace, kind, nameOf(kind));
  },
});
const { kc } = fx;
let namespace: string;
let objects: SecretSourceObjects;
beforeAll(() => {
  ({ namespace, objects } = fx);
});

const generated = (): string => fx.generated();
const quietRefreshes = () => waitForRefreshes(() => fx.metrics(), namespace, ['db'], { count: 2 });
const nameOf = (kind: string) => `app-${kind.toLowerCase()}`;

async function generations(): Promise<number[]> {
  return Promise.all(
    WORKLOAD_KINDS.map(async (kind) => (await readWorkload(kc, namespace, kind, nameOf(kind))).generation),
  );
}

test('each kind is rolled exactly once per content change, and not on the first sync or a quiet refresh', async () => {
  const remote = await openbao.put('db', { password: generated() });
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
  await quietRefreshes();
  expect(await generations()).toEqual(initial);

  await openbao.put('db', { password: generated() });
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
  await quietRefreshes(); // no more rolls
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
