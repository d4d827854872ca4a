// Isolation, field by field: every field of the API that names a Kubernetes object (enumerated from
// the schemas by reference-fields.ts, so a field added later fails this file until it is covered)
// is pointed at another namespace, and the operator refuses with a clear condition; the API
// server's audit log then shows that the operator's token made no request at all in that
// namespace. A ClusterSecretProvider serves only the namespaces its conditions admit, and its
// references without a namespace resolve in the SecretSource's namespace, so with ServiceAccount
// auth each tenant logs in to OpenBao as its own ServiceAccount and reads only its own paths.
// The admission policies (config/admission) are not installed here: this is the operator's own
// defence, for clusters without them and objects admitted before them.
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { PROVIDERS } from '../../src/providers/index.js';
import { OpenBaoUnderTest, openBaoTokenProvider } from '../cases/openbao.js';
import { eventually } from '../support/kube.js';
import { enableKubernetesAuth } from '../support/openbao-kubernetes-auth.js';
import { kubeconfigToken } from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { auditEventsOfToken, tokenId, type AuditEvent } from '../support/rbac-audit.js';
import { referenceFields } from '../support/reference-fields.js';
import { NAMESPACED_REFERENCE_SPECS, backendOf } from '../support/reference-specs.js';
import { API_VERSION, GROUP, VERSION, bytesOf, type SecretSourceObjects } from '../support/secret-sources.js';
import { createWorkload, readWorkload } from '../support/workloads.js';

jest.setTimeout(120_000);

const runId = randomBytes(4).toString('hex');
// OpenBao's paths and read policy (every path below its prefix); no SecretProvider of the fixture's:
// each test makes the ones it needs.
const openbao = new OpenBaoUnderTest();
const remoteBase = openbao.prefix;
// Tenants a and b are watched; the victim namespace is not (the operator is started below with a
// and b only), and holds an object of every kind a reference could name.
const fx = useOperatorFixture({
  name: 'e2e-iso-a',
  provider: openbao,
  defaultProvider: 'shared',
  mode: 'backend-only',
  beforeOperator: async (fixture) => {
    await fixture.createNamespace('e2e-iso-b');
    victim = await fixture.createNamespace('e2e-iso-victim');
  },
});
const { kc, core } = fx;
const custom = kc.makeApiClient(k8s.CustomObjectsApi);

let tenantA: SecretSourceObjects;
let tenantB: SecretSourceObjects;
/** Holds an object of every kind a reference could name; the operator must never touch it. */
let victim: string;
let operatorTokenId: string;

const generated = (): string => fx.generated();

async function remote(path: string, value: string): Promise<string> {
  return openbao.put(path, { value });
}

const readValue = (path: string) => [{ key: 'value', remoteRef: { path, property: 'value' } }];

/** The requests the operator's token made, once the audit log has caught up with them. */
function operatorRequests(): AuditEvent[] {
  return auditEventsOfToken(operatorTokenId);
}

beforeAll(async () => {
  const [a, b] = fx.namespaces as [string, string];
  tenantA = fx.objectsIn(a);
  tenantB = fx.objectsIn(b);

  // Everything a reference could name, in the victim namespace: credential Secrets under every name
  // the reference table uses, a ServiceAccount, a template ConfigMap, a workload and a provider.
  const token = await openbao.admin.createToken(['default'], '1h');
  fx.neverPrint(token);
  fx.onCleanup(() => openbao.admin.revokeToken(token));
  const victimValue = generated();
  for (const name of ['vault-token', 'ca', 'approle', 'aws', 'azure'])
    await core.createNamespacedSecret({
      namespace: victim,
      body: {
        metadata: { name },
        stringData: {
          token,
          'ca.crt': victimValue,
          id: victimValue,
          secret: victimValue,
          'cert.pem': victimValue,
        },
      },
    });
  await core.createNamespacedServiceAccount({ namespace: victim, body: { metadata: { name: 'app' } } });
  await core.createNamespacedConfigMap({
    namespace: victim,
    body: { metadata: { name: 'templates' }, data: { value: 'victim {{ .value }}' } },
  });
  await createWorkload(kc, victim, 'Deployment', 'app');
  await fx.objectsIn(victim).createProvider('shared', openBaoTokenProvider('vault-token'));

  const operatorToken = kubeconfigToken(fx.operatorKubeconfig);
  fx.neverPrint(operatorToken);
  operatorTokenId = tokenId(operatorToken);
  await fx.startOperator({ namespaces: [a, b] });
});

test('every SecretProvider reference pointed at another namespace: refused with a clear condition', async () => {
  // The table in reference-specs.ts covers exactly the fields the schema has.
  const fields = referenceFields('SecretProvider');
  expect(fields.filter((f) => !f.namespaced)).toEqual([]);
  expect(Object.keys(NAMESPACED_REFERENCE_SPECS).sort()).toEqual(fields.map((f) => f.path).sort());

  const entries = Object.entries(NAMESPACED_REFERENCE_SPECS);
  for (const [i, [, spec]] of entries.entries()) {
    await tenantA.createProvider(`ref-${i}`, spec(victim));
    await tenantA.createSource(`ref-${i}`, { data: readValue(`${remoteBase}/never-read`) }, `ref-${i}`);
  }
  for (const [i, [field, spec]] of entries.entries()) {
    const backend = backendOf(spec(victim));
    const built = PROVIDERS.find((p) => p.type === backend)?.factory !== undefined;
    // A backend this build has no client for stops earlier, at InvalidSpec; one it has names the rule.
    const source = await tenantA.waitReady(`ref-${i}`, 'False', built ? 'ProviderNotAllowed' : 'InvalidSpec');
    const message = source.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
    expect({ field, message }).toEqual({
      field,
      message: built
        ? expect.stringContaining(
            `points to namespace "${victim}"; a SecretProvider may only read from its own namespace`,
          )
        : expect.stringContaining(`provider type ${backend} is not supported by this build`),
    });
  }
});

test('SecretSource references have no namespace: one written there is pruned, and only the own namespace is used', async () => {
  const fields = referenceFields('SecretSource');
  expect(fields).toEqual([
    { path: 'spec.providerRef', namespaced: false },
    { path: 'spec.restartTargets[]', namespaced: false },
    { path: 'spec.target.template.configMapRef', namespaced: false },
  ]);
  const path = await remote('pruned', generated());
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: tenantA.namespace,
    plural: 'secretsources',
    body: {
      apiVersion: API_VERSION,
      kind: 'SecretSource',
      metadata: { name: 'pruned' },
      spec: {
        providerRef: { kind: 'SecretProvider', name: 'shared', namespace: victim },
        target: { template: { configMapRef: { name: 'templates', namespace: victim } } },
        restartTargets: [{ kind: 'Deployment', name: 'app', namespace: victim }],
        refresh: { interval: '2s' },
        data: readValue(path),
      },
    },
  });
  const stored = ((await tenantA.getSource('pruned')) as unknown as { spec: unknown }).spec as {
    providerRef: object;
    target: { template: { configMapRef: object } };
    restartTargets: object[];
  };
  expect([stored.providerRef, stored.target.template.configMapRef, stored.restartTargets[0]]).toEqual([
    { kind: 'SecretProvider', name: 'shared' },
    { name: 'templates' },
    { kind: 'Deployment', name: 'app' },
  ]);
  const notFound = await tenantA.waitReady('pruned', 'False', 'ProviderNotFound');
  expect(notFound.status?.conditions?.[0]?.message).toContain(`not found in namespace ${tenantA.namespace}`);

  // With a provider of its own, the template ConfigMap is looked for in the own namespace only.
  const token = await openbao.token(fx);
  await core.createNamespacedSecret({
    namespace: tenantA.namespace,
    body: { metadata: { name: 'vault-token' }, stringData: { token } },
  });
  await tenantA.createProvider('shared', openBaoTokenProvider('vault-token'));
  const missing = await tenantA.waitReady('pruned', 'False', 'InvalidSpec');
  expect(missing.status?.conditions?.[0]?.message).toContain(
    `template ConfigMap templates not found in namespace ${tenantA.namespace}`,
  );
  await core.createNamespacedConfigMap({
    namespace: tenantA.namespace,
    body: { metadata: { name: 'templates' }, data: { value: 'own {{ .value }}' } },
  });
  const secret = await tenantA.waitSecret('pruned');
  expect(bytesOf(secret, 'value')?.toString().startsWith('own ')).toBe(true);
  // A changed value rolls the restart targets: the own namespace has no Deployment app.
  await openbao.remote.update(path, { value: generated() });
  await tenantA.waitEvent('pruned', 'Warning', 'RestartTargetNotFound');
  expect((await readWorkload(kc, victim, 'Deployment', 'app')).annotations).toEqual({});
});

test('a ClusterSecretProvider serves only the namespaces it admits; with ServiceAccount auth each tenant logs in as itself', async () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  const { mount, accessor, reviewerJwt } = await enableKubernetesAuth(
    kc,
    openbao.admin,
    `k8s-iso-${runId}`,
    victim,
    cleanups,
  );
  for (const cleanup of cleanups) fx.onCleanup(cleanup);
  fx.neverPrint(reviewerJwt);
  // One policy for every tenant, templated by the namespace of the ServiceAccount that logged in.
  const tenantPolicy = `e2e-isolation-tenant-${runId}`;
  await openbao.admin.putPolicy(
    tenantPolicy,
    `path "secret/data/${remoteBase}/tenants/{{identity.entity.aliases.${accessor}.metadata.service_account_namespace}}/*" { capabilities = ["read"] }`,
  );
  fx.onCleanup(() => openbao.admin.deletePolicy(tenantPolicy));
  await openbao.admin.request('POST', `auth/${mount}/role/tenant`, {
    bound_service_account_names: ['app'],
    bound_service_account_namespaces: [tenantA.namespace, tenantB.namespace],
    audience: 'vault',
    token_policies: [tenantPolicy],
    token_ttl: '10m',
  });
  for (const tenant of [tenantA, tenantB])
    await core.createNamespacedServiceAccount({
      namespace: tenant.namespace,
      body: { metadata: { name: 'app' } },
    });
  const valueA = generated();
  const valueB = generated();
  const pathA = await remote(`tenants/${tenantA.namespace}/db`, valueA);
  const pathB = await remote(`tenants/${tenantB.namespace}/db`, valueB);

  const tenants = `e2e-iso-tenants-${runId}`;
  const onlyB = `e2e-iso-only-b-${runId}`;
  await fx.createClusterProvider(tenants, {
    conditions: [{ namespaces: [tenantA.namespace, tenantB.namespace] }],
    vault: {
      server: process.env['VAULT_ADDR'],
      auth: {
        kubernetes: {
          mountPath: mount,
          role: 'tenant',
          serviceAccountRef: { name: 'app' },
          audiences: ['vault'],
        },
      },
    },
  });
  await fx.createClusterProvider(onlyB, {
    conditions: [{ namespaces: [tenantB.namespace] }],
    vault: {
      server: process.env['VAULT_ADDR'],
      auth: { token: { secretRef: { name: 'only-b-token', key: 'token' } } },
    },
  });
  const viaCluster = (name: string) => ({ kind: 'ClusterSecretProvider', name });
  await tenantA.createSource('own', { providerRef: viaCluster(tenants), data: readValue(pathA) });
  await tenantB.createSource('own', { providerRef: viaCluster(tenants), data: readValue(pathB) });
  await tenantA.createSource('cross', { providerRef: viaCluster(tenants), data: readValue(pathB) });
  await tenantA.createSource('not-admitted', { providerRef: viaCluster(onlyB), data: readValue(pathA) });

  await tenantA.waitValue('own', 'value', valueA);
  await tenantB.waitValue('own', 'value', valueB);
  // Tenant A logged in as a's ServiceAccount: OpenBao refuses it b's path.
  const cross = await tenantA.waitReady('cross', 'False', 'AuthFailed');
  expect(cross.status?.conditions?.[0]?.message).not.toContain(valueB);
  expect(await tenantA.getSecret('cross')).toBeUndefined();
  const notAdmitted = await tenantA.waitReady('not-admitted', 'False', 'ProviderNotAllowed');
  expect(notAdmitted.status?.conditions?.[0]?.message).toContain(
    `ClusterSecretProvider ${onlyB} does not admit namespace ${tenantA.namespace}`,
  );

  // Validating the provider itself would need a namespace to read from: it reads none (never the
  // operator's own) and says so.
  await fx.waitClusterProviderReady(tenants, 'Unknown', 'CredentialsPerNamespace');
  // Each tenant's token was requested for its own ServiceAccount, and only those: none in the
  // operator's namespace, where a ServiceAccount without a namespace used to be looked up.
  await eventually(async () => {
    const tokenRequests = new Set(
      operatorRequests()
        .filter((e) => e.objectRef?.subresource === 'token')
        .map((e) => `${e.objectRef?.namespace}/${e.objectRef?.name}`),
    );
    expect([...tokenRequests].sort()).toEqual(
      [`${tenantA.namespace}/app`, `${tenantB.namespace}/app`].sort(),
    );
  });
  // The provider that does not admit tenant A never read a credential there.
  expect(
    operatorRequests().filter(
      (e) => e.objectRef?.name === 'only-b-token' && e.objectRef.namespace === tenantA.namespace,
    ),
  ).toEqual([]);
});

test('the audit log: the operator made no request of any kind in the namespace every reference pointed to', async () => {
  // Make sure the log holds the operator's latest requests: wait for one made after everything above.
  const marker = `marker-${runId}`;
  await tenantA.createSource(marker, { data: readValue(`${remoteBase}/marker`) }, 'missing-provider');
  await tenantA.waitReady(marker, 'False', 'ProviderNotFound');
  const requests = operatorRequests();
  expect(requests.length).toBeGreaterThan(0);
  const inVictim = requests
    .filter((e) => e.objectRef?.namespace === victim || e.requestURI.includes(`/namespaces/${victim}/`))
    .map((e) => `${e.verb} ${e.requestURI}`);
  expect({ inVictim }).toEqual({ inVictim: [] });
  expect(fx.leaked()).toBe(0);
});
