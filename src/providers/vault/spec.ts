// The `spec.vault` field of a SecretProvider / ClusterSecretProvider, as its schema validated it at
// the edge (parse.ts), turned into settings: the defaults applied in code (no server-side defaults,
// so GitOps tools see no diff) and the rules the schema cannot express. An empty string in an
// optional field means "not set", as everywhere in the API.
import type {
  SecretKeySelector,
  ServiceAccountSelector,
  VaultAuth,
  VaultProvider,
} from '../../api/v1alpha1/types.generated.js';
import { InvalidSpecError, type ErrorSubject } from '../errors.js';
import { httpBaseUrl, nonEmpty, pemBundle, withNamespace } from '../spec-fields.js';

export const DEFAULT_VAULT_KV_MOUNT = 'secret';
export const DEFAULT_VAULT_KV_VERSION = 'v2';
export const DEFAULT_VAULT_KUBERNETES_MOUNT = 'kubernetes';
export const DEFAULT_VAULT_APPROLE_MOUNT = 'approle';

export type VaultSecretKeySelector = SecretKeySelector;
export type VaultServiceAccountSelector = ServiceAccountSelector;

export type VaultAuthSettings =
  | { method: 'token'; secretRef: VaultSecretKeySelector }
  | {
      method: 'kubernetes';
      mountPath: string;
      role: string;
      serviceAccountRef: VaultServiceAccountSelector;
      audiences: string[];
    }
  | { method: 'appRole'; path: string; roleId: string; secretRef: VaultSecretKeySelector };

export interface VaultSettings {
  /** Base URL without a trailing slash. */
  server: string;
  /** KV mount without surrounding slashes. */
  mount: string;
  kvVersion: 1 | 2;
  namespace?: string;
  caBundle?: string;
  caRef?: VaultSecretKeySelector;
  auth: VaultAuthSettings;
}

type Fail = (what: string) => never;

export function parseVaultSpec(spec: VaultProvider, subject: ErrorSubject): VaultSettings {
  const fail: Fail = (what) => {
    throw new InvalidSpecError(subject, `spec.vault: ${what}`);
  };
  const settings: VaultSettings = {
    server: httpBaseUrl(spec.server, 'server', fail),
    mount: mountPath(
      spec.path,
      DEFAULT_VAULT_KV_MOUNT,
      fail,
      'path must be a KV mount path such as "secret"',
    ),
    kvVersion: (spec.version ?? DEFAULT_VAULT_KV_VERSION) === 'v1' ? 1 : 2,
    auth: parseAuth(spec.auth, fail),
  };
  const namespace = nonEmpty(spec.namespace);
  if (namespace !== undefined) settings.namespace = trimSlashes(namespace);
  const caBundle = nonEmpty(spec.caBundle);
  if (caBundle !== undefined) settings.caBundle = pemBundle(caBundle, 'caBundle', fail);
  if (spec.caRef !== undefined) settings.caRef = secretKeySelector(spec.caRef);
  return settings;
}

/** Whether any credential reference leaves its namespace to the SecretSource (ClusterSecretProvider). */
export function vaultReferencesDefaultNamespace(settings: VaultSettings): boolean {
  const refs: Array<{ namespace?: string }> = [];
  if (settings.caRef) refs.push(settings.caRef);
  const auth = settings.auth;
  if (auth.method === 'kubernetes') refs.push(auth.serviceAccountRef);
  else refs.push(auth.secretRef);
  return refs.some((ref) => !ref.namespace);
}

function parseAuth(auth: VaultAuth, fail: Fail): VaultAuthSettings {
  if (auth.token) return { method: 'token', secretRef: secretKeySelector(auth.token.secretRef) };
  if (auth.kubernetes) {
    const { mountPath: mount, role, serviceAccountRef, audiences } = auth.kubernetes;
    return {
      method: 'kubernetes',
      mountPath: mountPath(
        mount,
        DEFAULT_VAULT_KUBERNETES_MOUNT,
        fail,
        'auth.kubernetes.mountPath is not a valid path',
      ),
      role,
      serviceAccountRef: withNamespace({ name: serviceAccountRef.name }, serviceAccountRef.namespace),
      audiences: audiences ?? [],
    };
  }
  if (auth.appRole) {
    const { path, roleId, secretRef } = auth.appRole;
    return {
      method: 'appRole',
      path: mountPath(path, DEFAULT_VAULT_APPROLE_MOUNT, fail, 'auth.appRole.path is not a valid path'),
      roleId,
      secretRef: secretKeySelector(secretRef),
    };
  }
  // The schema's CEL rule lets no spec without a method through; this is for the type checker.
  return fail('auth must set exactly one of token, kubernetes, appRole');
}

function secretKeySelector(ref: SecretKeySelector): VaultSecretKeySelector {
  return withNamespace({ name: ref.name, key: ref.key }, ref.namespace);
}

/**
 * A mount path with the slashes around it trimmed, empty meaning `fallback`, and no `.` or `..`
 * segment, query, fragment, backslash or control character. Not a schema pattern: the rule applies
 * to the trimmed value with the default filled in, which the schema never sees, and a pattern would
 * have to spell out every allowed segment form (RE2 has no lookahead to exclude `..`).
 */
function mountPath(value: string | undefined, fallback: string, fail: Fail, problem: string): string {
  const path = trimSlashes(nonEmpty(value) ?? fallback);
  if (path === '' || !isSafePath(path)) fail(problem);
  return path;
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

/** Path segments without traversal, query or control characters. */
export function isSafePath(path: string): boolean {
  if (
    /[?#\\]/.test(path) ||
    [...path].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)
  ) {
    return false;
  }
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
