// What the phases of a SecretSource reconcile share: the reconciler's ports and state
// (ReconcileDeps), the SecretSource being reconciled (ReconcileContext) and, once it is known
// that values must be fetched, why and over which live Secret (SyncContext). Each phase
// (trigger, live-target, rotate, fetch, write, report, leases, finalize) is a set of functions
// of these, so no phase takes a long list of positional parameters.
import type { ResolvedSecretSourceSpec, SecretSource } from '../../api/v1alpha1/index.js';
import { API_VERSION } from '../../api/v1alpha1/names.js';
import type { Clock } from '../../kube/clock.js';
import type { EventRecorder, InvolvedObject } from '../../kube/events.js';
import type { CoalescingReader } from '../../providers/read-coalescer.js';
import type { ContentFingerprint } from '../../secrets/fingerprint.js';
import type { LeaseSync } from '../lease-sync.js';
import type { OwnWrites } from '../own-writes.js';
import type {
  KubeGateway,
  LiveSecret,
  ProviderClients,
  ReconcileLogger,
  Store,
  SyncMetrics,
} from '../ports.js';
import type { ProviderResolver } from '../provider-resolver.js';
import type { RefreshSchedule } from '../refresh-schedule.js';

export interface SecretSourceReconcilerOptions {
  sources: Store<unknown>;
  managedSecrets: Store<LiveSecret>;
  providers: ProviderResolver;
  kube: KubeGateway;
  clients: ProviderClients;
  reader: CoalescingReader;
  events: EventRecorder;
  logger: ReconcileLogger;
  metrics?: SyncMetrics;
  /** Keyed fingerprints of Secret content (status.syncedHash, the content-hash annotation). */
  fingerprint: ContentFingerprint;
  clock: Clock;
  random: () => number;
}

/** The ports, and the state the reconciler keeps across reconciles. */
export interface ReconcileDeps extends SecretSourceReconcilerOptions {
  readonly schedule: RefreshSchedule;
  readonly ownWrites: OwnWrites;
  readonly leases: LeaseSync;
}

/** One reconcile of one parsed SecretSource. */
export interface ReconcileContext {
  readonly deps: ReconcileDeps;
  /** `namespace/name` */
  readonly key: string;
  readonly source: SecretSource;
  readonly spec: ResolvedSecretSourceSpec;
  readonly signal: AbortSignal;
}

/**
 * Why values are fetched now; none means the Secret is current. `upgrade`: the Secret or the
 * status was written by an older version (shared field manager, unkeyed fingerprint) and is
 * rewritten once, with the same values.
 */
export type SyncTrigger =
  'spec-changed' | 'force-sync' | 'target-missing' | 'drift' | 'upgrade' | 'refresh-due';

/** A reconcile that syncs: the Secret as it is now (undefined: none yet), and why it syncs. */
export interface SyncContext extends ReconcileContext {
  readonly live: LiveSecret | undefined;
  readonly trigger: SyncTrigger;
}

export function involved(source: SecretSource): InvolvedObject {
  return {
    apiVersion: API_VERSION,
    kind: 'SecretSource',
    name: source.metadata.name,
    namespace: source.metadata.namespace,
    uid: source.metadata.uid,
  };
}
