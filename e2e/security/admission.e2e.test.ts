// config/admission against the real API server: ValidatingAdmissionPolicies refuse, before anything
// is stored, what the CRDs' CEL rules cannot see. The policies are applied as shipped; their
// bindings are applied as copies limited to this file's namespace, so no other test file meets them.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import {
  applyObject,
  eventually,
  repoRoot,
  requireEnv,
  statusCode,
  statusMessage,
  tokenKubeConfig,
  uniqueName,
} from '../support/kube.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { referenceFields } from '../support/reference-fields.js';
import { NAMESPACED_REFERENCE_SPECS } from '../support/reference-specs.js';
import { API_VERSION, GROUP, VERSION } from '../support/secret-sources.js';

jest.setTimeout(60_000);

const runId = randomBytes(4).toString('hex');
const SCOPE_LABEL = 'secretsource.dev/e2e-admission';
// The CRDs, config/rbac (the secretsource-editor role the tenant below is bound to) and a namespace
// the bindings select by label; no operator: admission alone decides here.
const fx = useOperatorFixture({
  name: 'e2e-admission',
  namespaceLabels: { [SCOPE_LABEL]: runId },
  mode: 'no-operator',
});
const { kc, core } = fx;
const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

const manifests: Manifest[] = readdirSync(path.join(repoRoot, 'config/admission'))
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) =>
    YAML.parseAllDocuments(readFileSync(path.join(repoRoot, 'config/admission', file), 'utf8')).map(
      (doc) => doc.toJSON() as Manifest,
    ),
  );
const policies = manifests.filter((m) => m.kind === 'ValidatingAdmissionPolicy');
const bindings = manifests.filter((m) => m.kind === 'ValidatingAdmissionPolicyBinding');

let namespace: string;
let tenant: k8s.CustomObjectsApi;

/** Creates an object as `api`'s user; returns the refusal message, or undefined when it was stored. */
async function attempt(
  api: k8s.CustomObjectsApi,
  kind: 'SecretSource' | 'SecretProvider' | 'ClusterSecretProvider',
  spec: Record<string, unknown>,
): Promise<string | undefined> {
  const plural = `${kind.toLowerCase()}s`;
  const body = { apiVersion: API_VERSION, kind, metadata: { name: uniqueName('adm') }, spec };
  try {
    // A dry run passes admission like a real create and stores nothing.
    if (kind === 'ClusterSecretProvider')
      await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body, dryRun: 'All' });
    else
      await api.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural,
        body,
        dryRun: 'All',
      });
    return undefined;
  } catch (error) {
    if (statusCode(error) !== 422 && statusCode(error) !== 403) throw error;
    return statusMessage(error);
  }
}

const source = (target: Record<string, unknown>): Record<string, unknown> => ({
  providerRef: { kind: 'SecretProvider', name: 'vault' },
  target,
  data: [{ key: 'password', remoteRef: { path: 'app/db', property: 'password' } }],
});

beforeAll(async () => {
  namespace = fx.namespace;
  fx.onCleanup(async () => {
    for (const binding of bindings)
      await admission
        .deleteValidatingAdmissionPolicyBinding({ name: `${binding.metadata.name}-${runId}` })
        .catch(() => undefined);
    for (const policy of policies)
      await admission.deleteValidatingAdmissionPolicy({ name: policy.metadata.name }).catch(() => undefined);
  });
  for (const policy of policies)
    await applyObject(kc, { apiVersion: 'admissionregistration.k8s.io/v1', ...policy });
  for (const binding of bindings) {
    await admission.createValidatingAdmissionPolicyBinding({
      body: {
        metadata: { name: `${binding.metadata.name}-${runId}` },
        spec: {
          ...binding.spec,
          matchResources: { namespaceSelector: { matchLabels: { [SCOPE_LABEL]: runId } } },
        } as unknown as k8s.V1ValidatingAdmissionPolicyBindingSpec,
      },
    });
  }

  // A tenant that may manage SecretSources and SecretProviders and nothing else (secretsource-editor).
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'tenant' } } });
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'app' } } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'tenant-editor' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'secretsource-editor' },
      subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace }],
    },
  });
  const { status } = await core.createNamespacedServiceAccountToken({
    namespace,
    name: 'tenant',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  tenant = tokenKubeConfig(status!.token!).makeApiClient(k8s.CustomObjectsApi);

  // The policies take effect once the API server's admission informers have seen them.
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await eventually(async () => {
    const refused = await attempt(custom, 'SecretSource', source({ type: 'kubernetes.io/not-a-type' }));
    if (refused === undefined) throw new Error('the admission policies are not in force yet');
  }, 30_000);
});

test('the local API server serves ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, on by default)', async () => {
  expect(policies.map((p) => p.metadata.name).sort()).toEqual([
    'secretsource-provider-namespace',
    'secretsource-requester-rights',
    'secretsource-target-guard',
  ]);
  for (const binding of bindings) expect(binding.spec['validationActions']).toEqual(['Deny']);
  for (const { metadata } of policies) {
    const live = await admission.readValidatingAdmissionPolicy({ name: metadata.name });
    // The API server type-checks policies whose types it can resolve; it reports no warning for ours.
    expect(live.status?.typeChecking?.expressionWarnings ?? []).toEqual([]);
  }
});

describe('spec.target (secretsource-target-guard)', () => {
  const admin = () => kc.makeApiClient(k8s.CustomObjectsApi);

  test.each([
    ['kubernetes.io/service-account-token', 'type must not be kubernetes.io/service-account-token'],
    ['bootstrap.kubernetes.io/token', 'type must not be'],
    ['kubernetes.io/future-token', 'spec.target.type kubernetes.io/future-token is refused'],
    ['k8s.io/anything', 'spec.target.type k8s.io/anything is refused'],
  ])('type %s is refused', async (type, message) => {
    expect(await attempt(admin(), 'SecretSource', source({ type }))).toContain(message);
  });

  test.each([
    ['annotations', { annotations: { 'kubernetes.io/service-account.name': 'default' } }],
    ['template.annotations', { template: { annotations: { 'kubernetes.io/service-account.uid': 'x' } } }],
  ])('a token-binding annotation in target.%s is refused', async (_where, target) => {
    const key = Object.keys(
      (target as { annotations?: object }).annotations ??
        (target as { template: { annotations: object } }).template.annotations,
    )[0]!;
    expect(await attempt(admin(), 'SecretSource', source(target))).toContain(
      `spec.target annotation ${key} is refused: it binds the Secret to a ServiceAccount`,
    );
  });

  test.each(['Opaque', 'kubernetes.io/tls', 'kubernetes.io/basic-auth', 'example.com/custom'])(
    'type %s is admitted',
    async (type) => {
      expect(
        await attempt(admin(), 'SecretSource', source({ type, annotations: { team: 'a' } })),
      ).toBeUndefined();
    },
  );
});

describe('SecretProvider references (secretsource-provider-namespace)', () => {
  const admin = () => kc.makeApiClient(k8s.CustomObjectsApi);
  const namespacedFields = referenceFields('SecretProvider')
    .filter((field) => field.namespaced)
    .map((field) => field.path);

  test('the policy and the test table list exactly the schema fields that name a namespace', () => {
    const policy = policies.find((p) => p.metadata.name === 'secretsource-provider-namespace')!;
    const refs = (policy.spec['variables'] as { name: string; expression: string }[]).find(
      (v) => v.name === 'refs',
    )!.expression;
    const inPolicy = [...refs.matchAll(/'(spec\.[^']+)':/g)].map((m) => m[1]).sort();
    expect(namespacedFields.length).toBeGreaterThan(0);
    expect(inPolicy).toEqual([...namespacedFields].sort());
    expect(Object.keys(NAMESPACED_REFERENCE_SPECS).sort()).toEqual([...namespacedFields].sort());
  });

  test.each(Object.keys(NAMESPACED_REFERENCE_SPECS))(
    '%s.namespace naming another namespace is refused',
    async (field) => {
      const spec = NAMESPACED_REFERENCE_SPECS[field]!;
      expect(await attempt(admin(), 'SecretProvider', spec('kube-system'))).toContain(
        `${field}.namespace is kube-system: a SecretProvider may only name its own namespace (${namespace})`,
      );
      // Its own namespace, written out, is fine; so is any namespace on a ClusterSecretProvider.
      expect(await attempt(admin(), 'SecretProvider', spec(namespace))).toBeUndefined();
      expect(
        await attempt(admin(), 'ClusterSecretProvider', {
          conditions: [{ namespaces: [namespace] }],
          ...spec('kube-system'),
        }),
      ).toBeUndefined();
    },
  );

  test('the operator’s own cloud identity (AWS default chain, Azure managed identity) is for ClusterSecretProviders only', async () => {
    const aws = { aws: { region: requireEnv('AWS_REGION') } };
    const azure = {
      azure: { vaultUrl: 'https://e2e-kv.vault.azure.localhost', auth: { managedIdentity: {} } },
    };
    expect(await attempt(admin(), 'SecretProvider', aws)).toContain(
      "spec.aws without auth is the AWS SDK's default chain, the operator's own identity",
    );
    // An empty auth is the default chain too: the operator refuses it, so admission must.
    expect(await attempt(admin(), 'SecretProvider', { aws: { ...aws.aws, auth: {} } })).toContain(
      "spec.aws without auth is the AWS SDK's default chain, the operator's own identity",
    );
    expect(await attempt(admin(), 'SecretProvider', azure)).toContain(
      "spec.azure.auth.managedIdentity is the operator's own Azure identity",
    );
    const conditions = [{ namespaces: [namespace] }];
    expect(await attempt(admin(), 'ClusterSecretProvider', { conditions, ...aws })).toBeUndefined();
    expect(await attempt(admin(), 'ClusterSecretProvider', { conditions, ...azure })).toBeUndefined();
  });
});

describe('the requester’s own rights (secretsource-requester-rights)', () => {
  const grant = async (name: string, rules: k8s.V1PolicyRule[]) => {
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace }],
      },
    });
  };

  test('a SecretSource writes only a Secret its author may write, and reads only a ConfigMap its author may read', async () => {
    expect(await attempt(tenant, 'SecretSource', source({ name: 'db' }))).toContain(
      `you may not create Secret db in namespace ${namespace}, so a SecretSource may not write it for you`,
    );
    expect(
      await attempt(tenant, 'SecretSource', source({ name: 'shared', creationPolicy: 'Merge' })),
    ).toContain(`you may not patch Secret shared in namespace ${namespace}`);
    await grant('tenant-writes-db', [
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['db'], verbs: ['create'] },
    ]);
    const templated = source({ name: 'db', template: { configMapRef: { name: 'templates' } } });
    await eventually(async () => {
      expect(await attempt(tenant, 'SecretSource', templated)).toContain(
        `you may not get ConfigMap templates in namespace ${namespace}, so a SecretSource may not read it for you`,
      );
    });
    await grant('tenant-reads-templates', [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['templates'], verbs: ['get'] },
    ]);
    await eventually(async () => expect(await attempt(tenant, 'SecretSource', templated)).toBeUndefined());
    // The grant is for one name: another target is still refused.
    expect(await attempt(tenant, 'SecretSource', source({ name: 'other' }))).toContain(
      `you may not create Secret other in namespace ${namespace}`,
    );
  });

  test('a SecretProvider logs in only with a Secret or ServiceAccount its author may use', async () => {
    const byToken = NAMESPACED_REFERENCE_SPECS['spec.vault.auth.token.secretRef']!(namespace);
    const byServiceAccount =
      NAMESPACED_REFERENCE_SPECS['spec.vault.auth.kubernetes.serviceAccountRef']!(namespace);
    expect(await attempt(tenant, 'SecretProvider', byToken)).toContain(
      `you may not get every Secret this SecretProvider names (vault-token) in namespace ${namespace}`,
    );
    expect(await attempt(tenant, 'SecretProvider', byServiceAccount)).toContain(
      `you may not request tokens of ServiceAccount app in namespace ${namespace}`,
    );
    await grant('tenant-logs-in', [
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['vault-token'], verbs: ['get'] },
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['app'], verbs: ['create'] },
    ]);
    await eventually(async () => {
      expect(await attempt(tenant, 'SecretProvider', byToken)).toBeUndefined();
      expect(await attempt(tenant, 'SecretProvider', byServiceAccount)).toBeUndefined();
    });
  });
});
