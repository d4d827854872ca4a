// build → write: the Secret's content from what was fetched, applied with server-side apply only
// when it differs from the live Secret, then the restart targets rolled when the content changed.
import {
  API_VERSION,
  FINGERPRINT_ANNOTATION,
  LEGACY_SECRET_FIELD_MANAGER,
  ROTATED_AT_ANNOTATION,
} from '../../api/v1alpha1/names.js';
import type { ResolvedSecretSourceSpec } from '../../api/v1alpha1/index.js';
import { kubeErrorMessage } from '../../kube/kube-error.js';
import { withoutLegacyFields } from '../../kube/managed-fields.js';
import { buildSecretContent, type SecretContent } from '../../secrets/content.js';
import { secretFieldManager } from '../../secrets/field-manager.js';
import { isFingerprint } from '../../secrets/fingerprint.js';
import { buildTargetSecret, type AppliedSecret } from '../../secrets/target.js';
import type { Fetched } from '../collect-data.js';
import { secretContentInput } from '../content-input.js';
import type { LiveSecret, SyncResult } from '../ports.js';
import { liveMatches } from '../target-state.js';
import { involved, type ReconcileDeps, type SyncContext } from './context.js';
import { emptyResult, SyncFailure } from './failure.js';

/** What a write left behind: the content, its fingerprint, and whether the Secret changed. */
export interface Written {
  content: SecretContent;
  fingerprint: string;
  result: SyncResult;
}

/** build → write, and the restart targets rolled when the content changed. */
export async function writeContent(ctx: SyncContext, fetched: Fetched, rotatedAt?: string): Promise<Written> {
  const { deps, source, spec } = ctx;
  const content = await build(ctx, fetched);
  const target = { namespace: source.metadata.namespace, name: spec.target.name };
  const fingerprint = deps.fingerprint.of(target, content.type, content.data);
  const result = await write(ctx, desiredSecret(ctx, content, fingerprint, rotatedAt));
  // Before the status records the new fingerprint: a crash in between restarts on the retry.
  if (contentChanged(source.status?.syncedHash, fingerprint)) await restartWorkloads(ctx, fingerprint);
  return { content, fingerprint, result };
}

async function build(
  { deps, key, source, spec, live }: SyncContext,
  fetched: Fetched,
): Promise<SecretContent> {
  const target = spec.target;
  const content = buildSecretContent(
    secretContentInput(spec, fetched, {
      liveType: live?.type,
      templateConfigMap: await templateConfigMap(deps, source.metadata.namespace, spec),
      now: new Date(deps.clock.now()),
    }),
  );
  if (content.data.size === 0 && !spec.allowEmpty)
    throw emptyResult(`Secret ${target.name} would hold no keys`);
  if (content.replacedKeys) {
    // Key names and entry places only: which entry won is worth knowing when a value surprises.
    deps.logger.debug({ secretSource: key, replacedKeys: content.replacedKeys }, 'duplicate keys: last wins');
  }
  if (content.certificate?.expired) {
    deps.events.record(
      involved(source),
      'Warning',
      'CertificateExpired',
      `the certificate in Secret ${target.name} expired at ${content.certificate.notAfter.toISOString()}`,
    );
  }
  return content;
}

/** Templates kept in a ConfigMap of the SecretSource's namespace (target.template.configMapRef). */
async function templateConfigMap(
  deps: ReconcileDeps,
  namespace: string,
  spec: ResolvedSecretSourceSpec,
): Promise<{ name: string; data: Record<string, string> } | undefined> {
  const ref = spec.target.template?.configMapRef;
  if (!ref) return undefined;
  const configMap = await deps.kube.getConfigMap(namespace, ref.name);
  if (!configMap) {
    throw new SyncFailure(
      'InvalidSpec',
      `template ConfigMap ${ref.name} not found in namespace ${namespace}`,
    );
  }
  return { name: ref.name, data: configMap.data ?? {} };
}

function desiredSecret(
  { source, spec }: SyncContext,
  content: SecretContent,
  fingerprint: string,
  rotatedAt: string | undefined,
): AppliedSecret {
  const { name, namespace, uid } = source.metadata;
  const target = spec.target;
  return buildTargetSecret({
    name: target.name,
    namespace,
    type: content.type,
    data: content.data,
    sourceName: name,
    fingerprint,
    merge: target.creationPolicy === 'Merge',
    labels: content.labels,
    annotations: rotatedAt
      ? { ...content.annotations, [ROTATED_AT_ANNOTATION]: rotatedAt }
      : content.annotations,
    owner:
      target.creationPolicy === 'Owner' && uid
        ? { apiVersion: API_VERSION, kind: 'SecretSource', name, uid }
        : undefined,
    immutable: target.immutable,
  });
}

/** Applies `desired` unless the Secret holds it already. */
async function write(ctx: SyncContext, desired: AppliedSecret): Promise<SyncResult> {
  const { deps, key, source, spec, live, trigger } = ctx;
  const manager = secretFieldManager(source.metadata.name);
  const target = spec.target.name;
  if (live !== undefined && liveMatches(live, desired, manager)) {
    await takeOverLegacyFields(ctx, live, manager);
    return 'unchanged';
  }
  if (live?.immutable) {
    throw new SyncFailure(
      'ImmutableTarget',
      `Secret ${target} is immutable; its new content was not applied`,
    );
  }
  let stored: LiveSecret;
  try {
    // Forced only over a Secret that is ours: a hand edit of our fields is taken back. Creating
    // without force makes a Secret someone else just created a conflict, not a takeover.
    stored = await deps.kube.applySecret(desired, manager, { force: live !== undefined });
  } catch (error) {
    if (live === undefined && (error as { code?: unknown })?.code === 409) {
      throw new SyncFailure('TargetConflict', `Secret ${target} was created by someone else meanwhile`);
    }
    throw new SyncFailure('WriteFailed', `writing Secret ${target}: ${kubeErrorMessage(error)}`);
  }
  await takeOverLegacyFields(ctx, stored, manager);
  const verb = live === undefined ? 'Created' : trigger === 'drift' ? 'Repaired' : 'Updated';
  const keys = Object.keys(desired.data).length;
  deps.events.record(involved(source), 'Normal', verb, `${verb} Secret ${target} (${keys} keys, ${trigger})`);
  deps.logger.info({ secretSource: key, target, trigger, keys }, `${verb.toLowerCase()} Secret`);
  return live === undefined ? 'created' : 'updated';
}

/**
 * A Secret an older version wrote holds our fields under the shared manager too, which would
 * keep a key we stop writing alive. Now that our own manager holds them, the shared manager
 * lets go; values never change, so readers see no gap. Best effort: a conflict (the Secret
 * changed meanwhile) is retried by the next reconcile, which sees the old entry again.
 */
async function takeOverLegacyFields(
  { deps, key, spec }: SyncContext,
  stored: LiveSecret,
  manager: string,
): Promise<void> {
  const merge = spec.target.creationPolicy === 'Merge';
  const managedFields = withoutLegacyFields(
    stored.metadata?.managedFields,
    LEGACY_SECRET_FIELD_MANAGER,
    manager,
    !merge,
  );
  const resourceVersion = stored.metadata?.resourceVersion;
  if (!managedFields || !resourceVersion) return;
  try {
    await deps.kube.patchSecretMetadata(stored.metadata!.namespace!, spec.target.name, {
      resourceVersion,
      managedFields,
    });
    deps.logger.info(
      { secretSource: key, target: spec.target.name },
      'took over fields of the shared field manager',
    );
  } catch (error) {
    deps.logger.warn(
      { secretSource: key, target: spec.target.name, detail: kubeErrorMessage(error) },
      'field manager migration deferred',
    );
  }
}

/**
 * Rolls spec.restartTargets: their pod template gets the new fingerprint, so the workload
 * controller replaces its pods and they read the new Secret. A missing workload is a Warning,
 * not a failed sync; any other error fails the sync, which is retried (and restarts again).
 */
async function restartWorkloads(
  { deps, key, source, spec }: SyncContext,
  fingerprint: string,
): Promise<void> {
  const { namespace } = source.metadata;
  for (const { kind, name } of spec.restartTargets) {
    let restarted: boolean;
    try {
      restarted = await deps.kube.restartWorkload(
        { namespace, kind, name },
        FINGERPRINT_ANNOTATION,
        fingerprint,
      );
    } catch (error) {
      deps.metrics?.workloadRestart?.(kind, 'error');
      throw new SyncFailure('RestartFailed', `restarting ${kind} ${name}: ${kubeErrorMessage(error)}`);
    }
    deps.metrics?.workloadRestart?.(kind, restarted ? 'restarted' : 'not_found');
    if (restarted) {
      deps.events.record(
        involved(source),
        'Normal',
        'WorkloadRestarted',
        `Restarted ${kind} ${name}: Secret ${spec.target.name} changed`,
      );
      deps.logger.info({ secretSource: key, kind, name }, 'restarted workload');
    } else {
      deps.events.record(
        involved(source),
        'Warning',
        'RestartTargetNotFound',
        `${kind} ${name} not found in namespace ${namespace}; nothing was restarted`,
      );
    }
  }
}

/**
 * Whether the values changed since the last sync status recorded. Not on the first sync (nothing
 * ran on the old values), and not on an upgrade from an unkeyed fingerprint (that cannot be compared).
 */
function contentChanged(previous: string | undefined, next: string): boolean {
  return isFingerprint(previous) && previous !== next;
}
