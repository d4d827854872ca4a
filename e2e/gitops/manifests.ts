// The manifests users install, as the real tools produce them: `helm template` of the chart and
// `kubectl kustomize` of config/default, parsed into objects, and what their RBAC grants a
// ServiceAccount, per scope, so the chart and config/default can be compared as sets.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot, requireEnv } from '../support/kube.js';

export const CHART = path.join(repoRoot, 'charts/secretsource-operator');

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Runs a tool; its stderr is in the error (tools print no secret values here: nothing holds one). */
export function run(tool: string, args: string[], input?: string): string {
  try {
    return execFileSync(tool, args, {
      cwd: repoRoot,
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '');
    throw new Error(`${path.basename(tool)} ${args.join(' ')} failed: ${stderr}`, { cause: error });
  }
}

export function kubectl(args: string[], input?: string): string {
  return run(requireEnv('KUBECTL'), args, input);
}

/** $HELM, which make dev-up exports. */
export function helm(args: string[]): string {
  if (process.env.KUBECONFIG && !process.env.HELM)
    throw new Error('HELM is not set: e2e/.run/env predates the helm build; make dev-down && make dev-up');
  return run(requireEnv('HELM'), args);
}

export function parseManifests(text: string): Manifest[] {
  return YAML.parseAllDocuments(text)
    .map((doc) => doc.toJSON() as Manifest | null)
    .filter((object): object is Manifest => object !== null);
}

/** `helm template RELEASE charts/secretsource-operator -n NAMESPACE --set …`. */
export function renderChart(release: string, namespace: string, set: string[] = []): Manifest[] {
  return parseManifests(
    helm(['template', release, CHART, '--namespace', namespace, ...set.flatMap((s) => ['--set', s])]),
  );
}

/** `kubectl kustomize config/default`. */
export function renderKustomize(dir = 'config/default'): Manifest[] {
  return parseManifests(kubectl(['kustomize', dir]));
}

export function find(objects: Manifest[], kind: string, name?: string): Manifest[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function only(objects: Manifest[], kind: string): Manifest {
  const found = find(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

interface Binding extends Manifest {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** One grant: `apiGroup resource verb [resourceNames]`, the core group written as ''. */
export type Grant = string;

/** `cluster` for a ClusterRoleBinding, `namespace NAME` for a RoleBinding. */
export type Scope = string;

function rulesToGrants(rules: Rule[] | undefined): Grant[] {
  return (rules ?? []).flatMap((rule) =>
    (rule.apiGroups ?? []).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) =>
        (rule.verbs ?? []).map(
          (verb) => `'${group}' ${resource} ${verb} [${[...(rule.resourceNames ?? [])].sort().join(',')}]`,
        ),
      ),
    ),
  );
}

/**
 * What the bindings among `objects` grant the ServiceAccount `namespace/name`, per scope, as
 * sorted lists (sets that print well). A binding to a role not among the objects is an error.
 */
export function grantsOf(objects: Manifest[], namespace: string, name: string): Record<Scope, Grant[]> {
  const scopes = new Map<Scope, Set<Grant>>();
  const bindings = objects.filter(
    (o): o is Binding => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding',
  );
  for (const binding of bindings) {
    const bindsUs = binding.subjects?.some(
      (s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace,
    );
    if (!bindsUs) continue;
    const role = objects.find(
      (o) =>
        o.kind === binding.roleRef.kind &&
        o.metadata.name === binding.roleRef.name &&
        (o.kind === 'ClusterRole' || o.metadata.namespace === binding.metadata.namespace),
    );
    if (!role) throw new Error(`${binding.kind} ${binding.metadata.name} refers to a role that is not there`);
    const scope =
      binding.kind === 'ClusterRoleBinding' ? 'cluster' : `namespace ${binding.metadata.namespace}`;
    const grants = scopes.get(scope) ?? new Set<Grant>();
    for (const grant of rulesToGrants(role.rules as Rule[] | undefined)) grants.add(grant);
    scopes.set(scope, grants);
  }
  return Object.fromEntries([...scopes].sort().map(([scope, grants]) => [scope, [...grants].sort()]));
}

/** The aggregated ClusterRoles for users, keyed by their aggregate-to-* labels, as grants. */
export function userRoleGrants(objects: Manifest[]): Record<string, Grant[]> {
  const entries = find(objects, 'ClusterRole')
    .map((role) => {
      const aggregates = Object.keys(role.metadata.labels ?? {})
        .filter((label) => label.startsWith('rbac.authorization.k8s.io/aggregate-to-'))
        .sort();
      return [aggregates.join(','), [...new Set(rulesToGrants(role.rules as Rule[]))].sort()] as const;
    })
    .filter(([aggregates]) => aggregates !== '');
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}
