// AWS SDK failures → typed provider errors. AWS error messages can quote request input (and KMS or
// policy details), so a message here is a fixed text per error code plus the secret id; the SDK error is
// never attached as `cause`. Error codes are AWS identifiers and safe to name.
import {
  CredentialsUnavailableError,
  InvalidRefError,
  NETWORK_ERROR_CODES,
  NotFoundError,
  ProviderError,
  ThrottledError,
  UnauthorizedError,
  UnavailableError,
  type ErrorSubject,
} from '../errors.js';

/**
 * The identity authenticated but its policy does not allow the action. A subclass of
 * UnauthorizedError (reason AuthFailed) so validate() can tell "who are you?" from "not allowed".
 */
export class AccessDeniedError extends UnauthorizedError {
  constructor(subject: ErrorSubject, what = 'access denied by the IAM policy (AccessDeniedException)') {
    super(subject, what);
  }
}

type Mapper = (subject: ErrorSubject, code: string) => ProviderError;

const notFound: Mapper = (subject) => new NotFoundError(subject, 'secret or secret version not found');
const denied: Mapper = (subject, code) =>
  new AccessDeniedError(subject, `access denied by the IAM policy (${code})`);
const rejected: Mapper = (subject, code) =>
  new UnauthorizedError(subject, `AWS rejected the credentials (${code})`);
const throttled: Mapper = (subject, code) =>
  new ThrottledError(subject, undefined, `throttled by AWS (${code})`);
const unavailable: Mapper = (subject, code) => new UnavailableError(subject, `AWS failed (${code})`);
const badRequest: Mapper = (subject, code) =>
  new InvalidRefError(subject, `AWS rejected the request (${code})`);

const BY_CODE: Record<string, Mapper> = {
  ResourceNotFoundException: notFound,

  AccessDeniedException: denied,
  // STS (query protocol) says AccessDenied; it stays a plain UnauthorizedError so that a rejected
  // AssumeRole never passes for "authenticated but not allowed" (see AccessDeniedError).
  AccessDenied: (subject, code) => new UnauthorizedError(subject, `access denied (${code})`),
  UnrecognizedClientException: rejected,
  InvalidClientTokenId: rejected,
  InvalidSignatureException: rejected,
  SignatureDoesNotMatch: rejected,
  IncompleteSignature: rejected,
  MissingAuthenticationToken: rejected,
  ExpiredToken: rejected,
  ExpiredTokenException: rejected,
  InvalidIdentityToken: rejected,
  IDPRejectedClaim: rejected,
  AuthFailure: rejected,
  InvalidAccessKeyId: rejected,
  RequestExpired: rejected,
  RegionDisabledException: (subject) =>
    new UnauthorizedError(subject, 'STS is not activated in this region (RegionDisabledException)'),
  DecryptionFailure: (subject) =>
    new UnauthorizedError(subject, 'the secret cannot be decrypted with its KMS key (DecryptionFailure)'),
  EncryptionFailure: (subject) =>
    new UnauthorizedError(subject, 'the secret cannot be encrypted with its KMS key (EncryptionFailure)'),

  ThrottlingException: throttled,
  Throttling: throttled,
  TooManyRequestsException: throttled,
  RequestLimitExceeded: throttled,
  RequestThrottled: throttled,
  RequestThrottledException: throttled,
  SlowDown: throttled,
  PriorRequestNotComplete: throttled,

  InternalServiceError: unavailable,
  InternalFailure: unavailable,
  InternalError: unavailable,
  ServiceUnavailable: unavailable,
  ServiceUnavailableException: unavailable,
  IDPCommunicationError: unavailable,
  InvalidNextTokenException: unavailable,

  InvalidParameterException: badRequest,
  InvalidRequestException: (subject) =>
    new InvalidRefError(
      subject,
      'AWS rejected the request (InvalidRequestException; is the secret scheduled for deletion?)',
    ),
  ValidationException: badRequest,
  LimitExceededException: (subject) =>
    new InvalidRefError(subject, 'a Secrets Manager quota would be exceeded (LimitExceededException)'),
  ResourceExistsException: badRequest,
  PreconditionNotMetException: badRequest,
  MalformedPolicyDocument: badRequest,
  PackedPolicyTooLarge: badRequest,
};

const SAFE_CODE = /^[A-Za-z][A-Za-z0-9.]{0,99}$/;
/**
 * An error code we do not know is named only when it is shaped like an AWS exception name: the code
 * comes from the answer (__type, x-amzn-errortype), and an endpoint that quotes the request back
 * could put a written value or the session token there.
 */
const EXCEPTION_NAME = /^[A-Z][A-Za-z]{1,90}Exception$/;
const nameable = (code: string): boolean => BY_CODE[code] !== undefined || EXCEPTION_NAME.test(code);

/** JavaScript error names that say nothing about what AWS answered. */
const GENERIC_NAMES = new Set(['Error', 'SyntaxError', 'TypeError', 'RangeError']);

/** The AWS error code of a per-secret BatchGetSecretValue error, mapped the same way. */
export function errorFromCode(code: string | undefined, subject: ErrorSubject): ProviderError {
  const safe = code !== undefined && SAFE_CODE.test(code) && nameable(code) ? code : 'UnknownError';
  const mapper = BY_CODE[safe];
  return mapper ? mapper(subject, safe) : new UnavailableError(subject, `AWS failed (${safe})`);
}

/**
 * Converts anything an SDK call threw. An aborted call yields the signal's reason; ProviderErrors
 * (thrown by our own credential providers inside the SDK) pass through.
 */
export function awsError(error: unknown, subject: ErrorSubject, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof ProviderError) return error;
  if (typeof error !== 'object' || error === null)
    return new UnavailableError(subject, 'the AWS call failed');
  const fields = error as {
    name?: unknown;
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const name = typeof fields.name === 'string' ? fields.name : '';
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const status =
    typeof fields.$metadata?.httpStatusCode === 'number' ? fields.$metadata.httpStatusCode : undefined;

  if (name !== '' && SAFE_CODE.test(name) && BY_CODE[name]) return BY_CODE[name](subject, name);
  if (name === 'CredentialsProviderError') {
    return new CredentialsUnavailableError(subject, 'the default AWS credential chain found no credentials');
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'RequestTimeoutException') {
    return new UnavailableError(subject, 'the AWS request timed out');
  }
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) {
    return new UnavailableError(subject, `cannot reach the AWS endpoint (${code})`);
  }
  // 'SyntaxError' is the SDK failing to parse an error body (e.g. an XML 403 from a proxy): no code.
  const label =
    name !== '' && SAFE_CODE.test(name) && !GENERIC_NAMES.has(name) && nameable(name) ? name : undefined;
  if (status !== undefined) {
    const what = label === undefined ? `HTTP ${status}` : `${label}, HTTP ${status}`;
    if (status === 401 || status === 403) return new UnauthorizedError(subject, `not authorized (${what})`);
    if (status === 404) return new NotFoundError(subject, `secret not found (${what})`);
    if (status === 429) return new ThrottledError(subject, undefined, `throttled by AWS (${what})`);
    if (status >= 400 && status < 500)
      return new InvalidRefError(subject, `AWS rejected the request (${what})`);
    return new UnavailableError(subject, `AWS failed (${what})`);
  }
  if (fields.$fault === 'server')
    return new UnavailableError(subject, `AWS failed (${label ?? 'server fault'})`);
  return new UnavailableError(
    subject,
    label === undefined ? 'the AWS call failed' : `the AWS call failed (${label})`,
  );
}
