// The ports of the reconcilers: what they need from the world, as interfaces, so the composition
// root (src/cli/run.ts) plugs in the real ones (informer caches, the provider client cache, the
// API server, pino, Prometheus) and the unit tests plug in fakes (testing/fakes.ts). The manager,
// runtime/ and cli/ import these, never a reconciler's module.
import type { IssueReason } from './lease-plan.js';
import type { ProviderObject } from '../providers/client-cache.js';
import type { ProviderClient } from '../providers/types.js';
import type { AppliedSecret } from '../secrets/target.js';
import type { ManagedFieldsEntry } from '../kube/managed-fields.js';

/** What a sync did to the Secret: created it, changed it, or found it holding the content already. */
export type SyncResult = 'created' | 'updated' | 'unchanged';

export interface ReconcileResult {
  /** Retry with the queue's per-key backoff (a transient failure). */
  retry?: boolean;
  /** Run again after this long (the next scheduled refresh). */
  requeueAfterMs?: number;
}

/** An informer's cache, by `namespace/name` (or `name`). */
export interface Store<T> {
  get(key: string): T | undefined;
}

export interface ReconcileLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface LeaseMetrics {
  /** One lease renewal: renewed, max_ttl (granted less than asked: replaced next) or error. */
  leaseRenewal?(result: 'renewed' | 'max_ttl' | 'error'): void;
  /** New credentials issued for every entry of a SecretSource, or an issue that failed. */
  dynamicIssue?(reason: IssueReason, result: 'issued' | 'error'): void;
  /** A replaced lease revoked (or found gone already), or a revocation that failed. */
  leaseRevocation?(result: 'revoked' | 'error'): void;
  /** When the first of a SecretSource's dynamic credentials expires; undefined removes it. */
  leaseExpiry?(namespace: string, name: string, expiresAt: Date | undefined): void;
}

export interface SyncMetrics extends LeaseMetrics {
  syncFinished(result: SyncResult | 'error', seconds: number): void;
  /** A spec.generate value written to its backend (rotated) or a rotation that failed (error). */
  rotation?(provider: string, result: 'rotated' | 'error'): void;
  /** A restart target patched (restarted), missing (not_found) or failing (error). */
  workloadRestart?(kind: string, result: 'restarted' | 'not_found' | 'error'): void;
  /** The notAfter of the certificate a SecretSource's Secret holds; undefined when it holds none. */
  certificateNotAfter?(namespace: string, name: string, notAfter: Date | undefined): void;
  /** When the queue wakes a SecretSource for its next refresh; undefined when only a change does. */
  nextRefresh?(namespace: string, name: string, at: Date | undefined): void;
}

/** A provider client as the cache hands it out. */
export type AcquiredProviderClient = ProviderClient & {
  readonly key: string;
  readonly providerType: string;
  readonly description: string;
};

export interface ProviderClients {
  acquire(
    provider: ProviderObject,
    /** The SecretSource's namespace; undefined for a provider's own validation. */
    consumerNamespace: string | undefined,
    signal: AbortSignal,
  ): Promise<AcquiredProviderClient>;
}

export type ProviderKind = 'SecretProvider' | 'ClusterSecretProvider';

export interface LiveSecret {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string; apiVersion: string; kind: string; name: string }[];
    managedFields?: ManagedFieldsEntry[];
  };
  type?: string;
  data?: Record<string, string>;
  immutable?: boolean;
}

/** Every Kubernetes call the reconcilers make (kube-gateway.ts over the real API server). */
export interface KubeGateway {
  getSecret(namespace: string, name: string): Promise<LiveSecret | undefined>;
  getConfigMap(namespace: string, name: string): Promise<{ data?: Record<string, string> } | undefined>;
  /**
   * Server-side apply as `fieldManager`; returns the Secret as stored. Without force a field
   * another manager set to a different value is a 409 conflict instead of being taken over.
   */
  applySecret(secret: AppliedSecret, fieldManager: string, options?: { force: boolean }): Promise<LiveSecret>;
  /** Rewrites managedFields (and drops annotations set to null), only if the Secret is still at resourceVersion. */
  patchSecretMetadata(namespace: string, name: string, patch: SecretMetadataPatch): Promise<void>;
  /** Deletes the Secret only if it is still the object with this uid. */
  deleteSecret(namespace: string, name: string, uid: string): Promise<void>;
  /** Drops the ownerReference to `ownerUid`, so garbage collection leaves the Secret alone. */
  releaseSecret(namespace: string, name: string, ownerUid: string): Promise<void>;
  patchSecretSourceStatus(namespace: string, name: string, status: object): Promise<void>;
  /**
   * Sets `annotation` on a workload's pod template, which rolls its pods. Returns false when the
   * workload does not exist (nothing is created).
   */
  restartWorkload(workload: WorkloadRef, annotation: string, value: string): Promise<boolean>;
  patchProviderStatus(
    kind: ProviderKind,
    namespace: string | undefined,
    name: string,
    status: object,
  ): Promise<void>;
  /**
   * Adds (present) or removes our finalizer, leaving other finalizers alone. Only on the object
   * with this uid: when it is gone (a stale cache), nothing is written and nothing is created.
   */
  setFinalizer(
    namespace: string,
    name: string,
    finalizer: string,
    present: boolean,
    uid: string | undefined,
  ): Promise<void>;
}

export interface WorkloadRef {
  namespace: string;
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  name: string;
}

export interface SecretMetadataPatch {
  resourceVersion: string;
  managedFields?: ManagedFieldsEntry[];
  annotations?: Record<string, null>;
}
