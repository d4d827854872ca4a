import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import {
  CredentialsUnavailableError,
  InvalidRefError,
  NotFoundError,
  ThrottledError,
  UnauthorizedError,
  UnavailableError,
} from '../errors.js';
import { AccessDeniedError, awsError, errorFromCode } from './error-map.js';

const subject = { provider: 'SecretProvider payments/aws', path: 'payments/db' };
const leak = 'SECRET-MATERIAL-IN-AWS-MESSAGE';

function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  const error = new Error(`${leak} quoted by AWS`);
  error.name = name;
  Object.assign(error, { $metadata: status === undefined ? {} : { httpStatusCode: status }, ...extra });
  return error;
}

describe('awsError', () => {
  test.each([
    ['ResourceNotFoundException', 400, NotFoundError],
    ['AccessDeniedException', 400, AccessDeniedError],
    ['UnrecognizedClientException', 400, UnauthorizedError],
    ['InvalidSignatureException', 400, UnauthorizedError],
    ['ExpiredTokenException', 400, UnauthorizedError],
    ['InvalidClientTokenId', 403, UnauthorizedError],
    ['ThrottlingException', 400, ThrottledError],
    ['TooManyRequestsException', 429, ThrottledError],
    ['InternalServiceError', 500, UnavailableError],
    ['InvalidRequestException', 400, InvalidRefError],
    ['DecryptionFailure', 400, UnauthorizedError],
  ])('%s → %p, without the AWS message', (name, status, type) => {
    const error = awsError(sdkError(name, status), subject) as Error;
    expect(error).toBeInstanceOf(type);
    expect(error.message).toContain(subject.path);
    expect(error.message).not.toContain(leak);
    expect((error as { cause?: unknown }).cause).toBeUndefined();
  });

  test('STS AccessDenied is a plain UnauthorizedError, never an AccessDeniedError', () => {
    const error = awsError(sdkError('AccessDenied', 403), subject);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).not.toBeInstanceOf(AccessDeniedError);
  });

  test('real SDK exception classes map by name', () => {
    const error = new ResourceNotFoundException({ message: leak, $metadata: { httpStatusCode: 400 } });
    expect(awsError(error, subject)).toBeInstanceOf(NotFoundError);
  });

  test('network failures, timeouts and unknown 5xx are Unavailable; unknown 4xx are InvalidRef', () => {
    expect(awsError(sdkError('Error', undefined, { code: 'ECONNREFUSED' }), subject)).toBeInstanceOf(
      UnavailableError,
    );
    expect(
      (awsError(sdkError('Error', undefined, { code: 'ECONNREFUSED' }), subject) as Error).message,
    ).toContain('ECONNREFUSED');
    expect(awsError(sdkError('TimeoutError'), subject)).toBeInstanceOf(UnavailableError);
    expect(awsError(sdkError('SomethingNew', 502), subject)).toBeInstanceOf(UnavailableError);
    expect(awsError(sdkError('SomethingNew', 400), subject)).toBeInstanceOf(InvalidRefError);
    expect(awsError(sdkError('Weird name with spaces', 503), subject)).toBeInstanceOf(UnavailableError);
    expect((awsError(sdkError('Weird name with spaces', 503), subject) as Error).message).not.toContain(
      'Weird',
    );
    expect(awsError('a string', subject)).toBeInstanceOf(UnavailableError);
  });

  test('an error body the SDK could not parse keeps only its HTTP status', () => {
    const error = awsError(sdkError('SyntaxError', 403), subject) as Error;
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).not.toBeInstanceOf(AccessDeniedError);
    expect(error.message).toContain('HTTP 403');
    expect(error.message).not.toContain('SyntaxError');
  });

  test('the default chain finding nothing is a CredentialsUnavailableError', () => {
    expect(awsError(sdkError('CredentialsProviderError'), subject)).toBeInstanceOf(
      CredentialsUnavailableError,
    );
  });

  test('provider errors pass through and an aborted call yields the signal reason', () => {
    const own = new UnauthorizedError(subject, 'from our credential provider');
    expect(awsError(own, subject)).toBe(own);
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    expect(awsError(sdkError('AbortError'), subject, controller.signal)).toBe(reason);
  });
});

test('an unknown error code is named only when shaped like an AWS exception name: a backend may quote a value or token back as the code', () => {
  // What an echoing endpoint did in e2e/security/no-leaks.e2e.test.ts: the session token it was
  // sent, returned as x-amzn-errortype; and a generated value written, returned as __type.
  const echoed = 'V0a1b2c3d4e5f60718293a4b5c6d7e8f9';
  const errors = [
    awsError(sdkError(echoed, 400), subject),
    awsError(sdkError(echoed, 503), subject),
    awsError(sdkError(echoed, undefined, { $fault: 'server' }), subject),
    awsError(sdkError(echoed), subject),
    errorFromCode(echoed, subject),
  ] as Error[];
  for (const error of errors) expect(error.message).not.toContain(echoed);
  expect((awsError(sdkError('SomethingNewException', 400), subject) as Error).message).toContain(
    'SomethingNewException',
  );
  expect(errorFromCode('SomethingNewException', subject).message).toContain('SomethingNewException');
});

describe('errorFromCode', () => {
  test('batch item codes map like call errors; an unsafe code is not echoed', () => {
    expect(errorFromCode('ResourceNotFoundException', subject)).toBeInstanceOf(NotFoundError);
    expect(errorFromCode('AccessDeniedException', subject)).toBeInstanceOf(AccessDeniedError);
    expect(errorFromCode('DecryptionFailure', subject)).toBeInstanceOf(UnauthorizedError);
    const unknown = errorFromCode(`${leak} <script>`, subject);
    expect(unknown).toBeInstanceOf(UnavailableError);
    expect(unknown.message).not.toContain(leak);
  });
});
