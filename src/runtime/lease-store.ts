// Lease I/O behind a small interface, so the election logic is tested with a fake store and a fake
// clock while this implementation runs against the real API server in e2e.
import { ApiException, V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { safeErrorMessage } from './logger.js';

export interface LeaseKey {
  namespace: string;
  name: string;
}

export interface LeaseSpec {
  /** '' when nobody holds the lease. */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: Date;
  renewTime?: Date;
  leaseTransitions: number;
}

export interface LeaseRecord extends LeaseSpec {
  /** Sent back on update, so a write based on a stale read fails instead of overwriting another holder. */
  resourceVersion: string;
}

export interface LeaseStore {
  get(key: LeaseKey): Promise<LeaseRecord | undefined>;
  /** Throws LeaseConflictError if the lease already exists. */
  create(key: LeaseKey, spec: LeaseSpec): Promise<LeaseRecord>;
  /** Throws LeaseConflictError if the lease changed since `record` was read. */
  update(key: LeaseKey, record: LeaseRecord): Promise<LeaseRecord>;
}

/** Another writer got there first: the lease exists already, or changed since it was read. */
export class LeaseConflictError extends Error {
  readonly reason = 'Conflict';

  constructor(key: LeaseKey, operation: 'create' | 'update') {
    super(`lease ${key.namespace}/${key.name}: ${operation} conflicted with another writer`);
    this.name = 'LeaseConflictError';
  }
}

export type LeaseOperation = 'get' | 'create' | 'update';

/**
 * A Lease request that failed other than by a conflict: the API server refused it (statusCode) or
 * it never got an answer. The message is the API server's, with what to do about the usual causes.
 */
export class LeaseRequestError extends Error {
  readonly reason = 'LeaseRequestFailed';

  constructor(
    readonly lease: LeaseKey,
    readonly operation: LeaseOperation,
    readonly statusCode: number | undefined,
    detail: string,
  ) {
    super(detail + remedy(lease, operation, statusCode));
    this.name = 'LeaseRequestError';
  }
}

function remedy(lease: LeaseKey, operation: LeaseOperation, statusCode: number | undefined): string {
  // A create answered 404 is about the namespace: the Lease itself is what it would create.
  if (operation === 'create' && statusCode === 404) {
    return ` — create it (kubectl create namespace ${lease.namespace}) or pass --leader-election-namespace`;
  }
  if (statusCode === 403) {
    return (
      ` — grant get, create and update on leases in namespace ${lease.namespace} ` +
      '(config/rbac/leader_election_role.yaml) or pass --leader-election-namespace'
    );
  }
  return '';
}

export type LeaseApi = Pick<
  CoordinationV1Api,
  'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'
>;

/** LeaseStore on coordination.k8s.io/v1 through @kubernetes/client-node. */
export class KubernetesLeaseStore implements LeaseStore {
  readonly #api: LeaseApi;

  constructor(api: LeaseApi) {
    this.#api = api;
  }

  async get(key: LeaseKey): Promise<LeaseRecord | undefined> {
    try {
      return fromLease(await this.#api.readNamespacedLease(key));
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw requestError(key, 'get', error);
    }
  }

  async create(key: LeaseKey, spec: LeaseSpec): Promise<LeaseRecord> {
    try {
      return fromLease(
        await this.#api.createNamespacedLease({ namespace: key.namespace, body: toLease(key, spec) }),
      );
    } catch (error) {
      if (statusCode(error) === 409) throw new LeaseConflictError(key, 'create');
      throw requestError(key, 'create', error);
    }
  }

  async update(key: LeaseKey, record: LeaseRecord): Promise<LeaseRecord> {
    try {
      const body = toLease(key, record, record.resourceVersion);
      return fromLease(await this.#api.replaceNamespacedLease({ ...key, body }));
    } catch (error) {
      if (statusCode(error) === 409) throw new LeaseConflictError(key, 'update');
      throw requestError(key, 'update', error);
    }
  }
}

function toLease(key: LeaseKey, spec: LeaseSpec, resourceVersion?: string): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...key, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
    spec: {
      holderIdentity: spec.holderIdentity,
      leaseDurationSeconds: spec.leaseDurationSeconds,
      leaseTransitions: spec.leaseTransitions,
      // MicroTime: the API server rejects timestamps without exactly six fractional digits.
      ...(spec.acquireTime ? { acquireTime: new V1MicroTime(spec.acquireTime.getTime()) } : {}),
      ...(spec.renewTime ? { renewTime: new V1MicroTime(spec.renewTime.getTime()) } : {}),
    },
  };
}

function fromLease(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  const record: LeaseRecord = {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    leaseTransitions: spec.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion ?? '',
  };
  const acquireTime = toDate(spec.acquireTime);
  const renewTime = toDate(spec.renewTime);
  if (acquireTime) record.acquireTime = acquireTime;
  if (renewTime) record.renewTime = renewTime;
  return record;
}

// client-node types MicroTime as a Date but hands back the raw string it read.
function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string' || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function requestError(key: LeaseKey, operation: LeaseOperation, error: unknown): LeaseRequestError {
  return new LeaseRequestError(
    key,
    operation,
    statusCode(error),
    statusMessage(error) ?? safeErrorMessage(error),
  );
}

/** The message of the Kubernetes Status an ApiException carries (client-node 2.x: a JSON string). */
function statusMessage(error: unknown): string | undefined {
  if (!(error instanceof ApiException)) return undefined;
  let body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

function statusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
