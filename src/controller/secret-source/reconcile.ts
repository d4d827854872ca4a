// Reconciles one SecretSource: level-triggered and idempotent. It reads the world as it is
// (informer caches, the live Secret), decides whether values must be fetched (trigger.ts),
// fetches them through the provider client cache (rotate.ts, fetch.ts), writes the Secret with
// server-side apply only when its content fingerprint changed (write.ts), and reports the outcome
// in status and Events (report.ts). A failure never deletes or blanks an existing Secret: every
// await of a reconcile runs inside one failure funnel, which sets Ready=False, records a Warning,
// and retries.
import {
  InvalidSpecError,
  parseSecretSource,
  resolveSecretSourceSpec,
  type SecretSource,
} from '../../api/v1alpha1/index.js';
import { FINALIZER } from '../../api/v1alpha1/names.js';
import { validateRefreshTiming } from '../../rotation/schedule.js';
import { LeaseSync } from '../lease-sync.js';
import { OwnWrites } from '../own-writes.js';
import type { ReconcileResult, SyncResult } from '../ports.js';
import { RefreshSchedule } from '../refresh-schedule.js';
import type {
  ReconcileContext,
  ReconcileDeps,
  SecretSourceReconcilerOptions,
  SyncContext,
} from './context.js';
import { SyncFailure, toSyncFailure } from './failure.js';
import { fetchValues } from './fetch.js';
import { ensureFinalizer, finalize, unparseable } from './finalize.js';
import { isLeaseDriven, syncLeases } from './leases.js';
import { assertWeMayWrite, liveTarget, readSecret } from './live-target.js';
import { reportFailure, reportSynced } from './report.js';
import { rotate } from './rotate.js';
import { syncTrigger } from './trigger.js';
import { writeContent } from './write.js';

export class SecretSourceReconciler {
  readonly #deps: ReconcileDeps;

  constructor(options: SecretSourceReconcilerOptions) {
    this.#deps = {
      ...options,
      schedule: new RefreshSchedule(options.clock, options.random),
      ownWrites: new OwnWrites(),
      leases: new LeaseSync({
        clock: options.clock,
        random: options.random,
        logger: options.logger,
        ...(options.metrics ? { metrics: options.metrics } : {}),
      }),
    };
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult> {
    const deps = this.#deps;
    const raw = deps.sources.get(key);
    if (raw === undefined) {
      this.forget(key);
      return {};
    }
    let parsed: SecretSource;
    try {
      parsed = parseSecretSource(raw);
    } catch (error) {
      if (!(error instanceof InvalidSpecError)) throw error;
      return unparseable(deps, raw, error.message);
    }
    const source = this.#withOwnWrites(key, parsed);
    const rc: ReconcileContext = { deps, key, source, spec: resolveSecretSourceSpec(source), signal };
    if (source.metadata.deletionTimestamp) return finalize(rc);
    try {
      // A refresh schedule that cannot be computed is a spec error, found before anything is written.
      validateRefreshTiming(rc.spec.refresh);
    } catch (error) {
      await reportFailure(deps, source, rc.spec, new SyncFailure('InvalidSpec', (error as Error).message));
      return {};
    }
    // Every await from here on runs inside the one failure funnel: what fails is Ready=False with
    // a reason and a Warning, never a crash of the reconcile.
    const started = deps.clock.now();
    try {
      const result = await this.#syncIfDue(rc);
      if (result !== undefined) deps.metrics?.syncFinished(result, (deps.clock.now() - started) / 1000);
      return this.#requeue(source, deps.schedule.requeueAfter(key, rc.spec.refresh, source.status));
    } catch (error) {
      if (signal.aborted) throw error;
      const failure = toSyncFailure(error);
      deps.metrics?.syncFinished('error', (deps.clock.now() - started) / 1000);
      await reportFailure(deps, source, rc.spec, failure);
      if (failure.retryable) return { retry: true };
      // A permanent failure waits for a change of the object, or the next refresh slot, whatever
      // the refresh policy (the cause may go away); a schedule with no next slot (validation
      // refuses those) waits for a change only.
      return this.#requeue(source, deps.schedule.requeueAfterFailure(key, rc.spec.refresh));
    }
  }

  /** Forgets schedule state for a source that is gone. */
  forget(key: string): void {
    const { schedule, ownWrites, metrics } = this.#deps;
    schedule.forget(key);
    ownWrites.forget(key);
    const [namespace = '', name = ''] = key.split('/');
    metrics?.certificateNotAfter?.(namespace, name, undefined);
    metrics?.leaseExpiry?.(namespace, name, undefined);
    metrics?.nextRefresh?.(namespace, name, undefined);
  }

  /** The finalizer as the spec wants it, then a sync if one is due; undefined when none was. */
  async #syncIfDue(rc: ReconcileContext): Promise<SyncResult | undefined> {
    await ensureFinalizer(rc);
    const target = await liveTarget(rc);
    let live = target.live;
    let trigger = syncTrigger(rc, live);
    if (trigger === 'drift' && target.cached) {
      // The informer's copy may lag behind our own last write: drift is confirmed on the Secret itself.
      live = await readSecret(rc.deps, rc.source.metadata.namespace, rc.spec.target.name);
      trigger = syncTrigger(rc, live);
    }
    return trigger === undefined ? undefined : sync({ ...rc, live, trigger });
  }

  /** The queue's wake-up for `source`, also published as its next-refresh metric. */
  #requeue(source: SecretSource, requeueAfterMs: number | undefined): ReconcileResult {
    const { namespace, name } = source.metadata;
    const at = requeueAfterMs === undefined ? undefined : new Date(this.#deps.clock.now() + requeueAfterMs);
    this.#deps.metrics?.nextRefresh?.(namespace, name, at);
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  /** The object as it is after our own latest writes, which the informer may not show yet. */
  #withOwnWrites(key: string, source: SecretSource): SecretSource {
    const { ownWrites } = this.#deps;
    const { uid, generation, finalizers = [] } = source.metadata;
    const others = finalizers.filter((f) => f !== FINALIZER);
    const ours = ownWrites.finalizer(key, uid, finalizers.includes(FINALIZER));
    return {
      ...source,
      metadata: { ...source.metadata, finalizers: ours ? [...others, FINALIZER] : others },
      status: ownWrites.status(key, uid, generation, source.status),
    };
  }
}

/** fetch → build → write → report. */
async function sync(ctx: SyncContext): Promise<SyncResult> {
  const { deps, key, source, spec, signal } = ctx;
  assertWeMayWrite(ctx);
  const provider = deps.providers.resolve(spec.providerRef, source.metadata.namespace);
  // Dynamic credentials are issued and renewed on their leases instead of read (docs/adr/0016).
  if (isLeaseDriven(ctx)) return syncLeases(ctx, provider);
  const client = await deps.clients.acquire(provider, source.metadata.namespace, signal);
  const rotation = await rotate(ctx, client);
  const fetched = await fetchValues(ctx, client);
  fetched.data.push(...rotation.entries);
  const written = await writeContent(ctx, fetched, rotation.rotatedAt);
  deps.schedule.planAfterSync(key, spec.refresh, fetched.oldestReadAt);
  await reportSynced(ctx, provider, written, fetched.warnings);
  return written.result;
}
