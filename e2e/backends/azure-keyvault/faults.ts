// Fault hooks and request counts for tests: "throttle the next N requests",
// "fail the next N with 503", and how many requests of each operation arrived,
// so a test can prove a client retried (or did not call at all).
import { KeyVaultError } from './errors.js';
import { isObject } from './http.js';

export interface Fault {
  readonly kind: 'throttle' | 'error';
  remaining: number;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  /** Operation names or prefixes ending in "." ("secrets."); undefined = every vault data-plane operation. */
  readonly operations?: readonly string[];
}

export class FaultInputError extends Error {}

export function parseFault(input: unknown): Fault {
  if (!isObject(input)) throw new FaultInputError('a fault must be an object');
  const { kind, count, status, retryAfterSeconds, operations } = input;
  if (kind !== 'throttle' && kind !== 'error')
    throw new FaultInputError('fault.kind must be "throttle" or "error"');
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
    throw new FaultInputError('fault.count must be a positive integer');
  if (
    operations !== undefined &&
    (!Array.isArray(operations) || !operations.every((o) => typeof o === 'string'))
  )
    throw new FaultInputError('fault.operations must be an array of operation names');
  if (kind === 'throttle') {
    const seconds = retryAfterSeconds ?? 1;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0)
      throw new FaultInputError('fault.retryAfterSeconds must be a non-negative integer');
    return {
      kind,
      remaining: count,
      status: 429,
      retryAfterSeconds: seconds,
      ...(operations ? { operations } : {}),
    };
  }
  const code = status ?? 503;
  if (typeof code !== 'number' || code < 500 || code > 599)
    throw new FaultInputError('fault.status must be a 5xx status');
  return { kind, remaining: count, status: code, ...(operations ? { operations } : {}) };
}

const matches = (fault: Fault, operation: string, dataPlane: boolean): boolean =>
  fault.operations === undefined
    ? dataPlane
    : fault.operations.some((o) => (o.endsWith('.') ? operation.startsWith(o) : o === operation));

export class FaultInjector {
  #faults: Fault[] = [];

  add(fault: Fault): void {
    this.#faults.push(fault);
  }

  clear(): void {
    this.#faults = [];
  }

  pending(): Fault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /** The error to answer `operation` with instead of serving it, consuming one count of the first matching fault. */
  take(operation: string, dataPlane: boolean): KeyVaultError | undefined {
    const fault = this.#faults.find((f) => f.remaining > 0 && matches(f, operation, dataPlane));
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.#faults = this.#faults.filter((f) => f.remaining > 0);
    if (fault.kind === 'throttle')
      return new KeyVaultError(
        429,
        'Throttled',
        'Request was not processed because too many requests were received. Reason: A generic throttling limit was exceeded (injected by the test server).',
        undefined,
        { 'retry-after': String(fault.retryAfterSeconds ?? 1) },
      );
    return fault.status === 503
      ? new KeyVaultError(
          503,
          'ServiceUnavailable',
          'The service is unavailable (injected by the test server).',
        )
      : new KeyVaultError(
          fault.status,
          'InternalServerError',
          'An internal server error occurred (injected by the test server).',
        );
  }
}

export class RequestCounter {
  #counts = new Map<string, number>();

  increment(name: string): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.#counts.clear();
  }
}
