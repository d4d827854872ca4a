import {
  errorFromHttpStatus,
  InvalidRefError,
  NotFoundError,
  parseRetryAfter,
  ThrottledError,
  UnauthorizedError,
  UnavailableError,
} from './errors.js';
import { isRetryable, type Reason } from '../api/v1alpha1/reasons.js';

const subject = { provider: 'ClusterSecretProvider vault-prod', path: 'secret/data/payments/db' };

describe('errorFromHttpStatus', () => {
  test.each([
    [404, NotFoundError, 'RemoteNotFound', false],
    [401, UnauthorizedError, 'AuthFailed', false],
    [403, UnauthorizedError, 'AuthFailed', false],
    [429, ThrottledError, 'Throttled', true],
    [400, InvalidRefError, 'InvalidRef', false],
    [405, InvalidRefError, 'InvalidRef', false],
    [500, UnavailableError, 'Unavailable', true],
    [502, UnavailableError, 'Unavailable', true],
    [503, UnavailableError, 'Unavailable', true],
    [409, UnavailableError, 'Unavailable', true],
  ])('HTTP %i is %p', (status, type, reason, transient) => {
    const error = errorFromHttpStatus({ status }, subject);
    expect(error).toBeInstanceOf(type);
    expect(error.reason).toBe(reason);
    expect(error.transient).toBe(transient);
    expect(error.retryable).toBe(isRetryable(reason as Reason));
    expect(error.provider).toBe(subject.provider);
    expect(error.path).toBe(subject.path);
  });

  test('429 carries Retry-After', () => {
    const error = errorFromHttpStatus({ status: 429, retryAfterMs: 2000 }, subject);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBe(2000);
  });

  test('messages name the provider and the path, and carry no cause', () => {
    const error = errorFromHttpStatus({ status: 404 }, subject);
    expect(error.message).toBe(
      'ClusterSecretProvider vault-prod: remote secret not found (path "secret/data/payments/db")',
    );
    expect(error.name).toBe('NotFoundError');
    expect(error.cause).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  test('seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter('0.5', 0)).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});
