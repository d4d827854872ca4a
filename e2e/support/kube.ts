// Clients for the local control plane started by `make dev-up` (e2e/.run/env).
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { GROUP } from '../../src/api/v1alpha1/names.js';
import { eventually } from './wait.js';

// The suite's one wait helper lives in wait.ts; re-exported here, where most tests import it from.
export { eventually };

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the e2e tests with make test-e2e (or make dev-up first)`);
  return value;
}

/** Admin (system:masters) client configuration, from KUBECONFIG. */
export function adminKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(requireEnv('KUBECONFIG'));
  return kc;
}

/** A client that authenticates with a bearer token only, as a ServiceAccount would. */
export function tokenKubeConfig(token: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'e2e', server: requireEnv('KUBE_API_URL'), caFile: requireEnv('KUBE_CA_FILE') }],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa@e2e', cluster: 'e2e', user: 'sa' }],
    currentContext: 'sa@e2e',
  });
  return kc;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function createNamespace(kc: k8s.KubeConfig, prefix = 'e2e'): Promise<string> {
  const name = uniqueName(prefix);
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export async function deleteNamespace(kc: k8s.KubeConfig, name: string): Promise<void> {
  await kc
    .makeApiClient(k8s.CoreV1Api)
    .deleteNamespace({ name })
    .catch(() => undefined);
}

export function crdManifests(): k8s.V1CustomResourceDefinition[] {
  const dir = path.join(repoRoot, 'crds');
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${GROUP}_`) && f.endsWith('.yaml'))
    .sort()
    .map((f) => YAML.parse(readFileSync(path.join(dir, f), 'utf8')) as k8s.V1CustomResourceDefinition);
}

/** Server-side applies an object as the e2e tests' field manager (forced: the tests own what they apply). */
export async function applyObject(kc: k8s.KubeConfig, object: k8s.KubernetesObject): Promise<void> {
  await k8s.KubernetesObjectApi.makeApiClient(kc).patch(
    object,
    undefined,
    undefined,
    'secretsource-e2e',
    true,
    k8s.PatchStrategy.ServerSideApply,
  );
}

/**
 * Server-side applies the generated CRDs and waits until each is Established.
 * (Not through KubernetesObjectApi: its typed serializer drops `enum` and
 * `x-kubernetes-validations` from a plain-JSON CRD.)
 */
export async function installCrds(kc: k8s.KubeConfig, timeoutMs = 30_000): Promise<string[]> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const crds = crdManifests();
  for (const crd of crds) {
    await api.patchCustomResourceDefinition(
      { name: crd.metadata!.name!, body: crd, fieldManager: 'secretsource-e2e', force: true },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
    );
  }
  const names = crds.map((crd) => crd.metadata!.name!);
  await eventually(async () => {
    for (const name of names) {
      const crd = await api.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      if (established?.status !== 'True') throw new Error(`${name} is not Established yet`);
    }
  }, timeoutMs);
  return names;
}

/** The HTTP status of a failed client-node call, or undefined. */
export function statusCode(error: unknown): number | undefined {
  return error instanceof k8s.ApiException ? error.code : undefined;
}

/** The Status message the API server returned with a failed call. */
export function statusMessage(error: unknown): string {
  if (!(error instanceof k8s.ApiException)) return String(error);
  const body: unknown = error.body;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}

/** The Secret, or undefined when it does not exist. */
export async function readSecretIfExists(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
): Promise<k8s.V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ name, namespace });
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

/** The Ready condition of an object's status. */
export function readyCondition<C extends { type: string }>(
  object: { status?: { conditions?: C[] } } | undefined,
): C | undefined {
  return object?.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Creates a ServiceAccount unless it exists. */
export async function createServiceAccount(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
): Promise<void> {
  await core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
    .catch((error: unknown) => {
      if (statusCode(error) !== 409) throw error;
    });
}
