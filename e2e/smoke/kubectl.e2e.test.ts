// The everyday kubectl commands on the three kinds, with the real kubectl binary ($KUBECTL):
// get and describe by singular, plural and short name with a NAME (what README suggests after
// make demo), get of the category listing all three kinds, and explain of each kind's spec.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { CATEGORY, PLURALS, SHORT_NAMES } from '../../src/api/v1alpha1/crd.js';
import {
  adminKubeConfig,
  createNamespace,
  deleteNamespace,
  eventually,
  installCrds,
  repoRoot,
  requireEnv,
  uniqueName,
} from '../support/kube.js';
import { API_VERSION, GROUP, VERSION } from '../support/secret-sources.js';

const kc = adminKubeConfig();
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
// A discovery cache of its own, so no cache from before a CRD change answers for the server.
const cacheDir = mkdtempSync(path.join(tmpdir(), 'e2e-kubectl-cache-'));
let namespace: string;
const clusterProvider = uniqueName('e2e-kubectl');

function kubectl(...args: string[]): string {
  try {
    return execFileSync(requireEnv('KUBECTL'), [`--cache-dir=${cacheDir}`, ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr);
    throw new Error(`kubectl ${args.join(' ')} failed: ${stderr}`, { cause: error });
  }
}

const vault = {
  vault: {
    server: 'https://vault.example:8200',
    auth: { token: { secretRef: { name: 't', key: 'token' } } },
  },
};

interface KindCase {
  kind: keyof typeof PLURALS;
  name: string;
  namespaced: boolean;
  specField: string;
}

const kinds: KindCase[] = [
  { kind: 'SecretSource', name: 'db', namespaced: true, specField: 'providerRef' },
  { kind: 'SecretProvider', name: 'vault', namespaced: true, specField: 'vault' },
  { kind: 'ClusterSecretProvider', name: clusterProvider, namespaced: false, specField: 'conditions' },
];

// No operator fixture: a smoke test of the API server and kubectl, with nothing of the operator running.
beforeAll(async () => {
  await installCrds(kc);
  namespace = await createNamespace(kc, 'e2e-kubectl');
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'secretproviders',
    body: { apiVersion: API_VERSION, kind: 'SecretProvider', metadata: { name: 'vault' }, spec: vault },
  });
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'secretsources',
    body: {
      apiVersion: API_VERSION,
      kind: 'SecretSource',
      metadata: { name: 'db' },
      spec: {
        providerRef: { kind: 'SecretProvider', name: 'vault' },
        data: [{ key: 'password', remoteRef: { path: 'app/db', property: 'password' } }],
      },
    },
  });
  await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'clustersecretproviders',
    body: {
      apiVersion: API_VERSION,
      kind: 'ClusterSecretProvider',
      metadata: { name: clusterProvider },
      spec: { conditions: [{ namespaces: [namespace] }], ...vault },
    },
  });
});

afterAll(async () => {
  await custom
    .deleteClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'clustersecretproviders',
      name: clusterProvider,
    })
    .catch(() => undefined);
  await deleteNamespace(kc, namespace);
  rmSync(cacheDir, { recursive: true, force: true });
});

describe.each(kinds)('$kind', ({ kind, name, namespaced, specField }) => {
  const scope = () => (namespaced ? ['-n', namespace] : []);
  const resourceNames = [
    kind.toLowerCase(),
    PLURALS[kind],
    ...SHORT_NAMES[kind],
    `${PLURALS[kind]}.${GROUP}`,
  ];

  test.each(resourceNames)('kubectl get %s NAME', (resource) => {
    const output = kubectl('get', resource, name, ...scope(), '-o', 'name');
    expect(output.trim()).toBe(`${kind.toLowerCase()}.${GROUP}/${name}`);
  });

  test.each(resourceNames)('kubectl describe %s NAME', (resource) => {
    const output = kubectl('describe', resource, name, ...scope());
    expect(output).toMatch(new RegExp(`^Name:\\s+${name}$`, 'm'));
    expect(output).toMatch(new RegExp(`^Kind:\\s+${kind}$`, 'm'));
  });

  test(`kubectl explain ${kind.toLowerCase()}.spec`, async () => {
    // The OpenAPI document is published a moment after a CRD is established.
    const output = await eventually(async () => kubectl('explain', `${kind.toLowerCase()}.spec`), {
      timeoutMs: 20_000,
      intervalMs: 500,
    });
    expect(output).toContain(`KIND:       ${kind}`);
    expect(output).toMatch(new RegExp(`^\\s+${specField}\\s`, 'm'));
  });
});

test('kubectl get <category> lists all three kinds', () => {
  const listed = kubectl('get', CATEGORY, '-n', namespace, '-o', 'name').trim().split('\n').sort();
  expect(listed).toEqual(
    expect.arrayContaining([
      `secretsource.${GROUP}/db`,
      `secretprovider.${GROUP}/vault`,
      `clustersecretprovider.${GROUP}/${clusterProvider}`,
    ]),
  );
});
