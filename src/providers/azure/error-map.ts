// Azure SDK failures → typed provider errors. Key Vault and Entra ID messages can quote request
// details (client ids, trace ids, claims), so a message here is a fixed text plus the identifiers
// that are safe to name: the HTTP status, Key Vault's error code, the OAuth error and the AADSTS
// numbers. The SDK error is never attached as `cause`: it holds the request, headers and body.
import {
  CredentialsUnavailableError,
  InvalidRefError,
  NETWORK_ERROR_CODES,
  NotFoundError,
  ProviderError,
  ThrottledError,
  UnauthorizedError,
  UnavailableError,
  parseRetryAfter,
  type ErrorSubject,
} from '../errors.js';

/**
 * The identity authenticated but the vault's access policy or RBAC does not allow the operation.
 * A subclass of UnauthorizedError (reason AuthFailed) so validate() can tell "who are you?" from
 * "not allowed".
 */
export class AccessDeniedError extends UnauthorizedError {}

/** How core-rest-pipeline reports a request that got no answer, besides Node's own codes. */
const SDK_NETWORK_CODES = new Set(['REQUEST_SEND_ERROR', 'UND_ERR_SOCKET']);

/** TLS failures: a wrong or missing caBundle, most of the time. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const SAFE_CODE = /^[A-Za-z][A-Za-z0-9_.]{0,99}$/;
const OAUTH_ERRORS = [
  'invalid_client',
  'invalid_request',
  'invalid_grant',
  'invalid_scope',
  'unauthorized_client',
  'unsupported_grant_type',
  'access_denied',
  'temporarily_unavailable',
] as const;

interface ErrorFields {
  name: string;
  message: string;
  code: string | undefined;
  statusCode: number | undefined;
  retryAfter: string | undefined;
}

function fieldsOf(error: object): ErrorFields {
  const raw = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    statusCode?: unknown;
    response?: { headers?: { get?: (name: string) => string | undefined } };
  };
  const headers = raw.response?.headers;
  return {
    name: typeof raw.name === 'string' ? raw.name : '',
    message: typeof raw.message === 'string' ? raw.message : '',
    code: typeof raw.code === 'string' && SAFE_CODE.test(raw.code) ? raw.code : undefined,
    statusCode: typeof raw.statusCode === 'number' ? raw.statusCode : undefined,
    retryAfter: typeof headers?.get === 'function' ? headers.get('retry-after') : undefined,
  };
}

/** `invalid_client, AADSTS7000215`: what Entra said, by identifiers only. */
function entraCodes(message: string): string {
  const oauth = OAUTH_ERRORS.filter((code) => message.includes(code));
  const aadsts = [...new Set(message.match(/AADSTS\d{1,9}/g) ?? [])];
  return [...oauth, ...aadsts].join(', ');
}

/**
 * Converts anything an SDK call threw. An aborted call yields the signal's reason; ProviderErrors
 * (thrown by our own token credential inside the SDK's pipeline) pass through.
 */
export function azureError(
  error: unknown,
  subject: ErrorSubject,
  signal?: AbortSignal,
  now: () => number = Date.now,
): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof ProviderError) return error;
  if (typeof error !== 'object' || error === null)
    return new UnavailableError(subject, 'the Azure call failed');
  const fields = fieldsOf(error);
  if (fields.name === 'AbortError') return new UnavailableError(subject, 'the Azure request was aborted');
  const identity = identityError(fields, subject);
  if (identity) return identity;
  const { statusCode: status, code } = fields;
  if (status !== undefined) return httpError(fields, status, subject, now);
  if (code !== undefined && (NETWORK_ERROR_CODES.has(code) || SDK_NETWORK_CODES.has(code))) {
    return new UnavailableError(subject, `cannot reach Azure (${code})`);
  }
  if (code !== undefined && TLS_CODES.has(code)) {
    return new UnavailableError(subject, `TLS verification failed (${code}); check spec.azure.caBundle`);
  }
  if (fields.name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return new UnavailableError(subject, 'the Azure request timed out');
  }
  return new UnavailableError(
    subject,
    code === undefined ? 'the Azure call failed' : `the Azure call failed (${code})`,
  );
}

/** @azure/identity's errors: Entra ID refused or could not be asked. */
function identityError(fields: ErrorFields, subject: ErrorSubject): ProviderError | undefined {
  const codes = entraCodes(fields.message);
  const said = codes === '' ? '' : ` (${codes})`;
  switch (fields.name) {
    // @azure/identity 4.x reports a refused client secret as AuthenticationRequiredError (MSAL's
    // ServerError rewrapped), not AuthenticationError (docs/adr/0009).
    case 'AuthenticationError':
    case 'AuthenticationRequiredError':
      if (codes === '' && /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|network/i.test(fields.message)) {
        return new UnavailableError(subject, 'cannot reach Entra ID');
      }
      if (/temporarily_unavailable|AADSTS50196/.test(fields.message)) {
        return new UnavailableError(subject, `Entra ID is unavailable${said}`);
      }
      return new UnauthorizedError(subject, `Entra ID refused the credentials${said}`);
    case 'CredentialUnavailableError':
      return /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|network/i.test(fields.message) && codes === ''
        ? new UnavailableError(subject, 'cannot reach Entra ID or the managed identity endpoint')
        : new CredentialsUnavailableError(subject, `no Entra ID token could be obtained${said}`);
    default:
      return undefined;
  }
}

/** A Key Vault answer other than success: the status and Key Vault's error code. */
function httpError(
  fields: ErrorFields,
  status: number,
  subject: ErrorSubject,
  now: () => number,
): ProviderError {
  const code = fields.code;
  const what = code === undefined ? `HTTP ${status}` : `${code}, HTTP ${status}`;
  if (status === 404) return new NotFoundError(subject, `not found in the vault (${what})`);
  if (status === 403) {
    // The one message Key Vault has for it ("Operation get is not allowed on a disabled secret."):
    // the inner code SecretDisabled does not survive the SDK's error.
    if (/disabled/i.test(fields.message)) {
      return new NotFoundError(
        subject,
        'the secret version is disabled (SecretDisabled); enable it or pin an enabled version',
      );
    }
    return new AccessDeniedError(subject, `the vault's access policy or RBAC denies this (${what})`);
  }
  if (status === 401) return new UnauthorizedError(subject, `the vault refused the token (${what})`);
  if (status === 429) {
    return new ThrottledError(
      subject,
      parseRetryAfter(fields.retryAfter, now()),
      `throttled by Key Vault (${what})`,
    );
  }
  if (status === 409) return new InvalidRefError(subject, `the vault refused the change (${what})`);
  if (status >= 400 && status < 500)
    return new InvalidRefError(subject, `Key Vault rejected the request (${what})`);
  return new UnavailableError(subject, `Key Vault failed (${what})`);
}
