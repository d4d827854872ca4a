// Reconciles one SecretSource: level-triggered and idempotent. It reads the
// world as it is (informer caches, the live Secret), decides whether values
// must be fetched, fetches them through the provider client cache, writes the
// Secret with server-side apply only when its content hash changed, and
// reports the outcome in status and Events. A failure never deletes or blanks
// an existing Secret: it sets Ready=False, records a Warning, and retries.
import { createHash } from 'node:crypto';
import {
  InvalidSpecError,
  MAX_LAST_FORCE_SYNC_LENGTH,
  parseSecretSource,
  resolveSecretSourceSpec,
  type ResolvedSecretSourceSpec,
  type SecretSource,
  type SecretSourceStatus,
} from '../api/v1alpha1/index.js';
import { isReason, isRetryable, type Reason } from '../api/v1alpha1/reasons.js';
import type { CachedProviderClient, ProviderObject } from '../providers/client-cache.js';
import { ProviderError } from '../providers/errors.js';
import type { CoalescingReader } from '../providers/read-coalescer.js';
import type { ProviderWarning } from '../providers/types.js';
import {
  MIN_REFRESH_DELAY_MS,
  nextRefresh,
  sharedReadMaxAgeMs,
  validateRefreshTiming,
} from '../rotation/schedule.js';
import { buildSecretContent, type FetchedDataEntry, type SecretContent } from '../secrets/content.js';
import { isFingerprint, type ContentFingerprint } from '../secrets/fingerprint.js';
import { buildTargetSecret, type AppliedSecret } from '../secrets/target.js';
import {
  API_VERSION,
  FINALIZER,
  FINGERPRINT_ANNOTATION,
  FORCE_SYNC_ANNOTATION,
  LEGACY_SECRET_FIELD_MANAGER,
  MANAGED_LABEL,
  ROTATED_AT_ANNOTATION,
  SOURCE_ANNOTATION,
} from '../api/v1alpha1/names.js';
import type { Clock } from '../kube/clock.js';
import { kubeErrorMessage } from '../kube/kube-error.js';
import { collectData, type Fetched } from './collect-data.js';
import { secretContentInput } from './content-input.js';
import { findCondition, setCondition } from '../kube/conditions.js';
import type { EventRecorder, InvolvedObject } from '../kube/events.js';
import type {
  KubeGateway,
  LiveSecret,
  ProviderClients,
  ReconcileLogger,
  ReconcileResult,
  Store,
  SyncMetrics,
} from './ports.js';
import { hasApplyEntry, ownedSecretFields, withoutLegacyFields } from '../kube/managed-fields.js';
import { secretFieldManager } from '../secrets/field-manager.js';
import { LeaseSync, type LeaseReport } from './lease-sync.js';
import { OwnWrites } from './own-writes.js';
import { rotateAtSource } from './rotate-at-source.js';
import { RefreshSchedule } from './refresh-schedule.js';
import { liveMatches } from './target-state.js';
import { ProviderResolutionError, type ProviderResolver } from './provider-resolver.js';

/** Provider warnings quoted in the Ready message; the rest are counted (each has its Event). */
const MAX_WARNINGS_IN_MESSAGE = 3;

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

/**
 * Why values are fetched now; none means the Secret is current. `upgrade`: the Secret or the
 * status was written by an older version (shared field manager, unkeyed hash) and is rewritten
 * once, with the same values.
 */
type SyncTrigger = 'spec-changed' | 'force-sync' | 'target-missing' | 'drift' | 'upgrade' | 'refresh-due';

/** A failed sync: its reason, and whether it is retried is the reason's (the reasons table). */
class SyncFailure extends Error {
  readonly retryable: boolean;

  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(message);
    this.retryable = isRetryable(reason);
  }
}

export class SecretSourceReconciler {
  readonly #o: SecretSourceReconcilerOptions;
  readonly #schedule: RefreshSchedule;
  readonly #ownWrites = new OwnWrites();
  readonly #leases: LeaseSync;

  constructor(options: SecretSourceReconcilerOptions) {
    this.#o = options;
    this.#schedule = new RefreshSchedule(options.clock, options.random);
    this.#leases = new LeaseSync({
      clock: options.clock,
      random: options.random,
      logger: options.logger,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult> {
    const raw = this.#o.sources.get(key);
    if (raw === undefined) {
      this.forget(key);
      return {};
    }
    let source: SecretSource;
    try {
      source = parseSecretSource(raw);
    } catch (error) {
      if (!(error instanceof InvalidSpecError)) throw error;
      return this.#unparseable(raw, error.message);
    }
    source = this.#withOwnWrites(key, source);
    const spec = resolveSecretSourceSpec(source);
    if (source.metadata.deletionTimestamp) return this.#finalize(source, spec);
    try {
      // A refresh schedule that cannot be computed is a spec error, found before anything is written.
      validateRefreshTiming(spec.refresh);
    } catch (error) {
      await this.#reportFailure(source, spec, new SyncFailure('InvalidSpec', (error as Error).message));
      return {};
    }
    // Every await from here on runs inside the one failure funnel: what fails is Ready=False with
    // a reason and a Warning, never a crash of the reconcile.
    const started = this.#o.clock.now();
    try {
      await this.#ensureFinalizer(source, spec);
      const target = await this.#liveTarget(source, spec);
      let live = target.live;
      let trigger = this.#syncTrigger(key, source, spec, live);
      if (trigger === 'drift' && target.cached) {
        // The informer's copy may lag behind our own last write: drift is confirmed on the Secret itself.
        live = await this.#readSecret(source.metadata.namespace, spec.target.name);
        trigger = this.#syncTrigger(key, source, spec, live);
      }
      if (trigger === undefined)
        return this.#requeue(source, this.#schedule.requeueAfter(key, spec.refresh, source.status));
      const result = await this.#sync(key, source, spec, live, trigger, signal);
      this.#o.metrics?.syncFinished(result, (this.#o.clock.now() - started) / 1000);
      return this.#requeue(source, this.#schedule.requeueAfter(key, spec.refresh, source.status));
    } catch (error) {
      if (signal.aborted) throw error;
      const failure = toSyncFailure(error);
      this.#o.metrics?.syncFinished('error', (this.#o.clock.now() - started) / 1000);
      await this.#reportFailure(source, spec, failure);
      if (failure.retryable) return { retry: true };
      return this.#requeue(source, this.#schedule.requeueAfterFailure(key, spec.refresh));
    }
  }

  /** The queue's wake-up for `source`, also published as its next-refresh metric. */
  #requeue(source: SecretSource, requeueAfterMs: number | undefined): ReconcileResult {
    const { namespace, name } = source.metadata;
    const at = requeueAfterMs === undefined ? undefined : new Date(this.#o.clock.now() + requeueAfterMs);
    this.#o.metrics?.nextRefresh?.(namespace, name, at);
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  /**
   * A permanent failure waits for a change of the object, or the next refresh slot, whatever the
   * refresh policy (the cause may go away). Nothing here may throw: a throw would be retried
   * with backoff, re-reading the backend each time. A schedule with no next slot (validation
   * refuses those) waits for a change only.
   */

  /**
   * A stored object that no longer parses (e.g. written before a CRD upgrade):
   * report it, and still let it be deleted — the finalizer must not trap it.
   */
  async #unparseable(raw: unknown, message: string): Promise<ReconcileResult> {
    const identity = rawIdentity(raw);
    const metadata = (raw as { metadata?: { deletionTimestamp?: unknown; finalizers?: unknown } }).metadata;
    const finalizers = Array.isArray(metadata?.finalizers) ? (metadata.finalizers as unknown[]) : [];
    if (metadata?.deletionTimestamp) {
      if (!finalizers.includes(FINALIZER)) return {};
      try {
        await this.#setFinalizer(identity, false);
        return {};
      } catch (error) {
        await this.#reportFailure(identity, undefined, toSyncFailure(error), rawStatus(raw));
        return { retry: true };
      }
    }
    await this.#reportFailure(identity, undefined, new SyncFailure('InvalidSpec', message), rawStatus(raw));
    return {};
  }

  /** Forgets schedule state for a source that is gone. */
  forget(key: string): void {
    this.#schedule.forget(key);
    this.#ownWrites.forget(key);
    const [namespace = '', name = ''] = key.split('/');
    this.#o.metrics?.certificateNotAfter?.(namespace, name, undefined);
    this.#o.metrics?.leaseExpiry?.(namespace, name, undefined);
    this.#o.metrics?.nextRefresh?.(namespace, name, undefined);
  }

  /** The object as it is after our own latest writes, which the informer may not show yet. */
  #withOwnWrites(key: string, source: SecretSource): SecretSource {
    const { uid, generation, finalizers = [] } = source.metadata;
    const others = finalizers.filter((f) => f !== FINALIZER);
    const ours = this.#ownWrites.finalizer(key, uid, finalizers.includes(FINALIZER));
    return {
      ...source,
      metadata: { ...source.metadata, finalizers: ours ? [...others, FINALIZER] : others },
      status: this.#ownWrites.status(key, uid, generation, source.status),
    };
  }

  #syncTrigger(
    key: string,
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    live: LiveSecret | undefined,
  ): SyncTrigger | undefined {
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
    if (this.#drifted(source, spec, live, manager)) return 'drift';
    if (policy === 'OnChange') return undefined;
    return this.#schedule.isDue(key, spec.refresh, status) ? 'refresh-due' : undefined;
  }

  /**
   * Drift, judged without a fetch: the keys our field manager owns no longer fingerprint to what
   * status says we wrote (a key of ours edited or removed by hand), or a mark that makes the
   * Secret ours is gone. Keys and fields other managers own are not ours and are left alone
   * (docs/adr/0010-field-manager-per-secretsource.md).
   */
  #drifted(source: SecretSource, spec: ResolvedSecretSourceSpec, live: LiveSecret, manager: string): boolean {
    const metadata = live.metadata ?? {};
    if (metadata.labels?.[MANAGED_LABEL] !== 'true') return true;
    if (spec.target.creationPolicy !== 'Merge' && metadata.annotations?.[SOURCE_ANNOTATION] === undefined) {
      return true;
    }
    const owned = ownedSecretFields(metadata.managedFields, manager);
    const target = { namespace: source.metadata.namespace, name: spec.target.name };
    return this.#o.fingerprint.ofLive(target, live, owned.data) !== source.status?.syncedHash;
  }

  /** fetch → build → write → report. */
  async #sync(
    key: string,
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    live: LiveSecret | undefined,
    trigger: SyncTrigger,
    signal: AbortSignal,
  ): Promise<string> {
    this.#assertWeMayWrite(source, spec, live);
    const provider = this.#o.providers.resolve(spec.providerRef, source.metadata.namespace);
    // Dynamic credentials are issued and renewed on their leases instead of read (docs/adr/0016).
    if (isLeaseDriven(spec)) return this.#syncLeases(key, source, spec, live, trigger, provider, signal);
    const client = await this.#o.clients.acquire(provider, source.metadata.namespace, signal);
    const rotation = await this.#rotate(key, source, spec, live, trigger, client, signal);
    const fetched = await this.#fetch(client, spec, trigger, signal);
    fetched.data.push(...rotation.entries);
    const written = await this.#writeContent(key, source, spec, live, trigger, fetched, rotation.rotatedAt);
    this.#schedule.planAfterSync(key, spec.refresh, fetched.oldestReadAt);
    await this.#report(
      key,
      source,
      spec,
      provider,
      written.content,
      written.hash,
      written.result,
      fetched.warnings,
    );
    return written.result;
  }

  /** build → write, and the restart targets rolled when the content changed. */
  async #writeContent(
    key: string,
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    live: LiveSecret | undefined,
    trigger: SyncTrigger,
    fetched: Fetched,
    rotatedAt?: string,
  ): Promise<{ content: SecretContent; hash: string; result: string }> {
    const manager = secretFieldManager(source.metadata.name);
    const content = await this.#build(key, source, spec, live, fetched);
    const target = { namespace: source.metadata.namespace, name: spec.target.name };
    const hash = this.#o.fingerprint.of(target, content.type, content.data);
    const desired = this.#desiredSecret(source, spec, content, hash, rotatedAt);
    const result = await this.#write(key, source, spec, live, desired, manager, trigger);
    // Before the status records the new fingerprint: a crash in between restarts on the retry.
    if (contentChanged(source.status?.syncedHash, hash))
      await this.#restartWorkloads(key, source, spec, hash);
    return { content, hash, result };
  }

  /**
   * A lease-driven sync (lease-sync.ts decides and talks to the provider): the Secret is written
   * only with new credentials; a renewal records the leases in status and nothing else.
   */
  async #syncLeases(
    key: string,
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    live: LiveSecret | undefined,
    trigger: SyncTrigger,
    provider: ProviderObject,
    signal: AbortSignal,
  ): Promise<string> {
    const { namespace, name } = source.metadata;
    const client = await this.#o.clients.acquire(provider, namespace, signal);
    const plan = (dueAt: number | undefined) =>
      dueAt === undefined
        ? this.#schedule.planAfterSync(key, spec.refresh)
        : this.#schedule.planAt(key, dueAt);
    return this.#leases.sync(
      {
        key,
        namespace,
        name,
        spec,
        status: source.status,
        client,
        ...(trigger === 'refresh-due' ? {} : { resync: trigger }),
        signal,
      },
      {
        write: async (fetched) => {
          const { content, hash, result } = await this.#writeContent(
            key,
            source,
            spec,
            live,
            trigger,
            fetched,
          );
          return {
            result,
            report: async (leases) => {
              plan(leases.dueAt);
              await this.#report(
                key,
                source,
                spec,
                provider,
                content,
                hash,
                result,
                fetched.warnings,
                leases,
              );
            },
          };
        },
        record: async (leases) => {
          plan(leases.dueAt);
          await this.#reportLeases(key, source, leases);
        },
        plan,
        event: (type, reason, message) => this.#o.events.record(involved(source), type, reason, message),
      },
    );
  }

  /**
   * spec.generate: new values written to the backend before anything depends on them
   * (rotate-at-source.ts). Returns the generated keys' values and the rotated-at mark to keep.
   */
  async #rotate(
    key: string,
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    live: LiveSecret | undefined,
    trigger: SyncTrigger,
    client: CachedProviderClient,
    signal: AbortSignal,
  ): Promise<{ entries: FetchedDataEntry[]; rotatedAt?: string }> {
    const previous = live?.metadata?.annotations?.[ROTATED_AT_ANNOTATION];
    if (spec.generate.length === 0) return { entries: [] };
    if (!client.write) {
      throw new SyncFailure('InvalidSpec', `spec.generate: ${client.description} cannot write secrets`);
    }
    const now = this.#o.clock.now();
    const due = trigger === 'force-sync' || (trigger === 'refresh-due' && rotationDue(spec, previous, now));
    let outcome;
    try {
      outcome = await rotateAtSource({ generate: spec.generate, client, live, due, signal });
    } catch (error) {
      this.#o.metrics?.rotation?.(client.providerType, 'error');
      throw error;
    }
    if (outcome.rotated.length === 0)
      return { entries: outcome.entries, ...(previous ? { rotatedAt: previous } : {}) };
    for (const { key: secretKey, path } of outcome.rotated) {
      this.#o.metrics?.rotation?.(client.providerType, 'rotated');
      this.#o.events.record(
        involved(source),
        'Normal',
        'Rotated',
        `Rotated ${secretKey}: a new value is stored at ${path}`,
      );
      this.#o.logger.info({ secretSource: key, key: secretKey, path }, 'rotated at the source');
    }
    return { entries: outcome.entries, rotatedAt: new Date(now).toISOString() };
  }

  async #fetch(
    client: CachedProviderClient,
    spec: ResolvedSecretSourceSpec,
    trigger: SyncTrigger,
    signal: AbortSignal,
  ): Promise<Fetched> {
    // A force-sync must see the backend as it is now, not a value another
    // SecretSource read a moment ago; everything else may share a recent read,
    // a periodic refresh one up to half its interval old (docs/adr/0008).
    const fresh = trigger === 'force-sync';
    const maxAgeMs = trigger === 'refresh-due' ? sharedReadMaxAgeMs(spec.refresh) : undefined;
    const fetched = await collectData(spec, client, this.#o.reader, {
      fresh,
      signal,
      ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
    });
    if (!spec.allowEmpty) {
      spec.dataFrom.forEach((entry, index) => {
        if (fetched.dataFrom[index]!.values.size > 0) return;
        const what =
          entry.path !== undefined ? `path ${entry.path} holds no keys` : 'find matched no secrets';
        throw emptyResult(`dataFrom[${index}]: ${what}`);
      });
    }
    return fetched;
  }

  async #build(
    key: string,
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    live: LiveSecret | undefined,
    fetched: Fetched,
  ): Promise<SecretContent> {
    const target = spec.target;
    const content = buildSecretContent(
      secretContentInput(spec, fetched, {
        liveType: live?.type,
        templateConfigMap: await this.#templateConfigMap(source.metadata.namespace, spec),
        now: new Date(this.#o.clock.now()),
      }),
    );
    if (content.data.size === 0 && !spec.allowEmpty)
      throw emptyResult(`Secret ${target.name} would hold no keys`);
    if (content.replacedKeys) {
      // Key names and entry places only: which entry won is worth knowing when a value surprises.
      this.#o.logger.debug(
        { secretSource: key, replacedKeys: content.replacedKeys },
        'duplicate keys: last wins',
      );
    }
    if (content.certificate?.expired) {
      this.#o.events.record(
        involved(source),
        'Warning',
        'CertificateExpired',
        `the certificate in Secret ${target.name} expired at ${content.certificate.notAfter.toISOString()}`,
      );
    }
    return content;
  }

  #desiredSecret(
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
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

  /** Applies `desired` unless the Secret holds it already; returns created | updated | unchanged. */
  async #write(
    key: string,
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    live: LiveSecret | undefined,
    desired: AppliedSecret,
    manager: string,
    trigger: SyncTrigger,
  ): Promise<string> {
    const target = spec.target.name;
    if (live !== undefined && liveMatches(live, desired, manager)) {
      await this.#takeOverLegacyFields(key, spec, live, manager);
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
      stored = await this.#o.kube.applySecret(desired, manager, { force: live !== undefined });
    } catch (error) {
      if (live === undefined && (error as { code?: unknown })?.code === 409) {
        throw new SyncFailure('TargetConflict', `Secret ${target} was created by someone else meanwhile`);
      }
      throw new SyncFailure('WriteFailed', `writing Secret ${target}: ${kubeErrorMessage(error)}`);
    }
    await this.#takeOverLegacyFields(key, spec, stored, manager);
    const verb = live === undefined ? 'Created' : trigger === 'drift' ? 'Repaired' : 'Updated';
    const keys = Object.keys(desired.data).length;
    this.#o.events.record(
      involved(source),
      'Normal',
      verb,
      `${verb} Secret ${target} (${keys} keys, ${trigger})`,
    );
    this.#o.logger.info({ secretSource: key, target, trigger, keys }, `${verb.toLowerCase()} Secret`);
    return live === undefined ? 'created' : 'updated';
  }

  /**
   * A Secret an older version wrote holds our fields under the shared manager too, which would
   * keep a key we stop writing alive. Now that our own manager holds them, the shared manager
   * lets go; values never change, so readers see no gap. Best effort: a conflict (the Secret
   * changed meanwhile) is retried by the next reconcile, which sees the old entry again.
   */
  async #takeOverLegacyFields(
    key: string,
    spec: ResolvedSecretSourceSpec,
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
      await this.#o.kube.patchSecretMetadata(stored.metadata!.namespace!, spec.target.name, {
        resourceVersion,
        managedFields,
      });
      this.#o.logger.info(
        { secretSource: key, target: spec.target.name },
        'took over fields of the shared field manager',
      );
    } catch (error) {
      this.#o.logger.warn(
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
  async #restartWorkloads(
    key: string,
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    hash: string,
  ): Promise<void> {
    const { namespace } = source.metadata;
    for (const { kind, name } of spec.restartTargets) {
      let restarted: boolean;
      try {
        restarted = await this.#o.kube.restartWorkload(
          { namespace, kind, name },
          FINGERPRINT_ANNOTATION,
          hash,
        );
      } catch (error) {
        this.#o.metrics?.workloadRestart?.(kind, 'error');
        throw new SyncFailure('RestartFailed', `restarting ${kind} ${name}: ${kubeErrorMessage(error)}`);
      }
      this.#o.metrics?.workloadRestart?.(kind, restarted ? 'restarted' : 'not_found');
      if (restarted) {
        this.#o.events.record(
          involved(source),
          'Normal',
          'WorkloadRestarted',
          `Restarted ${kind} ${name}: Secret ${spec.target.name} changed`,
        );
        this.#o.logger.info({ secretSource: key, kind, name }, 'restarted workload');
      } else {
        this.#o.events.record(
          involved(source),
          'Warning',
          'RestartTargetNotFound',
          `${kind} ${name} not found in namespace ${namespace}; nothing was restarted`,
        );
      }
    }
  }

  async #report(
    key: string,
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    provider: ProviderObject,
    content: SecretContent,
    hash: string,
    result: string,
    warnings: readonly ProviderWarning[],
    leases?: LeaseReport,
  ): Promise<void> {
    const { namespace, name } = source.metadata;
    const now = new Date(this.#o.clock.now());
    const previous = source.status;
    const message = `${readyMessage(content.data.size, `${provider.kind}/${provider.name}`, leases)}${warningNote(warnings)}`;
    // Synced, with warnings (e.g. an expired version the backend still serves): one Warning Event
    // each when the note first appears or changes, so quiet refreshes stay quiet (docs/adr/0015).
    if (warnings.length > 0 && findCondition(previous?.conditions, 'Ready')?.message !== message) {
      for (const warning of warnings) {
        this.#o.events.record(involved(source), 'Warning', warning.reason, warning.message);
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
      syncedHash: hash,
      targetName: spec.target.name,
      syncedKeys: content.data.size,
      provider: `${provider.kind}/${provider.name}`,
      lastForceSync: forceSyncRecord(source.metadata.annotations?.[FORCE_SYNC_ANNOTATION]),
      ...(content.certificate ? { certificateNotAfter: content.certificate.notAfter.toISOString() } : {}),
      ...(leases ? { leases: leases.leases, replacedLeases: leases.replacedLeases } : {}),
    };
    this.#o.metrics?.certificateNotAfter?.(namespace, name, content.certificate?.notAfter);
    if (result === 'unchanged' && !statusChanged(previous, status)) {
      // A refresh that found nothing new writes no Secret and no Event, and between checkpoints
      // nothing at all; at a checkpoint only the two times (docs/adr/0014).
      if (!this.#schedule.checkpointDue(key)) return;
      const times = this.#refreshTimes(key, now);
      await this.#o.kube.patchSecretSourceStatus(namespace, name, times);
      this.#ownWrites.recordStatus(key, source.metadata.uid, source.metadata.generation, {
        ...previous,
        ...times,
      });
      return;
    }
    Object.assign(status, this.#refreshTimes(key, now));
    // null removes what an earlier sync recorded and this one has not: a certificate's notAfter,
    // leases of dynamic credentials (the status write is a merge patch).
    const dropped = (['certificateNotAfter', 'leases', 'replacedLeases'] as const).filter(
      (field) => previous?.[field] !== undefined && status[field] === undefined,
    );
    await this.#o.kube.patchSecretSourceStatus(namespace, name, {
      ...status,
      ...Object.fromEntries(dropped.map((field) => [field, null])),
    });
    this.#ownWrites.recordStatus(key, source.metadata.uid, source.metadata.generation, {
      ...previous,
      ...status,
    });
  }

  /**
   * A renewal (or revocation) writes no Secret: status records the leases, the Ready message the
   * new expiry, and the refresh times (the next renewal is the next checkpoint).
   */
  async #reportLeases(key: string, source: SecretSource, leases: LeaseReport): Promise<void> {
    const { namespace, name, uid, generation } = source.metadata;
    const now = new Date(this.#o.clock.now());
    const previous = source.status;
    const ready = findCondition(previous?.conditions, 'Ready');
    const patch = {
      conditions: setCondition(
        previous?.conditions,
        {
          type: 'Ready',
          status: 'True',
          reason: ready?.reason ?? 'Synced',
          message: readyMessage(previous?.syncedKeys ?? 0, previous?.provider ?? '', leases),
          observedGeneration: generation,
        },
        now,
      ),
      leases: leases.leases,
      replacedLeases: leases.replacedLeases,
      ...this.#refreshTimes(key, now),
    };
    await this.#o.kube.patchSecretSourceStatus(namespace, name, patch);
    this.#ownWrites.recordStatus(key, uid, generation, { ...previous, ...patch });
  }

  /** The refresh a status write records, and the checkpoint it announces. */
  #refreshTimes(key: string, now: Date): { lastRefreshTime: string; nextRefreshTime: string } {
    return {
      lastRefreshTime: now.toISOString(),
      nextRefreshTime: new Date(this.#schedule.announce(key)).toISOString(),
    };
  }

  /** Templates kept in a ConfigMap of the SecretSource's namespace (target.template.configMapRef). */
  async #templateConfigMap(
    namespace: string,
    spec: ResolvedSecretSourceSpec,
  ): Promise<{ name: string; data: Record<string, string> } | undefined> {
    const ref = spec.target.template?.configMapRef;
    if (!ref) return undefined;
    const configMap = await this.#o.kube.getConfigMap(namespace, ref.name);
    if (!configMap) {
      throw new SyncFailure(
        'InvalidSpec',
        `template ConfigMap ${ref.name} not found in namespace ${namespace}`,
      );
    }
    return { name: ref.name, data: configMap.data ?? {} };
  }

  async #liveTarget(
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
  ): Promise<{ live: LiveSecret | undefined; cached: boolean }> {
    const { namespace } = source.metadata;
    const cached = this.#o.managedSecrets.get(`${namespace}/${spec.target.name}`);
    if (cached !== undefined) return { live: cached, cached: true };
    // Not labelled as managed: it may still exist — ours with the label removed by hand, or
    // someone else's, which must not be taken over silently.
    return { live: await this.#readSecret(namespace, spec.target.name), cached: false };
  }

  /** The Secret as the API server has it now; a failed read is a SyncFailure that names it. */
  async #readSecret(namespace: string, name: string): Promise<LiveSecret | undefined> {
    try {
      return await this.#o.kube.getSecret(namespace, name);
    } catch (error) {
      throw new SyncFailure('SyncFailed', `reading Secret ${name}: ${kubeErrorMessage(error)}`);
    }
  }

  /** Adds or removes our finalizer; a failed write is a SyncFailure that names it. */
  async #setFinalizer(identity: InvolvedObject, present: boolean): Promise<void> {
    const { namespace, name, uid } = identity;
    try {
      await this.#o.kube.setFinalizer(namespace!, name, FINALIZER, present, uid);
    } catch (error) {
      const verb = present ? 'adding' : 'removing';
      throw new SyncFailure('SyncFailed', `${verb} finalizer ${FINALIZER}: ${kubeErrorMessage(error)}`);
    }
    this.#ownWrites.recordFinalizer(`${namespace}/${name}`, uid, present);
  }

  /**
   * Owner and Orphan sources write only a Secret that does not exist yet or that names them as
   * its source. A Merge source adds its keys to an existing Secret, but never to one that
   * another SecretSource owns as a whole.
   */
  #assertWeMayWrite(
    source: SecretSource,
    spec: ResolvedSecretSourceSpec,
    live: LiveSecret | undefined,
  ): void {
    const target = spec.target.name;
    const { name, namespace } = source.metadata;
    const owner = live?.metadata?.annotations?.[SOURCE_ANNOTATION];
    if (spec.target.creationPolicy === 'Merge') {
      if (live === undefined) {
        throw new SyncFailure('TargetNotFound', `creationPolicy Merge needs an existing Secret ${target}`);
      }
      if (owner !== undefined && owner !== name && this.#ownsWholeSecret(namespace, owner)) {
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
  #ownsWholeSecret(namespace: string, name: string): boolean {
    const raw = this.#o.sources.get(`${namespace}/${name}`);
    if (raw === undefined) return false;
    try {
      return resolveSecretSourceSpec(parseSecretSource(raw)).target.creationPolicy !== 'Merge';
    } catch {
      return true; // unreadable: assume the worst, and leave its Secret alone
    }
  }

  async #ensureFinalizer(source: SecretSource, spec: ResolvedSecretSourceSpec): Promise<void> {
    const wanted = needsFinalizer(spec);
    const present = source.metadata.finalizers?.includes(FINALIZER) ?? false;
    if (wanted !== present) await this.#setFinalizer(involved(source), wanted);
  }

  /** What deletionPolicy asks for when the SecretSource goes away, then lets it go. */
  async #finalize(source: SecretSource, spec: ResolvedSecretSourceSpec): Promise<ReconcileResult> {
    const { namespace, name } = source.metadata;
    this.#schedule.forget(`${namespace}/${name}`);
    if (!source.metadata.finalizers?.includes(FINALIZER)) return {};
    try {
      await this.#letGoOfTarget(source, spec);
      await this.#setFinalizer(involved(source), false);
      return {};
    } catch (error) {
      // The finalizer stays until its work is done: the failure is reported, and retried.
      const failure = toSyncFailure(error);
      await this.#reportFailure(source, spec, failure);
      return failure.retryable ? { retry: true } : {};
    }
  }

  /** Deletes the Secret (or our keys of it) or releases it, as deletionPolicy says, if it is ours. */
  async #letGoOfTarget(source: SecretSource, spec: ResolvedSecretSourceSpec): Promise<void> {
    const { namespace, name, uid } = source.metadata;
    const target = spec.target.name;
    const live = await this.#readSecret(namespace, target);
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
          this.#o.kube.applySecret(
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
          this.#o.kube.deleteSecret(namespace, target, live.metadata!.uid!),
        );
      }
      this.#o.events.record(
        involved(source),
        'Normal',
        'Deleted',
        `Deleted Secret ${target} (deletionPolicy Delete)`,
      );
    } else {
      await writing(`releasing Secret ${target}`, () =>
        this.#o.kube.releaseSecret(namespace, target, uid ?? ''),
      );
      this.#o.events.record(
        involved(source),
        'Normal',
        'Retained',
        `Kept Secret ${target} (deletionPolicy Retain)`,
      );
    }
  }

  async #reportFailure(
    source: SecretSource | InvolvedObject,
    spec: ResolvedSecretSourceSpec | undefined,
    failure: SyncFailure,
    observed?: { status?: SecretSourceStatus; generation?: number },
  ): Promise<void> {
    const object = 'metadata' in source ? involved(source) : source;
    const status = 'metadata' in source ? source.status : observed?.status;
    const generation = 'metadata' in source ? source.metadata.generation : observed?.generation;
    const key = `${object.namespace}/${object.name}`;
    this.#o.events.record(object, 'Warning', failure.reason, failure.message);
    this.#o.logger.warn(
      { secretSource: key, reason: failure.reason, detail: failure.message },
      'sync failed',
    );
    const ready = findCondition(status?.conditions, 'Ready');
    if (ready?.status === 'False' && ready.reason === failure.reason && ready.message === failure.message)
      return;
    const now = new Date(this.#o.clock.now());
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
      await this.#o.kube.patchSecretSourceStatus(object.namespace!, object.name, patch);
      this.#ownWrites.recordStatus(key, object.uid, generation, { ...status, ...patch });
    } catch (error) {
      this.#o.logger.warn({ secretSource: key, detail: kubeErrorMessage(error) }, 'status update failed');
    }
  }
}

export function needsFinalizer(spec: ResolvedSecretSourceSpec): boolean {
  const { creationPolicy, deletionPolicy } = spec.target;
  // Owner + Retain: drop the ownerReference before garbage collection would delete the Secret.
  // Orphan/Merge + Delete: nothing else would delete the Secret or our keys.
  if (creationPolicy === 'Owner') return deletionPolicy === 'Retain';
  return deletionPolicy === 'Delete';
}

/**
 * Whether the generated values are due for a new rotation: the refresh after the last one has come
 * (counted without jitter, so a jittered refresh is never skipped), or there was none yet.
 */
function rotationDue(spec: ResolvedSecretSourceSpec, rotatedAt: string | undefined, now: number): boolean {
  const last = rotatedAt ? Date.parse(rotatedAt) : NaN;
  if (Number.isNaN(last)) return true;
  const { jitter: _jitter, ...timing } = spec.refresh;
  return nextRefresh(timing, new Date(last), () => 0, new Date(last)).getTime() <= now + MIN_REFRESH_DELAY_MS;
}

/**
 * Whether the values changed since the last sync status recorded. Not on the first sync (nothing
 * ran on the old values), and not on an upgrade from an unkeyed hash (that cannot be compared).
 */
function contentChanged(previous: string | undefined, next: string): boolean {
  return isFingerprint(previous) && previous !== next;
}

/** The Ready message's note on provider warnings: the first few, and how many more. */
function warningNote(warnings: readonly ProviderWarning[]): string {
  if (warnings.length === 0) return '';
  const shown = warnings.slice(0, MAX_WARNINGS_IN_MESSAGE).map((warning) => warning.message);
  const more = warnings.length - shown.length;
  return `; warning: ${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

function emptyResult(what: string): SyncFailure {
  return new SyncFailure(
    'EmptyResult',
    `${what}; the Secret is kept as it is (spec.allowEmpty: true accepts an empty result)`,
  );
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

/** Whether a SecretSource's credentials are issued under leases (dataFrom[].dynamic; the schema keeps them alone). */
function isLeaseDriven(spec: ResolvedSecretSourceSpec): boolean {
  return spec.dataFrom.some((entry) => entry.dynamic !== undefined);
}

/** The Ready message of a synced SecretSource; with dynamic credentials, when they expire. */
function readyMessage(keys: number, provider: string, leases: LeaseReport | undefined): string {
  const expiry = leases?.expiresAt ? `; the credentials expire at ${leases.expiresAt.toISOString()}` : '';
  return `${keys} keys from ${provider}${expiry}`;
}

/**
 * How status.lastForceSync records a force-sync value: verbatim when it fits the field, else its
 * digest (the annotation is no secret), so a long value cannot make every status write fail.
 */
function forceSyncRecord(value: string | undefined): string | undefined {
  if (value === undefined || value.length <= MAX_LAST_FORCE_SYNC_LENGTH) return value;
  return `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

function toSyncFailure(error: unknown): SyncFailure {
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
async function writing<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw new SyncFailure('WriteFailed', `${what}: ${kubeErrorMessage(error)}`);
  }
}

function involved(source: SecretSource): InvolvedObject {
  return {
    apiVersion: API_VERSION,
    kind: 'SecretSource',
    name: source.metadata.name,
    namespace: source.metadata.namespace,
    uid: source.metadata.uid,
  };
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
