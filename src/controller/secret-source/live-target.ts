// The target Secret as it is, and whether this SecretSource may write it.
import { parseSecretSource, resolveSecretSourceSpec } from '../../api/v1alpha1/index.js';
import { SOURCE_ANNOTATION } from '../../api/v1alpha1/names.js';
import { kubeErrorMessage } from '../../kube/kube-error.js';
import type { LiveSecret } from '../ports.js';
import type { ReconcileContext, ReconcileDeps, SyncContext } from './context.js';
import { SyncFailure } from './failure.js';

/** The target Secret: from the managed-Secret cache when it is there (`cached`), else read. */
export async function liveTarget({
  deps,
  source,
  spec,
}: ReconcileContext): Promise<{ live: LiveSecret | undefined; cached: boolean }> {
  const { namespace } = source.metadata;
  const cached = deps.managedSecrets.get(`${namespace}/${spec.target.name}`);
  if (cached !== undefined) return { live: cached, cached: true };
  // Not labelled as managed: it may still exist — ours with the label removed by hand, or
  // someone else's, which must not be taken over silently.
  return { live: await readSecret(deps, namespace, spec.target.name), cached: false };
}

/** The Secret as the API server has it now; a failed read is a SyncFailure that names it. */
export async function readSecret(
  deps: ReconcileDeps,
  namespace: string,
  name: string,
): Promise<LiveSecret | undefined> {
  try {
    return await deps.kube.getSecret(namespace, name);
  } catch (error) {
    throw new SyncFailure('SyncFailed', `reading Secret ${name}: ${kubeErrorMessage(error)}`);
  }
}

/**
 * Owner and Orphan sources write only a Secret that does not exist yet or that names them as
 * its source. A Merge source adds its keys to an existing Secret, but never to one that
 * another SecretSource owns as a whole.
 */
export function assertWeMayWrite({ deps, source, spec, live }: SyncContext): void {
  const target = spec.target.name;
  const { name, namespace } = source.metadata;
  const owner = live?.metadata?.annotations?.[SOURCE_ANNOTATION];
  if (spec.target.creationPolicy === 'Merge') {
    if (live === undefined) {
      throw new SyncFailure('TargetNotFound', `creationPolicy Merge needs an existing Secret ${target}`);
    }
    if (owner !== undefined && owner !== name && ownsWholeSecret(deps, namespace, owner)) {
      throw new SyncFailure(
        'TargetConflict',
        `Secret ${target} is owned by SecretSource ${owner}; creationPolicy Merge adds keys only to a Secret no other SecretSource owns`,
      );
    }
    return;
  }
  if (live === undefined || owner === name) return;
  throw new SyncFailure(
    'TargetConflict',
    owner === undefined
      ? `Secret ${target} already exists and is not managed by this SecretSource; delete it, or set creationPolicy: Merge to merge keys into it`
      : `Secret ${target} is managed by SecretSource ${owner}; two SecretSources cannot own one Secret`,
  );
}

/** Whether the SecretSource `name` exists and owns its Secret as a whole (not Merge). */
function ownsWholeSecret(deps: ReconcileDeps, namespace: string, name: string): boolean {
  const raw = deps.sources.get(`${namespace}/${name}`);
  if (raw === undefined) return false;
  try {
    return resolveSecretSourceSpec(parseSecretSource(raw)).target.creationPolicy !== 'Merge';
  } catch {
    return true; // unreadable: assume the worst, and leave its Secret alone
  }
}
