// Whether a reconcile syncs, and why: decided from the object, its status and the live Secret,
// without a fetch.
import { createHash } from 'node:crypto';
import { MAX_LAST_FORCE_SYNC_LENGTH } from '../../api/v1alpha1/index.js';
import {
  FORCE_SYNC_ANNOTATION,
  LEGACY_SECRET_FIELD_MANAGER,
  MANAGED_LABEL,
  SOURCE_ANNOTATION,
} from '../../api/v1alpha1/names.js';
import { findCondition } from '../../kube/conditions.js';
import { ownedSecretFields, withoutLegacyFields } from '../../kube/managed-fields.js';
import { isFingerprint } from '../../secrets/fingerprint.js';
import { secretFieldManager } from '../../secrets/field-manager.js';
import type { LiveSecret } from '../ports.js';
import type { ReconcileContext, SyncTrigger } from './context.js';

/** Why `live` must be synced now, or undefined when it is current. */
export function syncTrigger(rc: ReconcileContext, live: LiveSecret | undefined): SyncTrigger | undefined {
  const { source, spec } = rc;
  const status = source.status;
  if (status?.observedGeneration !== source.metadata.generation) return 'spec-changed';
  const force = source.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
  if (force !== undefined && forceSyncRecord(force) !== status?.lastForceSync) return 'force-sync';
  const ready = findCondition(status?.conditions, 'Ready');
  if (ready?.status !== 'True') return 'spec-changed';
  if (live === undefined) return 'target-missing';
  const policy = spec.refresh.policy;
  // CreatedOnce: written once, then the Secret is its users' (only a deleted one is recreated).
  if (policy === 'CreatedOnce') return undefined;
  const manager = secretFieldManager(source.metadata.name);
  const merge = spec.target.creationPolicy === 'Merge';
  if (
    !isFingerprint(status?.syncedHash) ||
    withoutLegacyFields(live.metadata?.managedFields, LEGACY_SECRET_FIELD_MANAGER, manager, !merge)
  ) {
    return 'upgrade';
  }
  if (drifted(rc, live, manager)) return 'drift';
  if (policy === 'OnChange') return undefined;
  return rc.deps.schedule.isDue(rc.key, spec.refresh, status) ? 'refresh-due' : undefined;
}

/**
 * Drift, judged without a fetch: the keys our field manager owns no longer fingerprint to what
 * status says we wrote (a key of ours edited or removed by hand), or a mark that makes the
 * Secret ours is gone. Keys and fields other managers own are not ours and are left alone
 * (docs/adr/0010-field-manager-per-secretsource.md).
 */
function drifted({ deps, source, spec }: ReconcileContext, live: LiveSecret, manager: string): boolean {
  const metadata = live.metadata ?? {};
  if (metadata.labels?.[MANAGED_LABEL] !== 'true') return true;
  if (spec.target.creationPolicy !== 'Merge' && metadata.annotations?.[SOURCE_ANNOTATION] === undefined) {
    return true;
  }
  const owned = ownedSecretFields(metadata.managedFields, manager);
  const target = { namespace: source.metadata.namespace, name: spec.target.name };
  return deps.fingerprint.ofLive(target, live, owned.data) !== source.status?.syncedHash;
}

/**
 * How status.lastForceSync records a force-sync value: verbatim when it fits the field, else its
 * digest (the annotation is no secret), so a long value cannot make every status write fail.
 */
export function forceSyncRecord(value: string | undefined): string | undefined {
  if (value === undefined || value.length <= MAX_LAST_FORCE_SYNC_LENGTH) return value;
  return `sha256:${createHash('sha256').update(value).digest('hex')}`;
}
