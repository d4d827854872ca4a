// The Helm chart (charts/secretsource-operator) against config/default, with the real helm ($HELM,
// built by make tools) and the local API server: both value sets the chart documents are accepted by
// `kubectl apply --dry-run=server`; with default values the chart grants exactly what config/default
// grants, per scope, and runs the operator the same way (this fails when the two drift apart); in
// namespaced mode it grants the same rights split by scope, and those are enough: the operator,
// running as the chart's ServiceAccount with only them, syncs and is refused nothing.
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { OpenBaoUnderTest, openBaoSpec, openBaoTokenProvider } from '../cases/openbao.js';
import { eventually, readyCondition, uniqueName } from '../support/kube.js';
import {
  OPERATOR_NAMESPACE,
  OPERATOR_SERVICE_ACCOUNT,
  kubeconfigToken,
  operatorKubeconfigFile,
} from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { auditEventsOfToken, tokenId, wasForbidden } from '../support/rbac-audit.js';
import { GROUP, VERSION, holds } from '../support/secret-sources.js';
import {
  CHART,
  find,
  grantsOf,
  helm,
  kubectl,
  only,
  renderChart,
  renderKustomize,
  userRoleGrants,
  type Grant,
  type Manifest,
} from './manifests.js';

jest.setTimeout(120_000);

// config/default's namespace (which a dry run cannot create) and CRDs; the namespaced-mode test's
// watched namespace, its OpenBao policy, and the operator it starts as the chart's ServiceAccount.
const openbao = new OpenBaoUnderTest();
const fx = useOperatorFixture({
  name: 'e2e-helm-watched',
  provider: openbao,
  defaultProvider: 'vault',
  mode: 'backend-only',
});
const { kc } = fx;
// config/default's names, so the default render is comparable object by object.
const RELEASE = 'secretsource-operator';

function podSpec(objects: Manifest[]): Record<string, unknown> {
  const deployment = only(objects, 'Deployment') as Manifest & {
    spec: { template: { spec: Record<string, unknown> } };
  };
  return deployment.spec.template.spec;
}

function spec(object: Manifest): Record<string, unknown> {
  return object.spec as Record<string, unknown>;
}

/** The namespaced resources the API server serves (subresources count as their resource's). */
function namespacedResources(): Set<string> {
  const names = kubectl(['api-resources', '--namespaced=true', '-o', 'name']).trim().split('\n');
  // `secrets`, `leases.coordination.k8s.io`: name then group; the core group has no suffix.
  return new Set(names.map((name) => (name.includes('.') ? name : `${name}.`)));
}

/** Whether a grant (`'group' resource verb [names]`) is on a namespaced resource. */
function onNamespacedResource(grant: Grant, namespaced: Set<string>): boolean {
  const [quotedGroup, resource] = grant.split(' ');
  const group = quotedGroup!.slice(1, -1);
  return namespaced.has(`${resource!.split('/')[0]}.${group}`);
}

describe('helm template', () => {
  test('helm lint passes', () => {
    expect(helm(['lint', CHART, '--strict'])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test('the default values are accepted by kubectl apply --dry-run=server', () => {
    const rendered = helm(['template', RELEASE, CHART, '--namespace', OPERATOR_NAMESPACE]);
    const output = kubectl(['apply', '--dry-run=server', '-f', '-'], rendered);
    for (const object of [
      'customresourcedefinition.apiextensions.k8s.io/secretsources.secretsource.dev',
      'clusterrole.rbac.authorization.k8s.io/secretsource-operator',
      'clusterrolebinding.rbac.authorization.k8s.io/secretsource-operator',
      'role.rbac.authorization.k8s.io/secretsource-operator-leader-election',
      'serviceaccount/secretsource-operator',
      'deployment.apps/secretsource-operator',
      'service/secretsource-operator-metrics',
      'networkpolicy.networking.k8s.io/secretsource-operator',
    ]) {
      expect(output).toContain(object);
    }
  });

  test('namespaced mode is accepted by kubectl apply --dry-run=server', async () => {
    const release = await fx.createNamespace('e2e-helm-rel');
    const watched = [await fx.createNamespace('e2e-helm-a'), await fx.createNamespace('e2e-helm-b')];
    const rendered = helm([
      'template',
      'ss',
      CHART,
      '--namespace',
      release,
      '--set',
      `watchNamespaces={${watched.join(',')}}`,
    ]);
    const output = kubectl(['apply', '--dry-run=server', '-f', '-'], rendered);
    for (const ns of watched) {
      expect(output).toMatch(
        new RegExp(`role.rbac.authorization.k8s.io/ss-secretsource-operator created \\(server dry run\\)`),
      );
      expect(rendered).toContain(`namespace: ${ns}`);
    }
    expect(output).toContain('role.rbac.authorization.k8s.io/ss-secretsource-operator-own-namespace');
  });
});

describe('the chart and config/default do not drift apart', () => {
  const chart = renderChart(RELEASE, OPERATOR_NAMESPACE);
  const kustomize = renderKustomize();

  test('the same grants to the operator, per scope', () => {
    const expected = grantsOf(kustomize, OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT);
    expect(Object.keys(expected).sort()).toEqual(['cluster', `namespace ${OPERATOR_NAMESPACE}`]);
    expect(grantsOf(chart, OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT)).toEqual(expected);
  });

  test('the same roles for users', () => {
    expect(userRoleGrants(chart)).toEqual(userRoleGrants(kustomize));
  });

  test('the same CRDs', () => {
    const crds = (objects: Manifest[]) =>
      Object.fromEntries(
        find(objects, 'CustomResourceDefinition').map((crd) => [crd.metadata.name, crd.spec]),
      );
    expect(crds(chart)).toEqual(crds(kustomize));
    // Kept on helm uninstall, so deleting the release does not delete every SecretSource.
    for (const crd of find(chart, 'CustomResourceDefinition'))
      expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
  });

  test('the same Deployment: replicas, security contexts, args, env, probes, resources', () => {
    const chartDeployment = spec(only(chart, 'Deployment'));
    expect(chartDeployment.replicas).toBe(spec(only(kustomize, 'Deployment')).replicas);
    // The whole pod spec: service account, both security contexts, the container's args and the rest.
    expect(podSpec(chart)).toEqual(podSpec(kustomize));
  });

  test('the same Service ports and NetworkPolicy rules', () => {
    expect(spec(only(chart, 'Service')).ports).toEqual(spec(only(kustomize, 'Service')).ports);
    // Each NetworkPolicy by name (the base one and the backends' one), with its rules.
    const rules = (objects: Manifest[]) =>
      Object.fromEntries(
        find(objects, 'NetworkPolicy').map((policy) => {
          const { policyTypes, ingress, egress } = spec(policy);
          return [policy.metadata.name, { policyTypes, ingress, egress }];
        }),
      );
    expect(rules(chart)).toEqual(rules(kustomize));
  });

  test('every object of config/default has its counterpart in the chart', () => {
    // The Namespace is the one exception: Helm installs into an existing release namespace.
    const kinds = (objects: Manifest[]) =>
      [...new Set(objects.map((o) => o.kind).filter((kind) => kind !== 'Namespace'))].sort();
    expect(kinds(chart)).toEqual(kinds(kustomize));
  });
});

describe('namespaced mode', () => {
  const watched = ['team-a', 'team-b'];
  const release = 'ops';
  const chart = renderChart(RELEASE, release, [`watchNamespaces={${watched.join(',')}}`]);
  const clusterWide = grantsOf(renderKustomize(), OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT);

  test('the namespaced rights in each watched namespace, the cluster-scoped ones cluster-wide', () => {
    const namespaced = namespacedResources();
    const all = clusterWide['cluster']!;
    const inNamespaces = all.filter((grant) => onNamespacedResource(grant, namespaced));
    const clusterScoped = all.filter((grant) => !onNamespacedResource(grant, namespaced));
    expect(clusterScoped.length).toBeGreaterThan(0);
    expect(inNamespaces.length).toBeGreaterThan(0);
    expect(grantsOf(chart, release, RELEASE)).toEqual({
      cluster: clusterScoped,
      ...Object.fromEntries(watched.map((ns) => [`namespace ${ns}`, inNamespaces])),
      // The Lease, as config/default grants it, and the fingerprint key Secret (get, create).
      [`namespace ${release}`]: [
        ...clusterWide[`namespace ${OPERATOR_NAMESPACE}`]!,
        "'' secrets create []",
        "'' secrets get []",
      ].sort(),
    });
  });

  test('the operator is told to watch those namespaces', () => {
    const container = (podSpec(chart).containers as { args: string[] }[])[0]!;
    expect(container.args).toContain(`--namespaces=${watched.join(',')}`);
  });

  test('a watched release namespace needs no extra Role', () => {
    const objects = renderChart(RELEASE, 'team-a', [`watchNamespaces={${watched.join(',')}}`]);
    expect(find(objects, 'Role', `${RELEASE}-own-namespace`)).toEqual([]);
    expect(grantsOf(objects, 'team-a', RELEASE)['namespace team-a']).toEqual(
      [
        ...grantsOf(chart, release, RELEASE)['namespace team-a']!,
        ...clusterWide[`namespace ${OPERATOR_NAMESPACE}`]!,
      ].sort(),
    );
  });
});

test("namespaced mode's rights are enough: the operator syncs as the chart's ServiceAccount and is refused nothing", async () => {
  const runId = randomBytes(4).toString('hex');
  const releaseName = `e2e-helm-${runId}`;
  const release = await fx.createNamespace('e2e-helm-rel');
  const watched = fx.namespace;
  const { objects } = fx;

  // Only the chart's ServiceAccount and RBAC, applied for real (no kubelet here to run its Deployment).
  const rbacObjects = renderChart(releaseName, release, [`watchNamespaces={${watched}}`]).filter((o) =>
    ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind),
  );
  kubectl(['apply', '-f', '-'], rbacObjects.map((o) => YAML.stringify(o)).join('---\n'));
  fx.onCleanup(async () =>
    kubectl(
      ['delete', '--ignore-not-found', '-f', '-'],
      rbacObjects
        .filter((o) => o.kind.startsWith('Cluster'))
        .map((o) => YAML.stringify(o))
        .join('---\n'),
    ),
  );
  const serviceAccount = only(rbacObjects, 'ServiceAccount').metadata.name;

  const { core } = fx;
  const password = fx.generated();
  const remotePath = await openbao.put('db', { password });
  const vaultToken = await openbao.token(fx);
  await core.createNamespacedSecret({
    namespace: watched,
    body: { metadata: { name: 'vault-token' }, stringData: { token: vaultToken } },
  });
  // A ClusterSecretProvider whose credentials live in the operator's own namespace.
  await core.createNamespacedSecret({
    namespace: release,
    body: { metadata: { name: 'vault-token' }, stringData: { token: vaultToken } },
  });
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const clusterProvider = uniqueName('e2e-helm');
  await fx.createClusterProvider(clusterProvider, {
    conditions: [{ namespaces: [watched] }],
    ...openBaoSpec({ token: { secretRef: { name: 'vault-token', namespace: release, key: 'token' } } }),
  });

  const kubeconfig = await operatorKubeconfigFile(kc, { namespace: release, name: serviceAccount });
  const token = kubeconfigToken(kubeconfig);
  fx.neverPrint(token);
  const operator = await fx.startOperator({ kubeconfig, namespaces: [watched], leaseNamespace: release });
  try {
    await objects.createProvider('vault', openBaoTokenProvider('vault-token'));
    const data = [{ key: 'password', remoteRef: { path: remotePath, property: 'password' } }];
    await objects.createSource('by-namespace', { data });
    await objects.createSource('by-cluster', {
      providerRef: { kind: 'ClusterSecretProvider', name: clusterProvider },
      data,
    });
    await objects.waitReady('by-namespace', 'True', 'Synced');
    await objects.waitReady('by-cluster', 'True', 'Synced');
    await objects.waitProviderReady('vault', 'True', 'Valid');
    await eventually(async () => {
      const provider = await custom.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'clustersecretproviders',
        name: clusterProvider,
      });
      if (
        readyCondition(provider as { status?: { conditions?: { type: string; status: string }[] } })
          ?.status !== 'True'
      )
        throw new Error(`ClusterSecretProvider ${clusterProvider} is not Ready yet`);
    });
    expect(holds(await objects.getSecret('by-namespace'), 'password', password)).toBe(true);
    expect(holds(await objects.getSecret('by-cluster'), 'password', password)).toBe(true);
    // The fingerprint key went where the chart's own-namespace Role lets it: the release namespace.
    expect(
      await core.readNamespacedSecret({ namespace: release, name: 'secretsource-fingerprint-key' }),
    ).toBeDefined();
    await objects.deleteAllSources();
  } finally {
    await operator.stop();
  }
  const refused = auditEventsOfToken(tokenId(token))
    .filter(wasForbidden)
    .map((e) => `${e.verb} ${e.requestURI}`);
  expect({ refused: [...new Set(refused)] }).toEqual({ refused: [] });
  expect(operator.output()).not.toContain('cannot keep the fingerprint key');
});
