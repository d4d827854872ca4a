// What config/rbac grants the operator's ServiceAccount, and what that identity really did
// according to the API server's audit log (e2e/env/audit-policy.yaml, written by make dev-up).
// Together they prove least privilege: every granted verb used, nothing used refused.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot, requireEnv } from './kube.js';

/** One permission, as `apiGroup/resource[/subresource] verb`, e.g. `/secrets get` (core group). */
export type Permission = string;

export const permission = (apiGroup: string, resource: string, verb: string): Permission =>
  `${apiGroup}/${resource} ${verb}`;

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface RbacObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/**
 * Every permission that config/rbac's bindings give the ServiceAccount `namespace/name`: the rules
 * of each ClusterRole and Role a binding with that subject refers to. Roles bound to nobody (the
 * editor/viewer roles for users) do not count.
 */
export function grantedPermissions(namespace: string, name: string): Set<Permission> {
  const dir = path.join(repoRoot, 'config/rbac');
  const objects = readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      YAML.parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map(
        (doc) => doc.toJSON() as RbacObject | null,
      ),
    )
    .filter((object): object is RbacObject => object !== null);
  const bindsUs = (binding: RbacObject) =>
    binding.subjects?.some(
      (s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace,
    );
  const granted = new Set<Permission>();
  for (const binding of objects.filter((o) => o.kind?.endsWith('RoleBinding') && bindsUs(o))) {
    const role = objects.find(
      (o) =>
        o.kind === binding.roleRef?.kind &&
        o.metadata?.name === binding.roleRef?.name &&
        (o.kind === 'ClusterRole' || o.metadata?.namespace === binding.metadata?.namespace),
    );
    if (!role)
      throw new Error(`config/rbac: ${binding.kind} ${binding.metadata?.name} refers to a missing role`);
    for (const rule of role.rules ?? []) {
      if (rule.resourceNames || rule.nonResourceURLs)
        throw new Error(`config/rbac: ${role.metadata?.name} has a rule this check cannot account for`);
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs ?? []) granted.add(permission(group, resource, verb));
    }
  }
  return granted;
}

export interface AuditEvent {
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string; extra?: Record<string, string[]> };
  objectRef?: {
    apiGroup?: string;
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
  };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

/** The audit log files of the local API server, oldest first (the current one and rotated ones). */
export function auditLogFiles(): string[] {
  const dir = path.join(requireEnv('SECRETSOURCE_RUN_DIR'), 'logs');
  const files = readdirSync(dir)
    .filter((file) => /^audit.*\.log$/.test(file))
    .sort((a, b) => (a === 'audit.log' ? 1 : b === 'audit.log' ? -1 : a.localeCompare(b)));
  if (!files.includes('audit.log'))
    throw new Error(`no audit log in ${dir}: restart the environment (make dev-down; make dev-up)`);
  return files.map((file) => path.join(dir, file));
}

/** The audit events of requests made with one credential (a ServiceAccount token's `jti`). */
export function auditEventsOfToken(jti: string): AuditEvent[] {
  const credential = `JTI=${jti}`;
  return auditLogFiles()
    .flatMap((file) => readFileSync(file, 'utf8').split('\n'))
    .filter((line) => line.includes(credential))
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((event) =>
      event.user.extra?.['authentication.kubernetes.io/credential-id']?.includes(credential),
    );
}

/**
 * The permissions a request needed. A server-side apply that created its object (201) needed
 * `create` as well as `patch`: the API server checks both, but logs the request as a patch.
 */
export function permissionsUsed(event: AuditEvent): Permission[] {
  const ref = event.objectRef;
  if (!ref?.resource) return [];
  const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
  const used = [permission(ref.apiGroup ?? '', resource, event.verb)];
  if (event.verb === 'patch' && event.responseStatus?.code === 201)
    used.push(permission(ref.apiGroup ?? '', resource, 'create'));
  return used;
}

/** Whether the API server refused the request for want of a permission. */
export function wasForbidden(event: AuditEvent): boolean {
  return (
    event.annotations?.['authorization.k8s.io/decision'] === 'forbid' || event.responseStatus?.code === 403
  );
}

/** The `jti` claim of a ServiceAccount token (decoded locally; the token is never printed). */
export function tokenId(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    jti?: unknown;
  };
  if (typeof payload.jti !== 'string') throw new Error('the ServiceAccount token carries no jti claim');
  return payload.jti;
}
