// The `spec.azure` field of a SecretProvider / ClusterSecretProvider, as its schema validated it at
// the edge (parse.ts), turned into settings: the defaults applied in code (no server-side defaults,
// so GitOps tools see no diff) and the rules the schema cannot express. An empty string in an
// optional field means "not set", as everywhere in the API.
//
// Which SDK pieces a spec selects (create-client.ts builds them):
//   auth.servicePrincipal.secretRef       ClientSecretCredential
//   auth.servicePrincipal.certificateRef  ClientCertificateCredential
//   auth.workloadIdentity                 ClientAssertionCredential over a TokenRequest token
//   auth.managedIdentity                  ManagedIdentityCredential (ClusterSecretProvider only)
//   authorityHost                         every credential's authorityHost; a non-Microsoft host
//                                         also sets disableInstanceDiscovery
//   caBundle                              tlsOptions.ca of the Key Vault clients and the credential
import type {
  AzureAuth,
  AzureProvider,
  SecretKeySelector,
  ServiceAccountSelector,
} from '../../api/v1alpha1/types.generated.js';
import { InvalidSpecError, type ErrorSubject } from '../errors.js';
import { httpBaseUrl, nonEmpty, pemBundle, withNamespace } from '../spec-fields.js';

/** Audience of the ServiceAccount token Entra ID accepts as a federated client assertion. */
export const DEFAULT_WORKLOAD_IDENTITY_AUDIENCE = 'api://AzureADTokenExchange';
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/**
 * Microsoft's own Entra authority hosts (public, US Government, China), which MSAL's instance
 * discovery knows. Any other host (Azure Stack, a private cloud, a test server) gets
 * disableInstanceDiscovery, or MSAL would ask login.microsoftonline.com about it first.
 */
const KNOWN_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
]);

export type AzureAuthSettings =
  | { method: 'clientSecret'; clientId: string; secretRef: SecretKeySelector }
  | { method: 'clientCertificate'; clientId: string; certificateRef: SecretKeySelector }
  | {
      method: 'workloadIdentity';
      clientId: string;
      serviceAccountRef: ServiceAccountSelector;
      audiences: string[];
    }
  | { method: 'managedIdentity'; clientId?: string };

export type VersionValidity = 'Warn' | 'Refuse';

export interface AzureSettings {
  /** The vault's URL without a trailing slash (the SDK builds ids from it). */
  vaultUrl: string;
  tenantId?: string;
  /** Without a trailing slash. */
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  caBundle?: string;
  versionValidity: VersionValidity;
  auth: AzureAuthSettings;
}

type Fail = (what: string) => never;

export function parseAzureSpec(spec: AzureProvider, subject: ErrorSubject): AzureSettings {
  const fail: Fail = (what) => {
    throw new InvalidSpecError(subject, `spec.azure: ${what}`);
  };
  const authorityHost = httpBaseUrl(
    nonEmpty(spec.authorityHost) ?? DEFAULT_AUTHORITY_HOST,
    'authorityHost',
    fail,
  );
  const settings: AzureSettings = {
    vaultUrl: vaultUrl(spec.vaultUrl, fail),
    authorityHost,
    disableInstanceDiscovery: !KNOWN_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname),
    versionValidity: spec.versionValidity ?? 'Warn',
    auth: parseAuth(spec.auth, fail),
  };
  const tenantId = nonEmpty(spec.tenantId);
  if (tenantId !== undefined) settings.tenantId = tenantId;
  const caBundle = nonEmpty(spec.caBundle);
  if (caBundle !== undefined) settings.caBundle = pemBundle(caBundle, 'caBundle', fail);
  return settings;
}

/** The Kubernetes object the auth method reads its credential from, if any (`Secret sp`). */
export function azureCredentialRef(
  settings: AzureSettings,
): { what: string; namespace?: string } | undefined {
  const auth = settings.auth;
  switch (auth.method) {
    case 'clientSecret':
      return withNamespace({ what: `Secret ${auth.secretRef.name}` }, auth.secretRef.namespace);
    case 'clientCertificate':
      return withNamespace({ what: `Secret ${auth.certificateRef.name}` }, auth.certificateRef.namespace);
    case 'workloadIdentity':
      return withNamespace(
        { what: `ServiceAccount ${auth.serviceAccountRef.name}` },
        auth.serviceAccountRef.namespace,
      );
    case 'managedIdentity':
      return undefined;
  }
}

/** Whether a credential reference leaves its namespace to the SecretSource (ClusterSecretProvider). */
export function azureReferencesDefaultNamespace(settings: AzureSettings): boolean {
  const ref = azureCredentialRef(settings);
  return ref !== undefined && !ref.namespace;
}

function parseAuth(auth: AzureAuth, fail: Fail): AzureAuthSettings {
  const principal = auth.servicePrincipal;
  if (principal?.secretRef) {
    return { method: 'clientSecret', clientId: principal.clientId, secretRef: keyRef(principal.secretRef) };
  }
  if (principal?.certificateRef) {
    return {
      method: 'clientCertificate',
      clientId: principal.clientId,
      certificateRef: keyRef(principal.certificateRef),
    };
  }
  if (auth.workloadIdentity) {
    const { clientId, serviceAccountRef, audiences } = auth.workloadIdentity;
    return {
      method: 'workloadIdentity',
      clientId,
      serviceAccountRef: withNamespace({ name: serviceAccountRef.name }, serviceAccountRef.namespace),
      audiences:
        audiences !== undefined && audiences.length > 0 ? audiences : [DEFAULT_WORKLOAD_IDENTITY_AUDIENCE],
    };
  }
  if (auth.managedIdentity) {
    const clientId = nonEmpty(auth.managedIdentity.clientId);
    return clientId === undefined ? { method: 'managedIdentity' } : { method: 'managedIdentity', clientId };
  }
  // The schema's CEL rules let no spec without a method through; this is for the type checker.
  return fail('auth must set exactly one of servicePrincipal, workloadIdentity or managedIdentity');
}

function keyRef(ref: SecretKeySelector): SecretKeySelector {
  return withNamespace({ name: ref.name, key: ref.key }, ref.namespace);
}

/**
 * The vault's base URL. Not a schema rule: a vault URL has no path (the SDK appends /secrets/...
 * to it, so a path would silently read another resource), which only the URL parser can tell.
 */
function vaultUrl(value: string, fail: Fail): string {
  const url = httpBaseUrl(value, 'vaultUrl', fail);
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:')
    fail('vaultUrl must be an https URL (Key Vault sends tokens only over TLS)');
  if (parsed.pathname !== '/' && parsed.pathname !== '') fail('vaultUrl must not have a path');
  return url;
}
