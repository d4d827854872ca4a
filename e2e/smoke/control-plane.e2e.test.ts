// Proves the local control plane is a real one: CRDs, CEL, RBAC, encryption at
// rest and ServiceAccount tokens behave as on a production cluster.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import {
  adminKubeConfig,
  createNamespace,
  crdManifests,
  deleteNamespace,
  installCrds,
  requireEnv,
  statusCode,
  statusMessage,
  tokenKubeConfig,
} from '../support/kube.js';

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
let namespace: string;

// No operator fixture: this proves the control plane the fixture relies on, with no operator running.
beforeAll(async () => {
  await installCrds(kc);
  namespace = await createNamespace(kc, 'smoke');
});
afterAll(() => deleteNamespace(kc, namespace));

/** The message of the CEL rule in the SecretSource CRD whose rule text mentions every word. */
function celMessage(...words: string[]): string {
  const crd = crdManifests().find((c) => c.spec.names.kind === 'SecretSource')!;
  const found: string[] = [];
  JSON.stringify(crd, (key, value: unknown) => {
    if (key === 'x-kubernetes-validations' && Array.isArray(value)) {
      for (const v of value as { rule: string; message?: string }[]) {
        if (words.every((w) => v.rule.includes(w)) && v.message) found.push(v.message);
      }
    }
    return value;
  });
  if (found.length === 0) throw new Error(`no CEL rule mentions ${words.join(', ')}`);
  return found[0]!;
}

function secretSource(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'secretsource.dev/v1alpha1',
    kind: 'SecretSource',
    metadata: { name, namespace },
    spec: {
      providerRef: { kind: 'SecretProvider', name: 'vault' },
      data: [{ key: 'password', remoteRef: { path: 'app/db', property: 'password' } }],
      ...spec,
    },
  };
}

async function createSecretSource(body: object): Promise<unknown> {
  return custom.createNamespacedCustomObject({
    group: 'secretsource.dev',
    version: 'v1alpha1',
    namespace,
    plural: 'secretsources',
    body,
  });
}

test('the CRDs install and become Established', async () => {
  const names = await installCrds(kc);
  expect(names.sort()).toEqual([
    'clustersecretproviders.secretsource.dev',
    'secretproviders.secretsource.dev',
    'secretsources.secretsource.dev',
  ]);
});

test('a valid SecretSource is accepted and stored without server-side defaults', async () => {
  const body = secretSource('valid', { refresh: { interval: '1h' } });
  const created = (await createSecretSource(body)) as { spec: unknown };
  expect(created.spec).toEqual(body.spec);
});

test('a SecretSource that breaks the schema is rejected', async () => {
  const body = secretSource('bad-kind', { providerRef: { kind: 'Elsewhere', name: 'x' } });
  const error = await createSecretSource(body).catch((e: unknown) => e);
  expect(statusCode(error)).toBe(422);
  expect(statusMessage(error)).toMatch(/spec\.providerRef\.kind: Unsupported value: "Elsewhere"/);
});

test('a SecretSource that breaks a CEL rule is rejected with that rule’s message', async () => {
  const body = secretSource('both-schedules', { refresh: { interval: '1h', schedule: '0 3 * * *' } });
  const error = await createSecretSource(body).catch((e: unknown) => e);
  expect(statusCode(error)).toBe(422);
  expect(statusMessage(error)).toContain(celMessage('interval', 'schedule'));
});

test('a ServiceAccount without RBAC grants is forbidden', async () => {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'nobody' } } });
  const { status } = await core.createNamespacedServiceAccountToken({
    name: 'nobody',
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const asNobody = tokenKubeConfig(status!.token!).makeApiClient(k8s.CoreV1Api);
  const error = await asNobody.listNamespacedSecret({ namespace }).catch((e: unknown) => e);
  expect(statusCode(error)).toBe(403);
  expect(statusMessage(error)).toContain(`system:serviceaccount:${namespace}:nobody`);
});

test('a ServiceAccount token passes TokenReview with its audience', async () => {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reviewed' } } });
  const { status } = await core.createNamespacedServiceAccountToken({
    name: 'reviewed',
    namespace,
    body: { spec: { audiences: ['vault'], expirationSeconds: 600 } },
  });
  const review = await kc.makeApiClient(k8s.AuthenticationV1Api).createTokenReview({
    body: { spec: { token: status!.token!, audiences: ['vault'] } },
  });
  expect(review.status?.authenticated).toBe(true);
  expect(review.status?.user?.username).toBe(`system:serviceaccount:${namespace}:reviewed`);
  expect(review.status?.audiences).toEqual(['vault']);
});

test('a Secret is encrypted at rest in etcd', async () => {
  const value = randomBytes(24).toString('hex');
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'at-rest' }, stringData: { value } },
  });
  const key = `/registry/secrets/${namespace}/at-rest`;
  const response = await fetch(`${requireEnv('ETCD_URL')}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from(key).toString('base64') }),
  });
  const { kvs } = (await response.json()) as { kvs?: { value: string }[] };
  expect(kvs).toHaveLength(1);
  const raw = Buffer.from(kvs![0]!.value, 'base64');
  expect(raw.subarray(0, 'k8s:enc:secretbox:v1:'.length).toString()).toBe('k8s:enc:secretbox:v1:');
  expect(raw.includes(Buffer.from(value))).toBe(false);
});
