// The `spec.aws` field of a SecretProvider / ClusterSecretProvider, parsed once into settings with the
// defaults applied in code (no server-side defaults, so GitOps tools see no diff). An empty string in
// an optional field means "not set", as everywhere in the API.
import type {
  AwsAccessKeyRef,
  AwsProvider,
  ServiceAccountSelector,
} from '../../api/v1alpha1/types.generated.js';
import { InvalidSpecError, type ErrorSubject } from '../errors.js';
import { nonEmpty, objectAt, stringAt } from '../spec-fields.js';
import type { ProviderIdentity } from '../types.js';

export type AwsProviderSpec = AwsProvider;

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

const REGION = /^[a-z0-9-]{1,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

export function parseAwsSpec(raw: unknown, provider: ProviderIdentity, subject: ErrorSubject): AwsSettings {
  const fail = (what: string): never => {
    throw new InvalidSpecError(subject, `spec.aws: ${what}`);
  };
  const spec = objectAt(raw, 'spec.aws', fail);

  const region = stringAt(spec, 'region', fail, { required: true });
  if (!REGION.test(region)) fail('region must look like eu-west-1');

  const endpoint = nonEmpty(stringAt(spec, 'endpoint', fail));
  const roleArn = nonEmpty(stringAt(spec, 'role', fail));
  const externalId = nonEmpty(stringAt(spec, 'externalId', fail));
  const sessionName = nonEmpty(stringAt(spec, 'sessionName', fail));
  if (roleArn !== undefined && !ROLE_ARN.test(roleArn)) fail('role must be an IAM role ARN');
  if (externalId !== undefined) {
    if (roleArn === undefined) fail('externalId is only used with role');
    if (!EXTERNAL_ID.test(externalId)) fail('externalId must be 2-1224 characters of [\\w+=,.@:/-]');
  }
  if (sessionName !== undefined && !SESSION_NAME.test(sessionName)) {
    fail('sessionName must be 2-64 characters of [\\w+=,.@-]');
  }

  const settings: AwsSettings = {
    region,
    sessionName: sessionName ?? defaultSessionName(provider),
    auth: parseAuth(spec.auth, fail),
  };
  if (endpoint !== undefined) settings.endpoint = parseEndpoint(endpoint, fail);
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

function parseAuth(raw: unknown, fail: (what: string) => never): AwsAuthSettings {
  if (raw === undefined || raw === null) return { method: 'defaultChain' };
  const auth = objectAt(raw, 'auth', fail);
  const methods = (['secretRef', 'webIdentity'] as const).filter(
    (method) => auth[method] !== undefined && auth[method] !== null,
  );
  if (methods.length > 1) fail('auth may set at most one of secretRef or webIdentity');
  if (methods.length === 0) return { method: 'defaultChain' };
  if (methods[0] === 'secretRef') {
    const where = 'auth.secretRef';
    const ref = objectAt(auth.secretRef, where, fail);
    const secretRef: AwsAccessKeyRef = {
      name: stringAt(ref, 'name', fail, { required: true, where }),
      accessKeyIdKey: stringAt(ref, 'accessKeyIdKey', fail, { required: true, where }),
      secretAccessKeyKey: stringAt(ref, 'secretAccessKeyKey', fail, { required: true, where }),
    };
    const namespace = nonEmpty(stringAt(ref, 'namespace', fail));
    if (namespace !== undefined) secretRef.namespace = namespace;
    const sessionTokenKey = nonEmpty(stringAt(ref, 'sessionTokenKey', fail));
    if (sessionTokenKey !== undefined) secretRef.sessionTokenKey = sessionTokenKey;
    return { method: 'secretRef', secretRef };
  }
  const where = 'auth.webIdentity';
  const body = objectAt(auth.webIdentity, where, fail);
  const roleArn = stringAt(body, 'roleArn', fail, { required: true, where });
  if (!ROLE_ARN.test(roleArn)) fail(`${where}.roleArn must be an IAM role ARN`);
  const ref = objectAt(body.serviceAccountRef, `${where}.serviceAccountRef`, fail);
  const serviceAccountRef: ServiceAccountSelector = {
    name: stringAt(ref, 'name', fail, { required: true, where: `${where}.serviceAccountRef` }),
  };
  const namespace = nonEmpty(stringAt(ref, 'namespace', fail));
  if (namespace !== undefined) serviceAccountRef.namespace = namespace;
  const audiences = body.audiences ?? [];
  if (!Array.isArray(audiences) || !audiences.every((a) => typeof a === 'string' && a !== '')) {
    fail(`${where}.audiences must be a list of non-empty strings`);
  }
  return {
    method: 'webIdentity',
    serviceAccountRef,
    roleArn,
    audiences: (audiences as string[]).length > 0 ? (audiences as string[]) : [DEFAULT_WEB_IDENTITY_AUDIENCE],
  };
}

function parseEndpoint(value: string, fail: (what: string) => never): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('endpoint must be an http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('endpoint must be an http(s) URL');
  if (url.search || url.hash || url.username || url.password) {
    fail('endpoint must not carry a query, fragment or credentials');
  }
  return url.toString().replace(/\/+$/, '');
}
