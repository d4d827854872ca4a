// Namespaced mode, as config/namespaced installs it: Roles only, in the watched namespaces and the
// operator's own, and the operator run with --namespaces and --cluster-providers=false. The
// overlay is rendered with kustomize and applied with the test's namespaces in place of team-a and
// team-b, for a ServiceAccount of this file's own (config/rbac's is bound cluster-wide for the
// other test files). The operator syncs in the watched namespaces; outside them the API server
// refuses it every Secret; the audit log shows it made no cluster-scoped request and none refused.
// Last, the tenant roles: the aggregated view role grants no Secret read.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { OpenBaoUnderTest, openBaoTokenProvider } from '../cases/openbao.js';
import {
  applyObject,
  eventually,
  repoRoot,
  requireEnv,
  statusCode,
  tokenKubeConfig,
} from '../support/kube.js';
import { OPERATOR_NAMESPACE, kubeconfigToken, operatorKubeconfigFile } from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import {
  auditEventsOfToken,
  permission,
  tokenId,
  wasForbidden,
  type Permission,
} from '../support/rbac-audit.js';
import type { SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(120_000);

// Watched namespaces a (the fixture's) and b, and one outside; the operator is started in beforeAll
// below, as this file's ServiceAccount with the overlay's flags (not as config/rbac's).
const openbao = new OpenBaoUnderTest();
const fx = useOperatorFixture({
  name: 'e2e-nsmode-a',
  provider: openbao,
  defaultProvider: 'openbao',
  mode: 'backend-only',
  beforeOperator: async (fixture) => {
    await fixture.createNamespace('e2e-nsmode-b');
    await fixture.createNamespace('e2e-nsmode-out');
  },
});
const { kc, core } = fx;
const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
const objectsApi = k8s.KubernetesObjectApi.makeApiClient(kc);
const runId = randomBytes(4).toString('hex');
const serviceAccount = `secretsource-operator-ns-${runId}`;
const saUser = `system:serviceaccount:${OPERATOR_NAMESPACE}:${serviceAccount}`;

interface Manifest extends k8s.KubernetesObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: k8s.V1PolicyRule[];
  roleRef?: k8s.V1RoleRef;
  subjects?: k8s.RbacV1Subject[];
  spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
}

const rendered: Manifest[] = YAML.parseAllDocuments(
  execFileSync(requireEnv('KUBECTL'), ['kustomize', 'config/namespaced'], {
    cwd: repoRoot,
    encoding: 'utf8',
  }),
)
  .map((doc) => doc.toJSON() as Manifest | null)
  .filter((m): m is Manifest => m !== null);

let watched: SecretSourceObjects[];
let outside: string;
let operatorTokenId: string;
let operatorToken: string;
let dbPath: string;

const permissionsOf = (rules: k8s.V1PolicyRule[]): Set<Permission> =>
  new Set(
    rules.flatMap((rule) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) =>
          (rule.verbs ?? []).map((verb) => permission(group, resource, verb)),
        ),
      ),
    ),
  );

/** The overlay's RBAC objects with the test's namespaces, ServiceAccount and unique names. */
function rbacForTest(namespaces: Record<string, string>): Manifest[] {
  const suffixed = (name: string) => `${name}-${runId}`;
  return rendered
    .filter((m) => m.kind === 'Role' || m.kind === 'RoleBinding')
    .map((m) => {
      const copy = JSON.parse(JSON.stringify(m)) as Manifest;
      const own = copy.metadata.namespace === OPERATOR_NAMESPACE;
      copy.metadata.namespace = namespaces[copy.metadata.namespace!] ?? copy.metadata.namespace;
      if (own) copy.metadata.name = suffixed(copy.metadata.name);
      if (copy.roleRef && own) copy.roleRef.name = suffixed(copy.roleRef.name);
      for (const subject of copy.subjects ?? []) subject.name = serviceAccount;
      return copy;
    });
}

async function accessReview(
  user: string,
  groups: string[],
  attributes: k8s.V1ResourceAttributes,
): Promise<boolean> {
  const review = await authz.createSubjectAccessReview({
    body: { spec: { user, groups, resourceAttributes: attributes } },
  });
  return review.status?.allowed ?? false;
}

const asOperator = (attributes: k8s.V1ResourceAttributes) =>
  accessReview(
    saUser,
    ['system:serviceaccounts', `system:serviceaccounts:${OPERATOR_NAMESPACE}`, 'system:authenticated'],
    attributes,
  );

beforeAll(async () => {
  const [a, b] = fx.namespaces as [string, string, string];
  outside = fx.namespaces[2]!;
  watched = [fx.objectsIn(a), fx.objectsIn(b)];

  await core.createNamespacedServiceAccount({
    namespace: OPERATOR_NAMESPACE,
    body: { metadata: { name: serviceAccount } },
  });
  fx.onCleanup(() =>
    core.deleteNamespacedServiceAccount({ namespace: OPERATOR_NAMESPACE, name: serviceAccount }),
  );
  for (const object of rbacForTest({ 'team-a': a, 'team-b': b })) {
    await applyObject(kc, object);
    if (object.metadata.namespace === OPERATOR_NAMESPACE) fx.onCleanup(() => objectsApi.delete(object));
  }

  dbPath = await openbao.put('db', { password: fx.generated() });
  for (const namespace of [a, b, outside]) {
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'openbao-token' }, stringData: { token: await openbao.token(fx) } },
    });
  }

  const kubeconfig = await operatorKubeconfigFile(kc, {
    namespace: OPERATOR_NAMESPACE,
    name: serviceAccount,
  });
  operatorToken = kubeconfigToken(kubeconfig);
  fx.neverPrint(operatorToken);
  operatorTokenId = tokenId(operatorToken);
  // The Deployment's flags, with the test's namespaces; they name the watched namespaces themselves.
  const args = rendered.find((m) => m.kind === 'Deployment')!.spec!.template!.spec!.containers![0]!.args!;
  const flags = args
    .filter((arg) => arg.startsWith('--namespaces=') || arg.startsWith('--cluster-providers='))
    .map((arg) => (arg.startsWith('--namespaces=') ? `--namespaces=${a},${b}` : arg));
  await fx.startOperator({ kubeconfig, namespaces: 'from-flags', extraArgs: flags });
});

test('config/namespaced: Roles only, exactly the namespaced rules of config/rbac/role.yaml, and the flags that need no more', () => {
  const bound = rendered.filter((m) => m.kind === 'ClusterRoleBinding');
  expect(bound).toEqual([]);
  const clusterRoles = rendered.filter((m) => m.kind === 'ClusterRole').map((m) => m.metadata.name);
  expect(clusterRoles.sort()).toEqual(['secretsource-editor', 'secretsource-viewer']);

  const clusterWide = (
    YAML.parse(readFileSync(path.join(repoRoot, 'config/rbac/role.yaml'), 'utf8')) as Manifest
  ).rules!;
  const clusterScoped = (p: Permission) => /\/(clustersecretproviders|namespaces)(\/|\s)/.test(p);
  const namespacedPart = [...permissionsOf(clusterWide)].filter((p) => !clusterScoped(p)).sort();
  for (const namespace of ['team-a', 'team-b']) {
    const role = rendered.find((m) => m.kind === 'Role' && m.metadata.namespace === namespace)!;
    expect([...permissionsOf(role.rules!)].sort()).toEqual(namespacedPart);
  }
  const args = rendered.find((m) => m.kind === 'Deployment')!.spec!.template!.spec!.containers![0]!.args!;
  expect(args).toEqual(expect.arrayContaining(['--namespaces=team-a,team-b', '--cluster-providers=false']));
});

test('it syncs in each watched namespace; a ClusterSecretProvider is refused with a clear condition', async () => {
  for (const objects of watched) {
    await objects.createProvider('openbao', openBaoTokenProvider('openbao-token'));
    await objects.createSource('db', {
      data: [{ key: 'password', remoteRef: { path: dbPath, property: 'password' } }],
    });
    await objects.createSource('via-cluster', {
      providerRef: { kind: 'ClusterSecretProvider', name: 'anything' },
      data: [{ key: 'password', remoteRef: { path: dbPath, property: 'password' } }],
    });
  }
  for (const objects of watched) {
    await objects.waitReady('db', 'True', 'Synced');
    const refused = await objects.waitReady('via-cluster', 'False', 'ProviderNotAllowed');
    expect(refused.status?.conditions?.[0]?.message).toContain(
      'this operator runs without ClusterSecretProviders (--cluster-providers=false)',
    );
  }
});

test('outside the watched namespaces the API server refuses the operator every Secret', async () => {
  const secrets = (namespace: string | undefined, verb: string): k8s.V1ResourceAttributes => ({
    ...(namespace === undefined ? {} : { namespace }),
    verb,
    resource: 'secrets',
  });
  expect(await asOperator(secrets(watched[0]!.namespace, 'get'))).toBe(true);
  for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete'])
    expect({ verb, outside: await asOperator(secrets(outside, verb)) }).toEqual({ verb, outside: false });
  expect(await asOperator(secrets(undefined, 'list'))).toBe(false);
  expect(
    await asOperator({ verb: 'list', group: 'secretsource.dev', resource: 'clustersecretproviders' }),
  ).toBe(false);
  expect(await asOperator({ verb: 'list', resource: 'namespaces' })).toBe(false);
  // And for real, with its own token.
  const asItself = tokenKubeConfig(operatorToken).makeApiClient(k8s.CoreV1Api);
  const refused = await asItself.readNamespacedSecret({ namespace: outside, name: 'openbao-token' }).then(
    () => 200,
    (error: unknown) => statusCode(error),
  );
  expect(refused).toBe(403);
});

test('the audit log: only namespaced requests in its namespaces, none refused; Secrets listed only by the managed label', async () => {
  const mine = new Set([...watched.map((o) => o.namespace), OPERATOR_NAMESPACE]);
  const events = await eventually(async () => {
    const found = auditEventsOfToken(operatorTokenId).filter((e) => !(e.objectRef?.namespace === outside));
    expect(found.length).toBeGreaterThan(0);
    return auditEventsOfToken(operatorTokenId);
  });
  const ownTestRead = (e: (typeof events)[number]) =>
    e.verb === 'get' && e.objectRef?.namespace === outside && e.objectRef.name === 'openbao-token';
  const elsewhere = events
    .filter((e) => e.objectRef?.resource !== undefined && !mine.has(e.objectRef.namespace ?? ''))
    .filter((e) => !ownTestRead(e))
    .map((e) => `${e.verb} ${e.requestURI}`);
  expect({ elsewhere }).toEqual({ elsewhere: [] });
  // The one refused request is the test's own read above, made with the operator's token.
  const refused = events
    .filter(wasForbidden)
    .map((e) => `${e.verb} ${e.objectRef?.namespace}/${e.objectRef?.name}`);
  expect(refused).toEqual([`get ${outside}/openbao-token`]);
  const unlabelled = events
    .filter((e) => e.objectRef?.resource === 'secrets' && (e.verb === 'list' || e.verb === 'watch'))
    .filter((e) => !decodeURIComponent(e.requestURI).includes('labelSelector=secretsource.dev/managed=true'))
    .map((e) => e.requestURI);
  expect({ unlabelled }).toEqual({ unlabelled: [] });
  expect(fx.leaked()).toBe(0);
});

test('tenant roles: the aggregated edit role manages SecretSources; the view role reads them and no Secret', async () => {
  const namespace = watched[0]!.namespace;
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  for (const [user, role] of [
    [`viewer-${runId}`, 'view'],
    [`editor-${runId}`, 'edit'],
    [`ss-viewer-${runId}`, 'secretsource-viewer'],
  ] as const)
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: user },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    });
  // The clusterrole-aggregation controller copies our rules into the built-in roles.
  await eventually(async () => {
    for (const role of ['view', 'edit']) {
      const rules = (await rbac.readClusterRole({ name: role })).rules ?? [];
      if (!rules.some((r) => r.resources?.includes('secretsources')))
        throw new Error(`${role} has not aggregated ours yet`);
    }
  });
  const can = (user: string, verb: string, resource: string, group = '') =>
    accessReview(user, ['system:authenticated'], { namespace, verb, resource, group });
  for (const user of [`viewer-${runId}`, `ss-viewer-${runId}`]) {
    expect(await can(user, 'get', 'secretsources', 'secretsource.dev')).toBe(true);
    expect(await can(user, 'list', 'secretproviders', 'secretsource.dev')).toBe(true);
    for (const verb of ['get', 'list', 'watch'])
      expect({ user, verb, secrets: await can(user, verb, 'secrets') }).toEqual({
        user,
        verb,
        secrets: false,
      });
    expect(await can(user, 'create', 'secretsources', 'secretsource.dev')).toBe(false);
  }
  expect(await can(`editor-${runId}`, 'create', 'secretsources', 'secretsource.dev')).toBe(true);
  expect(await can(`editor-${runId}`, 'delete', 'secretproviders', 'secretsource.dev')).toBe(true);
  // Cluster-scoped providers stay with cluster administrators.
  expect(await can(`editor-${runId}`, 'create', 'clustersecretproviders', 'secretsource.dev')).toBe(false);
});
