// The `spec.vault` field of a SecretProvider / ClusterSecretProvider, parsed once into settings with
// the defaults applied in code (no server-side defaults, so GitOps tools see no diff).
import {
  DEFAULT_VAULT_APPROLE_MOUNT,
  DEFAULT_VAULT_KUBERNETES_MOUNT,
  DEFAULT_VAULT_KV_MOUNT,
  DEFAULT_VAULT_KV_VERSION,
} from '../../api/v1alpha1/defaults.js';
import type {
  SecretKeySelector,
  ServiceAccountSelector,
  VaultProvider,
} from '../../api/v1alpha1/types.generated.js';
import { InvalidSpecError, type ErrorSubject } from '../errors.js';
import { nonEmpty, objectAt, stringAt } from '../spec-fields.js';

// The wire shape is the generated CRD type; the defaults are the API package's constants.
export type VaultProviderSpec = VaultProvider;
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

export function parseVaultSpec(raw: unknown, subject: ErrorSubject): VaultSettings {
  const fail = (what: string): never => {
    throw new InvalidSpecError(subject, `spec.vault: ${what}`);
  };
  const spec = objectAt(raw, 'spec.vault', fail);

  const server = stringAt(spec, 'server', fail, { required: true });
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return fail('server must be an http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('server must be an http(s) URL');
  if (url.search || url.hash || url.username || url.password)
    fail('server must not carry a query, fragment or credentials');

  const mount = trimSlashes(nonEmpty(stringAt(spec, 'path', fail)) ?? DEFAULT_VAULT_KV_MOUNT);
  if (mount === '' || !isSafePath(mount)) fail('path must be a KV mount path such as "secret"');

  const version = nonEmpty(stringAt(spec, 'version', fail)) ?? DEFAULT_VAULT_KV_VERSION;
  if (version !== 'v1' && version !== 'v2') fail('version must be v1 or v2');

  const namespace = nonEmpty(stringAt(spec, 'namespace', fail));
  const caBundle = nonEmpty(stringAt(spec, 'caBundle', fail));
  const caRef =
    spec.caRef === undefined || spec.caRef === null
      ? undefined
      : secretKeySelector(spec.caRef, 'caRef', fail);
  if (caBundle !== undefined && caRef !== undefined) fail('set caBundle or caRef, not both');

  const settings: VaultSettings = {
    server: url.toString().replace(/\/+$/, ''),
    mount,
    kvVersion: version === 'v1' ? 1 : 2,
    auth: parseAuth(spec.auth, fail),
  };
  if (namespace !== undefined) settings.namespace = trimSlashes(namespace);
  if (caBundle !== undefined) settings.caBundle = decodeCaBundle(caBundle, fail);
  if (caRef !== undefined) settings.caRef = caRef;
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

function parseAuth(raw: unknown, fail: (what: string) => never): VaultAuthSettings {
  const auth = objectAt(raw, 'auth', fail);
  const methods = (['token', 'kubernetes', 'appRole'] as const).filter(
    (method) => auth[method] !== undefined && auth[method] !== null,
  );
  if (methods.length !== 1) fail('auth must set exactly one of token, kubernetes, appRole');
  const method = methods[0]!;
  const body = objectAt(auth[method], `auth.${method}`, fail);
  switch (method) {
    case 'token':
      return { method, secretRef: secretKeySelector(body.secretRef, 'auth.token.secretRef', fail) };
    case 'kubernetes': {
      const mountPath = trimSlashes(
        nonEmpty(stringAt(body, 'mountPath', fail)) ?? DEFAULT_VAULT_KUBERNETES_MOUNT,
      );
      if (mountPath === '' || !isSafePath(mountPath)) fail('auth.kubernetes.mountPath is not a valid path');
      const ref = objectAt(body.serviceAccountRef, 'auth.kubernetes.serviceAccountRef', fail);
      const serviceAccountRef: VaultServiceAccountSelector = {
        name: stringAt(ref, 'name', fail, { required: true, where: 'auth.kubernetes.serviceAccountRef' }),
      };
      const saNamespace = nonEmpty(stringAt(ref, 'namespace', fail));
      if (saNamespace !== undefined) serviceAccountRef.namespace = saNamespace;
      const audiences = body.audiences ?? [];
      if (!Array.isArray(audiences) || !audiences.every((a) => typeof a === 'string' && a !== '')) {
        fail('auth.kubernetes.audiences must be a list of non-empty strings');
      }
      return {
        method,
        mountPath,
        role: stringAt(body, 'role', fail, { required: true, where: 'auth.kubernetes' }),
        serviceAccountRef,
        audiences: audiences as string[],
      };
    }
    case 'appRole': {
      const path = trimSlashes(nonEmpty(stringAt(body, 'path', fail)) ?? DEFAULT_VAULT_APPROLE_MOUNT);
      if (path === '' || !isSafePath(path)) fail('auth.appRole.path is not a valid path');
      return {
        method,
        path,
        roleId: stringAt(body, 'roleId', fail, { required: true, where: 'auth.appRole' }),
        secretRef: secretKeySelector(body.secretRef, 'auth.appRole.secretRef', fail),
      };
    }
  }
}

function secretKeySelector(
  raw: unknown,
  where: string,
  fail: (what: string) => never,
): VaultSecretKeySelector {
  const ref = objectAt(raw, where, fail);
  const selector: VaultSecretKeySelector = {
    name: stringAt(ref, 'name', fail, { required: true, where }),
    key: stringAt(ref, 'key', fail, { required: true, where }),
  };
  const namespace = nonEmpty(stringAt(ref, 'namespace', fail));
  if (namespace !== undefined) selector.namespace = namespace;
  return selector;
}

function decodeCaBundle(value: string, fail: (what: string) => never): string {
  if (value.includes('-----BEGIN')) return value;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  if (decoded.includes('-----BEGIN')) return decoded;
  return fail('caBundle must be PEM (or base64-encoded PEM)');
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
