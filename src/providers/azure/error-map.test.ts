import { RestError, createHttpHeaders } from '@azure/core-rest-pipeline';
import {
  CredentialsUnavailableError,
  InvalidRefError,
  NotFoundError,
  ThrottledError,
  UnauthorizedError,
  UnavailableError,
} from '../errors.js';
import { AccessDeniedError, azureError } from './error-map.js';

const subject = { provider: 'SecretProvider payments/azure', path: 'db' };
const SECRET_LOOKING = 'a3f1c9e0b7d2';

function restError(statusCode: number | undefined, code: string | undefined, message: string, headers = {}) {
  return new RestError(message, {
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(code === undefined ? {} : { code }),
    ...(statusCode === undefined
      ? {}
      : {
          response: {
            status: statusCode,
            headers: createHttpHeaders(headers),
            request: {} as never,
          },
        }),
  });
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const map = (error: unknown) => azureError(error, subject, undefined, () => 0) as Error;

describe('azureError', () => {
  test.each([
    [404, 'SecretNotFound', NotFoundError, 'not found in the vault (SecretNotFound, HTTP 404)'],
    [
      403,
      'Forbidden',
      AccessDeniedError,
      "the vault's access policy or RBAC denies this (Forbidden, HTTP 403)",
    ],
    [401, 'Unauthorized', UnauthorizedError, 'the vault refused the token (Unauthorized, HTTP 401)'],
    [409, 'Conflict', InvalidRefError, 'the vault refused the change (Conflict, HTTP 409)'],
    [400, 'BadParameter', InvalidRefError, 'Key Vault rejected the request (BadParameter, HTTP 400)'],
    [500, 'InternalServerError', UnavailableError, 'Key Vault failed (InternalServerError, HTTP 500)'],
  ])('HTTP %i %s → %p, naming the code and status only', (status, code, type, text) => {
    const error = map(restError(status, code, `message quoting ${SECRET_LOOKING}`));
    expect(error).toBeInstanceOf(type);
    expect(error.message).toBe(`${subject.provider}: ${text} (path "db")`);
    expect(error.cause).toBeUndefined();
  });

  test('a disabled version is its own clear error, not an access problem', () => {
    const error = map(restError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('the secret version is disabled (SecretDisabled)');
  });

  test('429 carries Retry-After', () => {
    const error = map(restError(429, 'Throttled', 'slow down', { 'retry-after': '7' }));
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBe(7000);
  });

  test('network and TLS failures are Unavailable, naming the code', () => {
    expect(map(restError(undefined, 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')).message).toContain(
      'cannot reach Azure (ECONNREFUSED)',
    );
    const tls = map(restError(undefined, 'SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in chain'));
    expect(tls).toBeInstanceOf(UnavailableError);
    expect(tls.message).toContain('check spec.azure.caBundle');
  });

  test('Entra refusals name the OAuth error and AADSTS codes only', () => {
    const error = map(
      named(
        'AuthenticationRequiredError',
        `invalid_client: AADSTS7000215: Invalid client secret provided. Trace ID: ${SECRET_LOOKING}`,
      ),
    );
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error.message).toBe(
      `${subject.provider}: Entra ID refused the credentials (invalid_client, AADSTS7000215) (path "db")`,
    );
    expect(error.message).not.toContain(SECRET_LOOKING);
    expect(map(named('AuthenticationError', 'request failed: connect ECONNREFUSED'))).toBeInstanceOf(
      UnavailableError,
    );
    expect(map(named('CredentialUnavailableError', 'endpoints_resolution_error AADSTS90002'))).toBeInstanceOf(
      CredentialsUnavailableError,
    );
  });

  test('an aborted call yields the signal reason; our own errors pass through', () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    expect(azureError(restError(500, 'x', 'y'), subject, controller.signal)).toBe(reason);
    const own = new UnauthorizedError(subject, 'mine');
    expect(map(own)).toBe(own);
    expect(map('weird')).toBeInstanceOf(UnavailableError);
  });
});
