// The outcome of a reconcile in status and Events: Ready=True with what was synced, the leases a
// renewal recorded, or Ready=False with the failure's reason. Quiet refreshes stay quiet: a sync
// that changed nothing writes status only at a checkpoint (docs/adr/0014).
import type { SecretSource, SecretSourceStatus, ResolvedSecretSourceSpec } from '../../api/v1alpha1/index.js';
import { FORCE_SYNC_ANNOTATION } from '../../api/v1alpha1/names.js';
import { findCondition, setCondition } from '../../kube/conditions.js';
import type { InvolvedObject } from '../../kube/events.js';
import { kubeErrorMessage } from '../../kube/kube-error.js';
import type { ProviderObject } from '../../providers/client-cache.js';
import type { ProviderWarning } from '../../providers/types.js';
import type { LeaseReport } from '../lease-sync.js';
import { involved, type ReconcileContext, type ReconcileDeps, type SyncContext } from './context.js';
import type { SyncFailure } from './failure.js';
import { forceSyncRecord } from './trigger.js';
import type { Written } from './write.js';

/** Provider warnings quoted in the Ready message; the rest are counted (each has its Event). */
const MAX_WARNINGS_IN_MESSAGE = 3;

/** Ready=True after a sync: what it wrote (or found current), from which provider. */
export async function reportSynced(
  ctx: SyncContext,
  provider: ProviderObject,
  { content, fingerprint, result }: Written,
  warnings: readonly ProviderWarning[],
  leases?: LeaseReport,
): Promise<void> {
  const { deps, key, source, spec } = ctx;
  const { namespace, name } = source.metadata;
  const now = new Date(deps.clock.now());
  const previous = source.status;
  const message = `${readyMessage(content.data.size, `${provider.kind}/${provider.name}`, leases)}${warningNote(warnings)}`;
  // Synced, with warnings (e.g. an expired version the backend still serves): one Warning Event
  // each when the note first appears or changes, so quiet refreshes stay quiet (docs/adr/0015).
  if (warnings.length > 0 && findCondition(previous?.conditions, 'Ready')?.message !== message) {
    for (const warning of warnings) {
      deps.events.record(involved(source), 'Warning', warning.reason, warning.message);
    }
  }
  const status: SecretSourceStatus = {
    conditions: setCondition(
      previous?.conditions,
      {
        type: 'Ready',
        status: 'True',
        reason: 'Synced',
        message,
        observedGeneration: source.metadata.generation,
      },
      now,
    ),
    observedGeneration: source.metadata.generation,
    lastSyncTime:
      result === 'unchanged' && previous?.lastSyncTime ? previous.lastSyncTime : now.toISOString(),
    syncedHash: fingerprint,
    targetName: spec.target.name,
    syncedKeys: content.data.size,
    provider: `${provider.kind}/${provider.name}`,
    lastForceSync: forceSyncRecord(source.metadata.annotations?.[FORCE_SYNC_ANNOTATION]),
    ...(content.certificate ? { certificateNotAfter: content.certificate.notAfter.toISOString() } : {}),
    ...(leases ? { leases: leases.leases, replacedLeases: leases.replacedLeases } : {}),
  };
  deps.metrics?.certificateNotAfter?.(namespace, name, content.certificate?.notAfter);
  if (result === 'unchanged' && !statusChanged(previous, status)) {
    // A refresh that found nothing new writes no Secret and no Event, and between checkpoints
    // nothing at all; at a checkpoint only the two times (docs/adr/0014).
    if (!deps.schedule.checkpointDue(key)) return;
    await patchStatus(ctx, refreshTimes(deps, key, now));
    return;
  }
  Object.assign(status, refreshTimes(deps, key, now));
  // null removes what an earlier sync recorded and this one has not: a certificate's notAfter,
  // leases of dynamic credentials (the status write is a merge patch).
  const dropped = (['certificateNotAfter', 'leases', 'replacedLeases'] as const).filter(
    (field) => previous?.[field] !== undefined && status[field] === undefined,
  );
  await deps.kube.patchSecretSourceStatus(namespace, name, {
    ...status,
    ...Object.fromEntries(dropped.map((field) => [field, null])),
  });
  deps.ownWrites.recordStatus(key, source.metadata.uid, source.metadata.generation, {
    ...previous,
    ...status,
  });
}

/**
 * A renewal (or revocation) writes no Secret: status records the leases, the Ready message the
 * new expiry, and the refresh times (the next renewal is the next checkpoint).
 */
export async function reportLeases(rc: ReconcileContext, leases: LeaseReport): Promise<void> {
  const { deps, key, source } = rc;
  const now = new Date(deps.clock.now());
  const previous = source.status;
  const ready = findCondition(previous?.conditions, 'Ready');
  await patchStatus(rc, {
    conditions: setCondition(
      previous?.conditions,
      {
        type: 'Ready',
        status: 'True',
        reason: ready?.reason ?? 'Synced',
        message: readyMessage(previous?.syncedKeys ?? 0, previous?.provider ?? '', leases),
        observedGeneration: source.metadata.generation,
      },
      now,
    ),
    leases: leases.leases,
    replacedLeases: leases.replacedLeases,
    ...refreshTimes(deps, key, now),
  });
}

/** Writes a status patch, and remembers it until the informer shows it. */
async function patchStatus(
  { deps, key, source }: ReconcileContext,
  patch: SecretSourceStatus,
): Promise<void> {
  const { namespace, name, uid, generation } = source.metadata;
  await deps.kube.patchSecretSourceStatus(namespace, name, patch);
  deps.ownWrites.recordStatus(key, uid, generation, { ...source.status, ...patch });
}

/**
 * Ready=False with the failure's reason and message, a Warning Event and a log line. The status
 * is written only when it says something new; a failed status write is logged, never thrown
 * (the failure itself is what the caller reports and retries).
 */
export async function reportFailure(
  deps: ReconcileDeps,
  source: SecretSource | InvolvedObject,
  spec: ResolvedSecretSourceSpec | undefined,
  failure: SyncFailure,
  observed?: { status?: SecretSourceStatus; generation?: number },
): Promise<void> {
  const object = 'metadata' in source ? involved(source) : source;
  const status = 'metadata' in source ? source.status : observed?.status;
  const generation = 'metadata' in source ? source.metadata.generation : observed?.generation;
  const key = `${object.namespace}/${object.name}`;
  deps.events.record(object, 'Warning', failure.reason, failure.message);
  deps.logger.warn({ secretSource: key, reason: failure.reason, detail: failure.message }, 'sync failed');
  const ready = findCondition(status?.conditions, 'Ready');
  if (ready?.status === 'False' && ready.reason === failure.reason && ready.message === failure.message)
    return;
  const now = new Date(deps.clock.now());
  try {
    const patch = {
      conditions: setCondition(
        status?.conditions,
        {
          type: 'Ready',
          status: 'False',
          reason: failure.reason,
          message: failure.message,
          observedGeneration: generation,
        },
        now,
      ),
      observedGeneration: generation,
      ...(spec ? { targetName: spec.target.name } : {}),
    };
    await deps.kube.patchSecretSourceStatus(object.namespace!, object.name, patch);
    deps.ownWrites.recordStatus(key, object.uid, generation, { ...status, ...patch });
  } catch (error) {
    deps.logger.warn({ secretSource: key, detail: kubeErrorMessage(error) }, 'status update failed');
  }
}

/** The refresh a status write records, and the checkpoint it announces. */
function refreshTimes(
  deps: ReconcileDeps,
  key: string,
  now: Date,
): { lastRefreshTime: string; nextRefreshTime: string } {
  return {
    lastRefreshTime: now.toISOString(),
    nextRefreshTime: new Date(deps.schedule.announce(key)).toISOString(),
  };
}

/** The Ready message's note on provider warnings: the first few, and how many more. */
function warningNote(warnings: readonly ProviderWarning[]): string {
  if (warnings.length === 0) return '';
  const shown = warnings.slice(0, MAX_WARNINGS_IN_MESSAGE).map((warning) => warning.message);
  const more = warnings.length - shown.length;
  return `; warning: ${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

function statusChanged(previous: SecretSourceStatus | undefined, next: SecretSourceStatus): boolean {
  if (!previous) return true;
  const ready = (s: SecretSourceStatus | undefined) => {
    const c = findCondition(s?.conditions, 'Ready');
    return c ? [c.status, c.reason, c.message, c.observedGeneration] : [];
  };
  return (
    JSON.stringify(ready(previous)) !== JSON.stringify(ready(next)) ||
    previous.observedGeneration !== next.observedGeneration ||
    previous.syncedHash !== next.syncedHash ||
    previous.targetName !== next.targetName ||
    previous.syncedKeys !== next.syncedKeys ||
    previous.provider !== next.provider ||
    previous.lastForceSync !== next.lastForceSync ||
    JSON.stringify([previous.leases, previous.replacedLeases]) !==
      JSON.stringify([next.leases, next.replacedLeases])
  );
}

/** The Ready message of a synced SecretSource; with dynamic credentials, when they expire. */
function readyMessage(keys: number, provider: string, leases: LeaseReport | undefined): string {
  const expiry = leases?.expiresAt ? `; the credentials expire at ${leases.expiresAt.toISOString()}` : '';
  return `${keys} keys from ${provider}${expiry}`;
}
