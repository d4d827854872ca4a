// Our finalizer: added only where deletionPolicy needs work when the SecretSource goes away, and
// removed once that work is done (finalization) — also for an object that no longer parses, so
// the finalizer never traps it.
import type { ResolvedSecretSourceSpec } from '../../api/v1alpha1/index.js';
import type { SecretSourceStatus } from '../../api/v1alpha1/index.js';
import { API_VERSION, FINALIZER, SOURCE_ANNOTATION } from '../../api/v1alpha1/names.js';
import type { InvolvedObject } from '../../kube/events.js';
import { kubeErrorMessage } from '../../kube/kube-error.js';
import { hasApplyEntry } from '../../kube/managed-fields.js';
import { secretFieldManager } from '../../secrets/field-manager.js';
import type { ReconcileResult } from '../ports.js';
import { involved, type ReconcileContext, type ReconcileDeps } from './context.js';
import { SyncFailure, toSyncFailure, writing } from './failure.js';
import { readSecret } from './live-target.js';
import { reportFailure } from './report.js';

export function needsFinalizer(spec: ResolvedSecretSourceSpec): boolean {
  const { creationPolicy, deletionPolicy } = spec.target;
  // Owner + Retain: drop the ownerReference before garbage collection would delete the Secret.
  // Orphan/Merge + Delete: nothing else would delete the Secret or our keys.
  if (creationPolicy === 'Owner') return deletionPolicy === 'Retain';
  return deletionPolicy === 'Delete';
}

export async function ensureFinalizer({ deps, source, spec }: ReconcileContext): Promise<void> {
  const wanted = needsFinalizer(spec);
  const present = source.metadata.finalizers?.includes(FINALIZER) ?? false;
  if (wanted !== present) await setFinalizer(deps, involved(source), wanted);
}

/** Adds or removes our finalizer; a failed write is a SyncFailure that names it. */
async function setFinalizer(deps: ReconcileDeps, identity: InvolvedObject, present: boolean): Promise<void> {
  const { namespace, name, uid } = identity;
  try {
    await deps.kube.setFinalizer(namespace!, name, FINALIZER, present, uid);
  } catch (error) {
    const verb = present ? 'adding' : 'removing';
    throw new SyncFailure('SyncFailed', `${verb} finalizer ${FINALIZER}: ${kubeErrorMessage(error)}`);
  }
  deps.ownWrites.recordFinalizer(`${namespace}/${name}`, uid, present);
}

/** What deletionPolicy asks for when the SecretSource goes away, then lets it go. */
export async function finalize(rc: ReconcileContext): Promise<ReconcileResult> {
  const { deps, key, source, spec } = rc;
  deps.schedule.forget(key);
  if (!source.metadata.finalizers?.includes(FINALIZER)) return {};
  try {
    await letGoOfTarget(rc);
    await setFinalizer(deps, involved(source), false);
    return {};
  } catch (error) {
    // The finalizer stays until its work is done: the failure is reported, and retried.
    const failure = toSyncFailure(error);
    await reportFailure(deps, source, spec, failure);
    return failure.retryable ? { retry: true } : {};
  }
}

/** Deletes the Secret (or our keys of it) or releases it, as deletionPolicy says, if it is ours. */
async function letGoOfTarget({ deps, source, spec }: ReconcileContext): Promise<void> {
  const { namespace, name, uid } = source.metadata;
  const target = spec.target.name;
  const live = await readSecret(deps, namespace, target);
  const { creationPolicy } = spec.target;
  const manager = secretFieldManager(name);
  const ours =
    creationPolicy === 'Merge'
      ? hasApplyEntry(live?.metadata?.managedFields, manager)
      : live?.metadata?.annotations?.[SOURCE_ANNOTATION] === name;
  if (!live || !ours) return;
  if (spec.target.deletionPolicy === 'Delete') {
    if (creationPolicy === 'Merge') {
      // Applying nothing as our field manager removes exactly the fields we own, and no one else's.
      await writing(`removing our keys from Secret ${target}`, () =>
        deps.kube.applySecret(
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: target, namespace, labels: {}, annotations: {} },
            data: {},
          },
          manager,
        ),
      );
    } else {
      await writing(`deleting Secret ${target}`, () =>
        deps.kube.deleteSecret(namespace, target, live.metadata!.uid!),
      );
    }
    deps.events.record(
      involved(source),
      'Normal',
      'Deleted',
      `Deleted Secret ${target} (deletionPolicy Delete)`,
    );
  } else {
    await writing(`releasing Secret ${target}`, () => deps.kube.releaseSecret(namespace, target, uid ?? ''));
    deps.events.record(
      involved(source),
      'Normal',
      'Retained',
      `Kept Secret ${target} (deletionPolicy Retain)`,
    );
  }
}

/**
 * A stored object that no longer parses (e.g. written before a CRD upgrade):
 * report it, and still let it be deleted — the finalizer must not trap it.
 */
export async function unparseable(
  deps: ReconcileDeps,
  raw: unknown,
  message: string,
): Promise<ReconcileResult> {
  const identity = rawIdentity(raw);
  const metadata = (raw as { metadata?: { deletionTimestamp?: unknown; finalizers?: unknown } }).metadata;
  const finalizers = Array.isArray(metadata?.finalizers) ? (metadata.finalizers as unknown[]) : [];
  if (metadata?.deletionTimestamp) {
    if (!finalizers.includes(FINALIZER)) return {};
    try {
      await setFinalizer(deps, identity, false);
      return {};
    } catch (error) {
      await reportFailure(deps, identity, undefined, toSyncFailure(error), rawStatus(raw));
      return { retry: true };
    }
  }
  await reportFailure(deps, identity, undefined, new SyncFailure('InvalidSpec', message), rawStatus(raw));
  return {};
}

function rawStatus(raw: unknown): { status?: SecretSourceStatus; generation?: number } {
  const object = raw as { status?: SecretSourceStatus; metadata?: { generation?: number } };
  return { status: object.status, generation: object.metadata?.generation };
}

function rawIdentity(raw: unknown): InvolvedObject {
  const metadata = (raw as { metadata?: { name?: string; namespace?: string; uid?: string } }).metadata ?? {};
  return {
    apiVersion: API_VERSION,
    kind: 'SecretSource',
    name: metadata.name ?? '',
    namespace: metadata.namespace,
    uid: metadata.uid,
  };
}
