// The reconciler with fakes around it (fakes.ts), a clock and a "server" the informers can catch
// up with: the world secret-source/reconcile.test.ts and the dynamic-secrets tests run in.
import { randomBytes } from 'node:crypto';
import type { SecretSource, SecretSourceStatus } from '../../api/v1alpha1/index.js';
import { CoalescingReader, ReadCoalescer } from '../../providers/read-coalescer.js';
import { ContentFingerprint } from '../../secrets/fingerprint.js';
import { MANAGED_LABEL } from '../../api/v1alpha1/names.js';
import { FakeClock } from '../../kube/clock.js';
import type { Condition } from '../../kube/conditions.js';
import { backoffDelay } from '../../kube/rate-limiter.js';
import { DEFAULT_BACKOFF } from '../../kube/workqueue.js';
import type { LiveSecret } from '../ports.js';
import { ProviderResolver } from '../provider-resolver.js';
import type { ReconcileResult, SyncMetrics } from '../ports.js';
import { SecretSourceReconciler } from '../secret-source/reconcile.js';
import {
  FakeBackend,
  FakeKubeGateway,
  FakeProviderClient,
  FakeProviderClients,
  FakeSecretsEngine,
  MapStore,
  RecordingEventRecorder,
  RecordingLogger,
} from './fakes.js';
import { namespace, secretProvider } from './fixtures.js';

export const START = Date.parse('2026-03-01T00:00:00Z');
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const KEY = 'payments/db';
export const TARGET = { namespace: 'payments', name: 'db' };

export const b64 = (text: string): string => Buffer.from(text).toString('base64');
export const decoded = (data: Record<string, string> | undefined, key: string): string | undefined =>
  data?.[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString();

/** The reconciler with fakes around it, and a "server" the informers can catch up with. */
export class World {
  readonly clock = new FakeClock(START);
  readonly sources = new MapStore<unknown>();
  readonly managedSecrets = new MapStore<LiveSecret>();
  readonly providers = new MapStore<unknown>();
  readonly clusterProviders = new MapStore<unknown>();
  readonly namespaces = new MapStore<unknown>();
  readonly kube = new FakeKubeGateway();
  readonly backend = new FakeBackend();
  readonly client = new FakeProviderClient(this.backend);
  readonly clients = new FakeProviderClients(this.client);
  readonly events = new RecordingEventRecorder();
  readonly logger = new RecordingLogger();
  readonly syncResults: string[] = [];
  /** Every metrics call but syncFinished, as [method, ...arguments]. */
  readonly metricCalls: unknown[][] = [];
  /** The secrets engine behind the client's issue, renewLease and revokeLease. */
  readonly engine = new FakeSecretsEngine(this.clock);
  /** Every secret value a test generated, to prove none leaks. */
  readonly values = new Set<string>();
  readonly fingerprint = new ContentFingerprint(randomBytes(32));
  /** The reconciler's randomness (jitter); the middle of every range unless a test says otherwise. */
  random: () => number = () => 0.5;
  reconciler!: SecretSourceReconciler;
  #settled = 0;

  constructor() {
    this.engine.serve(this.client);
    this.providers.set('payments/vault', secretProvider());
    this.namespaces.set('payments', namespace('payments'));
    this.restart();
  }

  /** A new reconciler (a restarted operator) over the same stores. */
  restart(): void {
    this.reconciler = new SecretSourceReconciler({
      sources: this.sources,
      managedSecrets: this.managedSecrets,
      providers: new ProviderResolver({
        providers: this.providers,
        clusterProviders: this.clusterProviders,
        namespaces: this.namespaces,
      }),
      kube: this.kube,
      clients: this.clients,
      reader: new CoalescingReader(new ReadCoalescer({ clock: this.clock, windowMs: 5 * SECOND })),
      events: this.events,
      logger: this.logger,
      metrics: recordingMetrics(this.syncResults, this.metricCalls),
      fingerprint: this.fingerprint,
      clock: this.clock,
      random: () => this.random(),
    });
  }

  secretValue(): string {
    const value = randomBytes(16).toString('hex');
    this.values.add(value);
    return value;
  }

  put(source: SecretSource): SecretSource {
    this.sources.set(`${source.metadata.namespace}/${source.metadata.name}`, source);
    return source;
  }

  source(key = KEY): SecretSource {
    return this.sources.get(key) as SecretSource;
  }

  /** Edits the stored object; `spec` edits bump the generation as the API server does. */
  edit(mutate: (source: SecretSource) => void, { specChange = false } = {}, key = KEY): void {
    const source = structuredClone(this.source(key));
    mutate(source);
    if (specChange) source.metadata.generation = (source.metadata.generation ?? 1) + 1;
    this.put(source);
  }

  markDeleted(key = KEY): void {
    this.edit((s) => (s.metadata.deletionTimestamp = new Date(this.clock.now()).toISOString()), {}, key);
  }

  reconcile(key = KEY): Promise<ReconcileResult> {
    return this.reconciler.reconcile(key, new AbortController().signal);
  }

  /** The informers catch up: our status and finalizer writes, and the managed Secrets. */
  settle(): void {
    for (const call of this.kube.calls.slice(this.#settled)) {
      if (call.op === 'patchSecretSourceStatus') {
        const key = `${call.namespace}/${call.name}`;
        const source = this.sources.get(key) as SecretSource | undefined;
        // A merge patch as JSON: undefined fields are not sent.
        const patch = JSON.parse(JSON.stringify(call.status)) as SecretSourceStatus;
        if (source) this.put({ ...source, status: { ...source.status, ...patch } });
      } else if (call.op === 'setFinalizer') {
        const key = `${call.namespace}/${call.name}`;
        const source = this.sources.get(key) as SecretSource | undefined;
        if (!source) continue;
        const others = (source.metadata.finalizers ?? []).filter((f) => f !== call.finalizer);
        const finalizers = call.present ? [...others, call.finalizer] : others;
        if (source.metadata.deletionTimestamp && finalizers.length === 0) this.sources.delete(key);
        else this.put({ ...source, metadata: { ...source.metadata, finalizers } });
      }
    }
    this.#settled = this.kube.calls.length;
    for (const key of this.managedSecrets.keys()) this.managedSecrets.delete(key);
    for (const [key, secret] of this.kube.secrets) {
      if (secret.metadata?.labels?.[MANAGED_LABEL] === 'true')
        this.managedSecrets.set(key, structuredClone(secret));
    }
  }

  /** Reconciles, then lets the informers catch up. */
  async sync(key = KEY): Promise<ReconcileResult> {
    const result = await this.reconcile(key);
    this.settle();
    return result;
  }

  writeCount(): number {
    return this.kube.calls.length;
  }

  /**
   * The status as the API server holds it after every merge patch so far, of `key`'s source
   * (by default the source whose status was written last).
   */
  lastStatus(key?: string): Record<string, unknown> {
    const patches = this.kube.writes('patchSecretSourceStatus');
    const last = patches[patches.length - 1];
    key ??= last ? `${last.namespace}/${last.name}` : KEY;
    const status: Record<string, unknown> = {};
    for (const patch of patches) {
      if (`${patch.namespace}/${patch.name}` !== key) continue;
      for (const [field, value] of Object.entries(patch.status)) {
        if (value === null) delete status[field];
        else status[field] = value;
      }
    }
    return status;
  }

  ready(status = this.lastStatus()): Condition | undefined {
    return (status.conditions as Condition[] | undefined)?.find((c) => c.type === 'Ready');
  }

  liveSecret(key = KEY): LiveSecret | undefined {
    return this.kube.secrets.get(key);
  }

  /** Edits the Secret on the server and in the informer cache (a `kubectl edit`). */
  editSecret(mutate: (secret: LiveSecret) => void, key = KEY): void {
    this.kube.updateSecret(key, mutate);
    this.settle();
  }

  /** Nothing a test generated shows up where values must never be. */
  assertNoValueLeaks(): void {
    const visible = JSON.stringify([
      this.events.events,
      this.logger.entries,
      this.kube.writes('patchSecretSourceStatus'),
    ]);
    for (const value of this.values) {
      if (visible.includes(value) || visible.includes(b64(value))) {
        throw new Error('a generated secret value appears in events, logs or status');
      }
    }
  }

  /**
   * Reconciles KEY as the work queue would for `hours` of fake time: a throw or `retry` comes back
   * after the queue's backoff, `requeueAfterMs` after that long, and `{}` waits for an event (none
   * comes here). Returns how many reconciles ran.
   */
  async runAsQueue(hours: number, key = KEY): Promise<number> {
    const end = this.clock.now() + hours * HOUR;
    let failures = 0;
    let runs = 0;
    while (this.clock.now() < end) {
      if (++runs > 10_000) throw new Error(`${key} reconciled more than 10,000 times`);
      let result: ReconcileResult;
      try {
        result = await this.sync(key);
      } catch {
        this.settle();
        result = { retry: true };
      }
      let delay: number;
      if (result.retry) delay = backoffDelay(++failures, DEFAULT_BACKOFF, () => 0.5);
      else if (result.requeueAfterMs === undefined) break;
      else [delay, failures] = [result.requeueAfterMs, 0];
      // Time stops at the end: what is due later does not run.
      this.clock.advance(Math.min(delay, end - this.clock.now()));
    }
    return runs;
  }
}

/** SyncMetrics that record: sync results in `results`, every other call in `calls`. */
function recordingMetrics(results: string[], calls: unknown[][]): SyncMetrics {
  const record =
    (method: string) =>
    (...args: unknown[]) => {
      calls.push([method, ...args]);
    };
  return {
    syncFinished: (result) => results.push(result),
    rotation: record('rotation'),
    workloadRestart: record('workloadRestart'),
    certificateNotAfter: record('certificateNotAfter'),
    leaseRenewal: record('leaseRenewal'),
    dynamicIssue: record('dynamicIssue'),
    leaseRevocation: record('leaseRevocation'),
    leaseExpiry: record('leaseExpiry'),
    nextRefresh: record('nextRefresh'),
  };
}
