// config/rbac grants the operator exactly what it uses. The operator runs as the config/rbac
// ServiceAccount through a scenario that exercises every feature needing a Kubernetes verb; then
// the API server's audit log (e2e/env/audit-policy.yaml) must show every granted (group, resource,
// verb) used at least once by that token, and no request of that token refused; its Secret lists
// and watches carry the managed label, and it reads single Secrets only of its targets, its
// credentials and its fingerprint key. A verb granted
// but never used fails the test as surely as one used but missing. Self-contained: it depends on
// no other test file.
import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { OpenBaoUnderTest, openBaoSpec } from '../cases/openbao.js';
import { eventually, statusCode, uniqueName } from '../support/kube.js';
import {
  OPERATOR_NAMESPACE,
  OPERATOR_SERVICE_ACCOUNT,
  kubeconfigToken,
  type RunningOperator,
} from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { authMode, type ProviderSpec } from '../support/provider-under-test.js';
import {
  auditEventsOfToken,
  auditLogFiles,
  grantedPermissions,
  permissionsUsed,
  tokenId,
  wasForbidden,
} from '../support/rbac-audit.js';
import { SecretSourceObjects } from '../support/secret-sources.js';
import { createWorkload, readWorkload, WORKLOAD_KINDS } from '../support/workloads.js';

jest.setTimeout(120_000);

const openbao = new OpenBaoUnderTest();
// No SecretProvider and no operator yet: the scenario creates them, so that the audit log holds
// every request of the operator's token.
const fx = useOperatorFixture({
  name: 'e2e-rbac',
  provider: openbao,
  defaultProvider: 'by-token',
  mode: 'backend-only',
});
const { kc, core } = fx;
const leases = kc.makeApiClient(k8s.CoordinationV1Api);

const leaseId = uniqueName('e2e-rbac');
const clusterProvider = uniqueName('e2e-rbac');
const MANAGED_SELECTOR = 'secretsource.dev/managed=true';

let namespace: string;
let objects: SecretSourceObjects;
let operator: RunningOperator | undefined;
let operatorTokenId: string;
/** OpenBao's kubernetes auth: it reviews the operator's TokenRequest tokens for ServiceAccount `app`. */
let byKubernetes: ProviderSpec;

const generated = (): string => fx.generated();

async function remoteValue(name: string): Promise<string> {
  return openbao.put(name, { value: generated() });
}

async function leaseSpec(): Promise<k8s.V1LeaseSpec | undefined> {
  try {
    return (await leases.readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: leaseId })).spec;
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

beforeAll(async () => {
  ({ namespace, objects } = fx);
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'vault-token' }, stringData: { token: await openbao.token(fx) } },
  });
  byKubernetes = await authMode(openbao, 'kubernetes').providerSpec(fx);

  const operatorToken = kubeconfigToken(fx.operatorKubeconfig);
  fx.neverPrint(operatorToken);
  operatorTokenId = tokenId(operatorToken);
  operator = await fx.startOperator({ leaseId });
});

test('the operator uses every verb config/rbac grants it, and is refused none', async () => {
  // Providers: credentials Secret read (token auth), TokenRequest (kubernetes auth), both status kinds.
  await objects.createProvider(
    'by-token',
    openBaoSpec({ token: { secretRef: { name: 'vault-token', key: 'token' } } }),
  );
  await objects.createProvider('by-kubernetes', byKubernetes);
  await fx.createClusterProvider(clusterProvider, {
    conditions: [{ namespaces: [namespace] }],
    ...openBaoSpec({ token: { secretRef: { name: 'vault-token', namespace, key: 'token' } } }),
  });

  // SecretSources: the default Owner + Retain (finalizer, then release on deletion), rendered from a
  // ConfigMap template; one through kubernetes auth; Orphan + Delete (the operator deletes the Secret).
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'templates' }, data: { rendered: '{{ .value }}' } },
  });
  const data = (remotePath: string) => [{ key: 'value', remoteRef: { path: remotePath, property: 'value' } }];
  await objects.createSource('retained', {
    target: { name: 'retained', template: { configMapRef: { name: 'templates' } } },
    data: data(await remoteValue('retained')),
  });
  await objects.createSource(
    'by-kubernetes',
    { target: { name: 'by-kubernetes' }, data: data(await remoteValue('by-kubernetes')) },
    'by-kubernetes',
  );
  await objects.createSource('deleted', {
    target: { name: 'deleted', creationPolicy: 'Orphan', deletionPolicy: 'Delete' },
    data: data(await remoteValue('deleted')),
  });
  // Restart targets of each kind, rolled (patched) when their Secret's content changes.
  for (const kind of WORKLOAD_KINDS) await createWorkload(kc, namespace, kind, `app-${kind.toLowerCase()}`);
  const restartedPath = await remoteValue('restarted');
  await objects.createSource('restarted', {
    data: data(restartedPath),
    refresh: { interval: '2s' },
    restartTargets: WORKLOAD_KINDS.map((kind) => ({ kind, name: `app-${kind.toLowerCase()}` })),
  });
  for (const name of ['retained', 'by-kubernetes', 'deleted', 'restarted'])
    await objects.waitReady(name, 'True', 'Synced');
  await openbao.remote.update(restartedPath, { value: generated() });
  for (const kind of WORKLOAD_KINDS) {
    await eventually(async () => {
      const workload = await readWorkload(kc, namespace, kind, `app-${kind.toLowerCase()}`);
      if (!workload.annotations['secretsource.dev/content-hash'])
        throw new Error(`${kind} not restarted yet`);
    });
  }
  await objects.waitEvent('retained', 'Normal', 'Created');
  await objects.waitProviderReady('by-token', 'True', 'Valid');
  await objects.waitProviderReady('by-kubernetes', 'True', 'Valid');
  await fx.waitClusterProviderReady(clusterProvider, 'True');

  // Deletion: Retain drops the ownerReference, Delete removes the Secret; both remove the finalizer.
  await objects.deleteSource('retained');
  await objects.deleteSource('deleted');
  await eventually(async () => {
    if ((await objects.getSource('retained')) || (await objects.getSource('deleted')))
      throw new Error('the finalizers have not let the SecretSources go yet');
  });
  expect((await objects.getSecret('retained'))?.metadata?.ownerReferences ?? []).toEqual([]);
  expect(await objects.getSecret('deleted')).toBeUndefined();

  // The Lease: created, then renewed (an update) at least once; the stop below releases it.
  await eventually(async () => {
    const spec = await leaseSpec();
    const acquired = spec?.acquireTime ? new Date(spec.acquireTime).getTime() : NaN;
    const renewed = spec?.renewTime ? new Date(spec.renewTime).getTime() : NaN;
    if (!(renewed > acquired)) throw new Error(`Lease ${leaseId} has not been renewed yet`);
  });
  expect(await operator!.stop()).toBe(0);
  const output = operator!.output();
  operator = undefined;

  const events = auditEventsOfToken(operatorTokenId);
  const used = new Set(events.flatMap(permissionsUsed));
  const refused = [...new Set(events.filter(wasForbidden).map((e) => `${e.verb} ${e.requestURI}`))];
  const granted = grantedPermissions(OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT);

  expect(granted.size).toBeGreaterThan(0);
  expect({ grantedButNeverUsed: [...granted].filter((p) => !used.has(p)).sort() }).toEqual({
    grantedButNeverUsed: [],
  });
  expect({ refused }).toEqual({ refused: [] });
  expect({ usedButNotGranted: [...used].filter((p) => !granted.has(p)).sort() }).toEqual({
    usedButNotGranted: [],
  });

  // Every request of that token is recorded under the operator's ServiceAccount.
  expect(new Set(events.map((e) => e.user.username))).toEqual(
    new Set([`system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`]),
  );
  // It never lists or reads Secrets it does not manage: lists and watches carry the managed label
  // selector, and single reads are of its targets, its credentials and its fingerprint key only.
  const secretRequests = events.filter(
    (e) => e.objectRef?.resource === 'secrets' && !e.objectRef.subresource,
  );
  const unlabelled = secretRequests
    .filter((e) => e.verb === 'list' || e.verb === 'watch')
    .filter((e) => !decodeURIComponent(e.requestURI).includes(`labelSelector=${MANAGED_SELECTOR}`))
    .map((e) => e.requestURI);
  expect({ unlabelled }).toEqual({ unlabelled: [] });
  const targets = ['retained', 'by-kubernetes', 'deleted', 'restarted'];
  const readable = new Set([
    ...[...targets, 'vault-token'].map((name) => `${namespace}/${name}`),
    `${OPERATOR_NAMESPACE}/secretsource-fingerprint-key`,
  ]);
  const otherReads = secretRequests
    .filter((e) => e.verb === 'get')
    .map((e) => `${e.objectRef?.namespace}/${e.objectRef?.name}`)
    .filter((name) => !readable.has(name));
  expect({ otherReads: [...new Set(otherReads)] }).toEqual({ otherReads: [] });
  expect(secretRequests.map((e) => e.verb)).toEqual(
    expect.arrayContaining(['get', 'list', 'watch', 'patch', 'delete']),
  );

  // The audit policy records metadata only: no value or token reached the audit log.
  const auditText = auditLogFiles()
    .map((file) => readFileSync(file, 'utf8'))
    .join('');
  expect(fx.leaked(auditText)).toBe(0);
  expect(fx.leaked(output)).toBe(0);
});

test('the scope of config/rbac: Secrets and TokenRequests in every namespace, as docs/security.md says', async () => {
  // RBAC cannot select Secrets by label, so the grant is cluster-wide: the least-privilege proof
  // above is about verbs and about what the code asks for, not about the grant's scope (config/namespaced
  // and the chart's watchNamespaces narrow that: e2e/security/namespaced-mode.e2e.test.ts).
  const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  const user = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`;
  const allowed = async (attributes: k8s.V1ResourceAttributes): Promise<boolean> =>
    (
      await authz.createSubjectAccessReview({
        body: {
          spec: {
            user,
            groups: [
              'system:serviceaccounts',
              `system:serviceaccounts:${OPERATOR_NAMESPACE}`,
              'system:authenticated',
            ],
            resourceAttributes: attributes,
          },
        },
      })
    ).status?.allowed ?? false;
  const unrelated = uniqueName('never-watched');
  const grants: Record<string, boolean> = {};
  for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete'])
    grants[`secrets ${verb} in ${unrelated}`] = await allowed({
      namespace: unrelated,
      verb,
      resource: 'secrets',
    });
  grants['secrets list, cluster-wide'] = await allowed({ verb: 'list', resource: 'secrets' });
  grants[`serviceaccounts/token create in ${unrelated}`] = await allowed({
    namespace: unrelated,
    verb: 'create',
    resource: 'serviceaccounts',
    subresource: 'token',
  });
  expect(grants).toEqual(Object.fromEntries(Object.keys(grants).map((key) => [key, true])));
});
