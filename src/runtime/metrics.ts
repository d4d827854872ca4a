// Prometheus metrics on a registry of our own, so tests and embedders never share global state.
// Labels are small fixed sets (results, operations, resource kinds): never names, paths or values.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type SyncResult = 'written' | 'unchanged' | 'error';
export type ProviderCallStatus =
  'ok' | 'not_found' | 'unauthorized' | 'throttled' | 'unavailable' | 'invalid_ref' | 'error';
export type KubeWriteVerb = 'apply' | 'create' | 'update' | 'patch' | 'delete';
export type Readiness = 'True' | 'False' | 'Unknown';
export type ObjectsByReadiness = Readonly<Record<Readiness, number>>;

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC); on by default. */
  defaultMetrics?: boolean;
}

const READINESS: readonly Readiness[] = ['True', 'False', 'Unknown'];

export class Metrics {
  readonly registry = new Registry();
  #queueDepth: () => number = () => 0;
  #objects: () => ObjectsByReadiness = () => ({ True: 0, False: 0, Unknown: 0 });

  readonly #syncs = new Counter({
    name: 'secretsource_sync_total',
    help: 'Completed SecretSource syncs by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly #syncDuration = new Histogram({
    name: 'secretsource_sync_duration_seconds',
    help: 'Time to reconcile one SecretSource, from dequeue to status written.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly #providerCalls = new Counter({
    name: 'secretsource_provider_calls_total',
    help: 'Calls to secret providers by provider kind, operation and outcome.',
    labelNames: ['provider', 'operation', 'status'] as const,
    registers: [this.registry],
  });
  readonly #kubeWrites = new Counter({
    name: 'secretsource_kube_writes_total',
    help: 'Writes to the Kubernetes API by resource and verb.',
    labelNames: ['resource', 'verb'] as const,
    registers: [this.registry],
  });
  readonly #rotations = new Counter({
    name: 'secretsource_rotations_total',
    help: 'spec.generate values written to their backend (rotated), or rotations that failed, by provider.',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });
  readonly #workloadRestarts = new Counter({
    name: 'secretsource_workload_restarts_total',
    help: 'Restart targets rolled after a Secret content change, by workload kind and result.',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });
  readonly #certificateNotAfter = new Gauge({
    name: 'secretsource_certificate_not_after_timestamp_seconds',
    help: 'Expiry (Unix seconds) of the certificate in the Secret a SecretSource manages, for alerts before it breaks.',
    labelNames: ['namespace', 'secretsource'] as const,
    registers: [this.registry],
  });

  readonly #leaseRenewals = new Counter({
    name: 'secretsource_lease_renewals_total',
    help: 'Lease renewals of dynamic credentials by result: renewed, max_ttl (granted less than asked, so the credentials are replaced) or error (replaced too).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly #dynamicIssues = new Counter({
    name: 'secretsource_dynamic_issues_total',
    help: 'New dynamic credentials issued for a SecretSource (all its entries at once) by reason and result.',
    labelNames: ['reason', 'result'] as const,
    registers: [this.registry],
  });
  readonly #leaseRevocations = new Counter({
    name: 'secretsource_lease_revocations_total',
    help: 'Leases of replaced dynamic credentials revoked after spec.lease.revokeAfter, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly #leaseExpiry = new Gauge({
    name: 'secretsource_lease_expiry_timestamp_seconds',
    help: 'When (Unix seconds) the first of the dynamic credentials in the Secret a SecretSource manages expires unless renewed, for alerts before it breaks.',
    labelNames: ['namespace', 'secretsource'] as const,
    registers: [this.registry],
  });

  readonly #nextRefresh = new Gauge({
    name: 'secretsource_next_refresh_timestamp_seconds',
    help: 'When (Unix seconds) a SecretSource is next refreshed (a rotation, for spec.generate; a renewal or replacement, for dynamic credentials). Absent for sources refreshed only when they change.',
    labelNames: ['namespace', 'secretsource'] as const,
    registers: [this.registry],
  });

  constructor(options: MetricsOptions = {}) {
    const queueDepth: Gauge = new Gauge({
      name: 'secretsource_queue_depth',
      help: 'Keys waiting in the work queue, not counting scheduled refreshes that are not yet due.',
      registers: [this.registry],
      collect: () => queueDepth.set(this.#queueDepth()),
    });
    const objects: Gauge<'ready'> = new Gauge({
      name: 'secretsource_objects',
      help: 'SecretSources by the status of their Ready condition.',
      labelNames: ['ready'] as const,
      registers: [this.registry],
      collect: () => {
        const counts = this.#objects();
        for (const ready of READINESS) objects.set({ ready }, counts[ready]);
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  rotation(provider: string, result: 'rotated' | 'error'): void {
    this.#rotations.inc({ provider, result });
  }

  workloadRestart(kind: string, result: 'restarted' | 'not_found' | 'error'): void {
    this.#workloadRestarts.inc({ kind, result });
  }

  /** Supplies the queue depth, read at scrape time (the queue is usually built after the metrics). */
  setQueueDepthSource(read: () => number): void {
    this.#queueDepth = read;
  }

  /** Supplies SecretSource counts by Ready status, read at scrape time. */
  setObjectReadinessSource(read: () => ObjectsByReadiness): void {
    this.#objects = read;
  }

  syncFinished(result: SyncResult, seconds: number): void {
    this.#syncs.inc({ result });
    this.#syncDuration.observe(seconds);
  }

  /** Sets (or, for a Secret that holds no certificate, removes) one SecretSource's certificate expiry. */
  certificateNotAfter(namespace: string, secretsource: string, notAfter: Date | undefined): void {
    if (notAfter === undefined) this.#certificateNotAfter.remove({ namespace, secretsource });
    else this.#certificateNotAfter.set({ namespace, secretsource }, notAfter.getTime() / 1000);
  }

  leaseRenewal(result: 'renewed' | 'max_ttl' | 'error'): void {
    this.#leaseRenewals.inc({ result });
  }

  /** `reason`: why new credentials were issued (lease-plan.ts IssueReason), a small fixed set. */
  dynamicIssue(reason: string, result: 'issued' | 'error'): void {
    this.#dynamicIssues.inc({ reason, result });
  }

  leaseRevocation(result: 'revoked' | 'error'): void {
    this.#leaseRevocations.inc({ result });
  }

  /** Sets (or, for a SecretSource without dynamic credentials, removes) when its credentials expire. */
  leaseExpiry(namespace: string, secretsource: string, expiresAt: Date | undefined): void {
    if (expiresAt === undefined) this.#leaseExpiry.remove({ namespace, secretsource });
    else this.#leaseExpiry.set({ namespace, secretsource }, expiresAt.getTime() / 1000);
  }

  /** Sets (or, for a source no clock wakes, removes) when a SecretSource is next refreshed. */
  nextRefresh(namespace: string, secretsource: string, at: Date | undefined): void {
    if (at === undefined) this.#nextRefresh.remove({ namespace, secretsource });
    else this.#nextRefresh.set({ namespace, secretsource }, at.getTime() / 1000);
  }

  /**
   * `provider` is the provider kind ("vault", "aws", "azure"), never a connection name or path;
   * `operation` one its provider declares (src/providers/<type>/operations.ts, held there by the type).
   */
  providerCall(provider: string, operation: string, status: ProviderCallStatus, count = 1): void {
    this.#providerCalls.inc({ provider, operation, status }, count);
  }

  /** `resource` is the plural resource ("secrets", "secretsources", "events", "leases", "deployments"). */
  kubeWrite(resource: string, verb: KubeWriteVerb): void {
    this.#kubeWrites.inc({ resource, verb });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text for /metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
