// The one shape a failed reconcile takes: a SyncFailure, with a reason from the reasons table.
// Every error a phase throws becomes one here (toSyncFailure), and report.ts turns it into
// Ready=False, a Warning Event and a log line.
import { isReason, isRetryable, type Reason } from '../../api/v1alpha1/reasons.js';
import { kubeErrorMessage } from '../../kube/kube-error.js';
import { ProviderError } from '../../providers/errors.js';
import { ProviderResolutionError } from '../provider-resolver.js';

/** A failed sync: its reason, and whether it is retried is the reason's (the reasons table). */
export class SyncFailure extends Error {
  readonly retryable: boolean;

  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(message);
    this.retryable = isRetryable(reason);
  }
}

export function toSyncFailure(error: unknown): SyncFailure {
  if (error instanceof SyncFailure) return error;
  if (error instanceof ProviderResolutionError || error instanceof ProviderError)
    return new SyncFailure(error.reason, error.message);
  // The errors of src/api, src/secrets and src/rotation name their reason too.
  if (error instanceof Error && 'reason' in error && isReason(error.reason)) {
    return new SyncFailure(error.reason, error.message);
  }
  return new SyncFailure('SyncFailed', kubeErrorMessage(error));
}

/** Runs a Secret write; its failure is WriteFailed, named by `what` and the API server's message. */
export async function writing<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw new SyncFailure('WriteFailed', `${what}: ${kubeErrorMessage(error)}`);
  }
}

export function emptyResult(what: string): SyncFailure {
  return new SyncFailure(
    'EmptyResult',
    `${what}; the Secret is kept as it is (spec.allowEmpty: true accepts an empty result)`,
  );
}
