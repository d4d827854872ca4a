// The `spec.aws` field of a SecretProvider / ClusterSecretProvider, as its schema validated it at the
// edge (parse.ts), turned into settings: the defaults applied in code (no server-side defaults, so
// GitOps tools see no diff) and the rules the schema cannot express. An empty string in an optional
// field means "not set", as everywhere in the API.
import type {
  AwsAccessKeyRef,
  AwsAuth,
  AwsProvider,
  ServiceAccountSelector,
} from '../../api/v1alpha1/types.generated.js';
import { InvalidSpecError, type ErrorSubject } from '../errors.js';
import { httpBaseUrl, nonEmpty, withNamespace } from '../spec-fields.js';
import type { ProviderIdentity } from '../types.js';

/** Audience of the ServiceAccount token exchanged with STS, as IRSA uses it. */
export const DEFAULT_WEB_IDENTITY_AUDIENCE = 'sts.amazonaws.com';

export type AwsAuthSettings =
  /** The SDK's default credential chain (environment, shared files, container and instance roles). */
  | { method: 'defaultChain' }
  | { method: 'secretRef'; secretRef: AwsAccessKeyRef }
  | {
      method: 'webIdentity';
      serviceAccountRef: ServiceAccountSelector;
      roleArn: string;
      audiences: string[];
    };

export interface AwsAssumeRole {
  arn: string;
  externalId?: string;
}

export interface AwsSettings {
  region: string;
  /** Secrets Manager endpoint without a trailing slash; undefined uses the SDK's resolution. */
  endpoint?: string;
  /** A role assumed with the credentials `auth` yields. */
  role?: AwsAssumeRole;
  /** RoleSessionName for AssumeRole and AssumeRoleWithWebIdentity (shows in CloudTrail). */
  sessionName: string;
  auth: AwsAuthSettings;
}

export function parseAwsSpec(
  spec: AwsProvider,
  provider: ProviderIdentity,
  subject: ErrorSubject,
): AwsSettings {
  const fail = (what: string): never => {
    throw new InvalidSpecError(subject, `spec.aws: ${what}`);
  };
  const settings: AwsSettings = {
    region: spec.region,
    sessionName: nonEmpty(spec.sessionName) ?? defaultSessionName(provider),
    auth: parseAuth(spec.auth),
  };
  const endpoint = nonEmpty(spec.endpoint);
  if (endpoint !== undefined) settings.endpoint = httpBaseUrl(endpoint, 'endpoint', fail);
  const roleArn = nonEmpty(spec.role);
  const externalId = nonEmpty(spec.externalId);
  if (roleArn !== undefined) {
    settings.role = externalId === undefined ? { arn: roleArn } : { arn: roleArn, externalId };
  }
  return settings;
}

/** Whether a credential reference leaves its namespace to the SecretSource (ClusterSecretProvider). */
export function awsReferencesDefaultNamespace(settings: AwsSettings): boolean {
  const auth = settings.auth;
  if (auth.method === 'secretRef') return !auth.secretRef.namespace;
  if (auth.method === 'webIdentity') return !auth.serviceAccountRef.namespace;
  return false;
}

/** `secretsource-<provider name>`, cut to what STS accepts. */
export function defaultSessionName(provider: ProviderIdentity): string {
  return `secretsource-${provider.name}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

function parseAuth(auth: AwsAuth | undefined): AwsAuthSettings {
  if (auth?.secretRef) {
    const { name, namespace, accessKeyIdKey, secretAccessKeyKey, sessionTokenKey } = auth.secretRef;
    const secretRef: AwsAccessKeyRef = withNamespace({ name, accessKeyIdKey, secretAccessKeyKey }, namespace);
    return {
      method: 'secretRef',
      secretRef: sessionTokenKey === undefined ? secretRef : { ...secretRef, sessionTokenKey },
    };
  }
  if (auth?.webIdentity) {
    const { serviceAccountRef, roleArn, audiences } = auth.webIdentity;
    return {
      method: 'webIdentity',
      serviceAccountRef: withNamespace({ name: serviceAccountRef.name }, serviceAccountRef.namespace),
      roleArn,
      audiences:
        audiences !== undefined && audiences.length > 0 ? audiences : [DEFAULT_WEB_IDENTITY_AUDIENCE],
    };
  }
  return { method: 'defaultChain' };
}
