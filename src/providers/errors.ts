// Typed provider errors. The controller reads `reason` (shown in status); whether a sync failing
// with it is retried soon with backoff, or reported to wait for the next refresh or a change of the
// object, is the reason's (`retryable`, from the one table in src/api/v1alpha1/reasons.ts).
// `transient` is what provider code itself needs: whether the backend may answer the same call
// differently soon (a login failing so is not a rejection of the credentials).
//
// Messages name the provider and the remote path, never a value or a token, and a ProviderError never
// carries the error it replaces as `cause`: SDK errors (node-vault, the Kubernetes client) hold request
// options with tokens and response bodies with values.

import { isRetryable, type Reason } from '../api/v1alpha1/reasons.js';

export type ProviderErrorReason = Extract<
  Reason,
  | 'RemoteNotFound'
  | 'AuthFailed'
  | 'Throttled'
  | 'Unavailable'
  | 'InvalidRef'
  | 'InvalidSpec'
  | 'ProviderNotAllowed'
  | 'CredentialsPerNamespace'
>;

/** What an error is about: a provider description (e.g. `vault ClusterSecretProvider/vault-prod`) and a path. */
export interface ErrorSubject {
  provider: string;
  path?: string;
}

export abstract class ProviderError extends Error {
  abstract readonly reason: ProviderErrorReason;
  /** The backend may answer the same call differently soon: throttling, an outage, credentials not loaded yet. */
  abstract readonly transient: boolean;
  readonly provider: string;
  readonly path: string | undefined;

  constructor(subject: ErrorSubject, what: string) {
    super(`${subject.provider}: ${what}${subject.path === undefined ? '' : ` (path "${subject.path}")`}`);
    this.name = new.target.name;
    this.provider = subject.provider;
    this.path = subject.path;
  }

  /** Whether a sync failing with this error is retried with backoff: its reason's, from the reasons table. */
  get retryable(): boolean {
    return isRetryable(this.reason);
  }
}

/** The remote secret, version or property does not exist. */
export class NotFoundError extends ProviderError {
  readonly reason = 'RemoteNotFound';
  readonly transient = false;
  constructor(subject: ErrorSubject, what = 'remote secret not found') {
    super(subject, what);
  }
}

/** Authentication failed or the identity may not do this (HTTP 401/403). */
export class UnauthorizedError extends ProviderError {
  readonly reason = 'AuthFailed';
  readonly transient = false;
  constructor(subject: ErrorSubject, what = 'not authorized') {
    super(subject, what);
  }
}

/**
 * The credentials a provider authenticates with could not be loaded (missing Secret or key,
 * missing ServiceAccount). Retryable: with GitOps the Secret often arrives after the provider.
 */
export class CredentialsUnavailableError extends ProviderError {
  readonly reason = 'AuthFailed';
  readonly transient = true;
  constructor(subject: ErrorSubject, what: string) {
    super(subject, what);
  }
}

export class ThrottledError extends ProviderError {
  readonly reason = 'Throttled';
  readonly transient = true;
  readonly retryAfterMs: number | undefined;
  constructor(subject: ErrorSubject, retryAfterMs?: number, what = 'throttled by the backend') {
    super(subject, what);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The backend could not be reached or failed (5xx, connection refused, timeout, TLS failure). */
export class UnavailableError extends ProviderError {
  readonly reason = 'Unavailable';
  readonly transient = true;
  constructor(subject: ErrorSubject, what = 'backend unavailable') {
    super(subject, what);
  }
}

/** The reference cannot be served as written (bad path, version or property). */
export class InvalidRefError extends ProviderError {
  readonly reason = 'InvalidRef';
  readonly transient = false;
  constructor(subject: ErrorSubject, what: string) {
    super(subject, what);
  }
}

/** The provider spec is invalid (bad server URL, no auth method, ...). */
export class InvalidSpecError extends ProviderError {
  readonly reason = 'InvalidSpec';
  readonly transient = false;
  constructor(subject: ErrorSubject, what: string) {
    super(subject, what);
  }
}

/** A namespace rule forbids this (e.g. a SecretProvider reading another namespace's Secret). */
export class ProviderNotAllowedError extends ProviderError {
  readonly reason = 'ProviderNotAllowed';
  readonly transient = false;
  constructor(subject: ErrorSubject, what: string) {
    super(subject, what);
  }
}

/**
 * A ClusterSecretProvider whose credential references name no namespace reads them in the namespace
 * of each SecretSource that uses it; asked for a client without one (its own validation), it has no
 * namespace to read from and reads nothing: never the operator's own namespace.
 */
export class CredentialsPerNamespaceError extends ProviderError {
  readonly reason = 'CredentialsPerNamespace';
  readonly transient = false;
  constructor(subject: ErrorSubject) {
    super(
      subject,
      "its credentials are read in each SecretSource's namespace, so it is checked by each SecretSource that uses it (see their Ready conditions)",
    );
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}

export interface HttpFailure {
  status: number;
  /** Parsed Retry-After, for 429/503. */
  retryAfterMs?: number;
}

/** Maps an HTTP status from a backend to a typed error. */
export function errorFromHttpStatus(failure: HttpFailure, subject: ErrorSubject): ProviderError {
  const { status } = failure;
  if (status === 404) return new NotFoundError(subject);
  if (status === 401 || status === 403)
    return new UnauthorizedError(subject, `not authorized (HTTP ${status})`);
  if (status === 429)
    return new ThrottledError(subject, failure.retryAfterMs, 'throttled by the backend (HTTP 429)');
  if (status === 400 || status === 405 || status === 422) {
    return new InvalidRefError(subject, `request rejected by the backend (HTTP ${status})`);
  }
  return new UnavailableError(subject, `backend answered HTTP ${status}`);
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether an error is the rejection of an aborted signal rather than a provider failure. */
export function isAbortError(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted && error === signal.reason) return true;
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Connection-level failures of Node's HTTP clients: the backend could not be reached. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/** The metrics status of a failed call: 'aborted', the typed error's reason, or 'error'. */
export function failedCallStatus(
  error: unknown,
  signal: AbortSignal,
): 'aborted' | 'error' | ProviderErrorReason {
  if (signal.aborted) return 'aborted';
  return error instanceof ProviderError ? error.reason : 'error';
}
