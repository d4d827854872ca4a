// Wires the controller together: informers feed one work queue, the queue runs
// reconciles, and only the elected leader runs them. Standbys keep their
// caches warm so a takeover starts at once.
//
// What wakes a SecretSource, at which priority, and what the reconcile then
// makes of it (its SyncTrigger; none means the Secret is current and nothing
// is fetched). A key queued twice runs once; a key queued while it runs runs
// once more afterwards.
//
//   event                                         queued                     priority  SyncTrigger in reconcile
//   SecretSource added                            it                         high      spec-changed (no status yet)
//   SecretSource spec, annotations, finalizers     it                         high      spec-changed, force-sync
//     or deletion changed                                                              (or the finalizer runs)
//   SecretSource deleted                          removed from the queue     -         -
//   managed Secret edited or deleted              its owner (source          high      drift, target-missing
//                                                 annotation) and every
//                                                 writer (TargetIndex)
//   SecretProvider / ClusterSecretProvider        the provider, and every    high      spec-changed while not Ready
//     added, changed or deleted                   SecretSource using it                (a Ready one reads through the
//                                                                                      rebuilt client at its refresh)
//   Namespace labels changed                      its SecretSources          high      spec-changed while not Ready
//   leadership taken                              every SecretSource         high if   per state; a refresh missed
//                                                                            status is while no one led: refresh-due
//                                                                            behind,
//                                                                            else low
//   requeueAfter (RefreshSchedule)                it, from the delay heap    low       refresh-due (or upgrade, drift)
//   retry after a transient failure               it, after backoff          low       spec-changed (Ready is False)
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from '../kube/clock.js';
import { Informer, InformerEvent, type MetaObject } from '../kube/informer.js';
import { kubeListWatch } from '../kube/kube-list-watch.js';
import { TargetIndex } from './target-index.js';
import { WorkQueue } from '../kube/workqueue.js';
import { API_VERSION, MANAGED_LABEL, SOURCE_ANNOTATION } from '../api/v1alpha1/names.js';
import type { ReconcileResult } from './ports.js';

const API = `/apis/${API_VERSION}`;
const PROVIDER_KEY = 'provider:';

interface Meta extends MetaObject {
  metadata?: MetaObject['metadata'] & {
    uid?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: unknown;
    finalizers?: string[];
  };
  spec?: { providerRef?: { kind?: string; name?: string }; target?: { name?: string } };
}

export interface Reconcilers {
  secretSource(key: string, signal: AbortSignal): Promise<ReconcileResult>;
  forgetSecretSource(key: string): void;
  provider(
    kind: 'SecretProvider' | 'ClusterSecretProvider',
    key: string,
    signal: AbortSignal,
  ): Promise<ReconcileResult>;
  providerChanged(uid: string): Promise<void>;
}

export interface ManagerLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** One logical informer over all watched namespaces (one per namespace, or one cluster-wide). */
export class NamespacedInformers<T extends Meta> {
  readonly #byNamespace = new Map<string, Informer<T>>();
  readonly all: Informer<T>[];

  constructor(make: (namespace: string | undefined) => Informer<T>, namespaces: readonly string[]) {
    if (namespaces.length === 0) {
      this.all = [make(undefined)];
    } else {
      this.all = namespaces.map((namespace) => {
        const informer = make(namespace);
        this.#byNamespace.set(namespace, informer);
        return informer;
      });
    }
  }

  get(key: string): T | undefined {
    if (this.#byNamespace.size === 0) return this.all[0]!.get(key);
    return this.#byNamespace.get(key.slice(0, key.indexOf('/')))?.get(key);
  }

  list(): T[] {
    return this.all.flatMap((informer) => informer.list());
  }
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  namespaces: readonly string[];
  concurrency: number;
  clock: Clock;
  random: () => number;
  logger: ManagerLogger;
  /**
   * Watch ClusterSecretProviders and Namespaces (default true). Off (--cluster-providers=false),
   * both informers stay empty and unstarted: the operator makes no cluster-scoped request.
   */
  clusterProviders?: boolean;
  /** Informer limits (tests shorten them). */
  informer?: { silenceLimitMs?: number; relistIntervalMs?: number };
}

export class ControllerManager {
  readonly secretSources: NamespacedInformers<Meta>;
  readonly secretProviders: NamespacedInformers<Meta>;
  readonly managedSecrets: NamespacedInformers<Meta>;
  readonly clusterProviders: Informer<Meta>;
  readonly namespaces: Informer<Meta>;
  readonly queue: WorkQueue;
  readonly #targets = new TargetIndex();
  readonly #options: ManagerOptions;
  #reconcilers: Reconcilers | undefined;
  #leading = false;

  constructor(options: ManagerOptions) {
    this.#options = options;
    const { kubeConfig: kc, namespaces, clock, random } = options;
    const informer = <T extends Meta>(resource: string, path: string, labelSelector?: string) =>
      new Informer<T>({
        resource,
        source: kubeListWatch<T & KubernetesObject>(kc, path, { labelSelector }),
        clock,
        random,
        ...options.informer,
      });
    const scoped = (group: string, plural: string) => (namespace: string | undefined) =>
      namespace === undefined ? `${group}/${plural}` : `${group}/namespaces/${namespace}/${plural}`;

    this.secretSources = new NamespacedInformers(
      (ns) => informer('secretsources', scoped(API, 'secretsources')(ns)),
      namespaces,
    );
    this.secretProviders = new NamespacedInformers(
      (ns) => informer('secretproviders', scoped(API, 'secretproviders')(ns)),
      namespaces,
    );
    this.managedSecrets = new NamespacedInformers(
      (ns) => informer('secrets', scoped('/api/v1', 'secrets')(ns), `${MANAGED_LABEL}=true`),
      namespaces,
    );
    this.clusterProviders = informer('clustersecretproviders', `${API}/clustersecretproviders`);
    this.namespaces = informer('namespaces', '/api/v1/namespaces');
    this.queue = new WorkQueue({
      concurrency: options.concurrency,
      clock,
      random,
      onError: (error, key) => options.logger.error({ key, detail: errorName(error) }, 'reconcile crashed'),
    });
    this.#wireEvents();
  }

  get #informers(): Informer<Meta>[] {
    return [
      ...this.secretSources.all,
      ...this.secretProviders.all,
      ...this.managedSecrets.all,
      ...(this.#options.clusterProviders === false ? [] : [this.clusterProviders, this.namespaces]),
    ];
  }

  /** Starts the informers; reconciles start only with `startReconciling` (when leading). */
  async startInformers(syncTimeoutMs = 60_000): Promise<void> {
    for (const informer of this.#informers) informer.start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('informers did not sync in time')), syncTimeoutMs);
    });
    try {
      await Promise.race([Promise.all(this.#informers.map((i) => i.waitForSync())), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  startReconciling(reconcilers: Reconcilers): void {
    if (this.#leading) return;
    this.#leading = true;
    this.#reconcilers = reconcilers;
    this.queue.start((key, signal) => this.#handle(key, signal));
    // Everything once: objects whose spec the status has not caught up with first.
    for (const source of this.secretSources.list()) {
      const current = (source as { status?: { observedGeneration?: number } }).status?.observedGeneration;
      this.queue.add(keyOf(source), current === source.metadata?.generation ? 'low' : 'high');
    }
    for (const provider of this.secretProviders.list())
      this.queue.add(PROVIDER_KEY + 'SecretProvider/' + keyOf(provider), 'low');
    for (const provider of this.clusterProviders.list()) {
      this.queue.add(PROVIDER_KEY + 'ClusterSecretProvider/' + keyOf(provider), 'low');
    }
  }

  readiness(): { ready: boolean; reasons: string[] } {
    const reasons = this.#informers
      .filter((informer) => !informer.hasSynced() || !informer.isHealthy())
      .map(
        (informer) =>
          `informer ${informer.resource} is ${informer.hasSynced() ? 'not healthy' : 'not synced'}`,
      );
    return { ready: reasons.length === 0, reasons };
  }

  /** Finishes in-flight reconciles, then stops the informers. */
  async stop(): Promise<void> {
    await this.queue.shutdown({ drain: true });
    await Promise.all(this.#informers.map((informer) => informer.stop()));
  }

  async #handle(key: string, signal: AbortSignal): Promise<void> {
    const reconcilers = this.#reconcilers!;
    let result: ReconcileResult;
    try {
      if (key.startsWith(PROVIDER_KEY)) {
        const [kind, objectKey] = splitOnce(key.slice(PROVIDER_KEY.length), '/');
        result = await reconcilers.provider(
          kind as 'SecretProvider' | 'ClusterSecretProvider',
          objectKey,
          signal,
        );
      } else {
        result = await reconcilers.secretSource(key, signal);
      }
    } catch (error) {
      // The queue does not retry by itself: without this, one failed API call (a finalizer
      // patch, a Secret read) would leave the object unreconciled, its refreshes stopped and its
      // deletion stuck, until some watch event happened to queue it again.
      if (!signal.aborted) this.queue.addRateLimited(key);
      throw error;
    }
    if (result.retry) {
      this.queue.addRateLimited(key);
      return;
    }
    this.queue.forget(key);
    if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
  }

  #wireEvents(): void {
    const queue = this.queue;
    const indexTarget = (obj: Meta) =>
      this.#targets.set(keyOf(obj), obj.spec?.target?.name || obj.metadata!.name!);
    for (const informer of this.secretSources.all) {
      informer.on(InformerEvent.Added, (obj) => {
        indexTarget(obj);
        queue.add(keyOf(obj), 'high');
      });
      informer.on(InformerEvent.Updated, (old, obj) => {
        indexTarget(obj);
        // Our own status writes come back as updates; only what the user changed matters.
        if (specOrMetaChanged(old, obj)) queue.add(keyOf(obj), 'high');
      });
      informer.on(InformerEvent.Deleted, (obj) => {
        this.#targets.delete(keyOf(obj));
        queue.remove(keyOf(obj));
        this.#reconcilers?.forgetSecretSource(keyOf(obj));
      });
    }
    // A managed Secret edited or deleted by hand: the SecretSources that write it repair it.
    for (const informer of this.managedSecrets.all) {
      const repair = (secret: Meta) => {
        const namespace = secret.metadata?.namespace;
        const owner = secret.metadata?.annotations?.[SOURCE_ANNOTATION];
        if (owner) queue.add(`${namespace}/${owner}`, 'high');
        for (const writer of this.#targets.writersOf(`${namespace}/${secret.metadata?.name}`)) {
          queue.add(writer, 'high');
        }
      };
      informer.on(InformerEvent.Updated, (_old, obj) => repair(obj));
      informer.on(InformerEvent.Deleted, repair);
    }
    const providerChanged = (kind: 'SecretProvider' | 'ClusterSecretProvider') => (obj: Meta, old?: Meta) => {
      if (old && old.metadata?.generation === obj.metadata?.generation && !obj.metadata?.deletionTimestamp)
        return;
      const uid = obj.metadata?.uid;
      const invalidated = uid ? this.#reconcilers?.providerChanged(uid) : undefined;
      void Promise.resolve(invalidated).then(() => {
        queue.add(PROVIDER_KEY + `${kind}/` + keyOf(obj), 'high');
        this.#enqueueUsersOf(kind, obj);
      });
    };
    for (const informer of this.secretProviders.all) {
      informer.on(InformerEvent.Added, (obj) => providerChanged('SecretProvider')(obj));
      informer.on(InformerEvent.Updated, (old, obj) => providerChanged('SecretProvider')(obj, old));
      informer.on(InformerEvent.Deleted, (obj) => providerChanged('SecretProvider')(obj));
    }
    this.clusterProviders.on(InformerEvent.Added, (obj) => providerChanged('ClusterSecretProvider')(obj));
    this.clusterProviders.on(InformerEvent.Updated, (old, obj) =>
      providerChanged('ClusterSecretProvider')(obj, old),
    );
    this.clusterProviders.on(InformerEvent.Deleted, (obj) => providerChanged('ClusterSecretProvider')(obj));
    // Namespace labels decide which namespaces a ClusterSecretProvider admits.
    this.namespaces.on(InformerEvent.Updated, (old, obj) => {
      if (JSON.stringify(old.metadata?.labels ?? {}) === JSON.stringify(obj.metadata?.labels ?? {})) return;
      for (const source of this.secretSources.list()) {
        if (source.metadata?.namespace === obj.metadata?.name) queue.add(keyOf(source), 'high');
      }
    });
    for (const informer of this.#informers) {
      informer.on(InformerEvent.Error, (error) =>
        this.#options.logger.warn(
          { resource: informer.resource, detail: errorName(error) },
          'informer error; retrying',
        ),
      );
    }
  }

  #enqueueUsersOf(kind: string, provider: Meta): void {
    const name = provider.metadata?.name;
    const namespace = provider.metadata?.namespace;
    for (const source of this.secretSources.list()) {
      const ref = source.spec?.providerRef;
      if (ref?.kind !== kind || ref.name !== name) continue;
      if (kind === 'SecretProvider' && source.metadata?.namespace !== namespace) continue;
      this.queue.add(keyOf(source), 'high');
    }
  }
}

function keyOf(obj: Meta): string {
  const { namespace, name } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name}` : `${name}`;
}

function specOrMetaChanged(old: Meta, obj: Meta): boolean {
  const a = old.metadata ?? {};
  const b = obj.metadata ?? {};
  return (
    a.generation !== b.generation ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []) ||
    Boolean(a.deletionTimestamp) !== Boolean(b.deletionTimestamp)
  );
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + 1)];
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
