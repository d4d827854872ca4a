// Events are the audit trail: one for each create, update, delete and failure
// of a managed Secret. A failure that repeats while the reconcile backs off is
// recorded once per window instead of once per retry. Events are writes like
// any other: they wait for the same write limiter (--kube-qps) and are counted.
import type * as k8s from '@kubernetes/client-node';
import type { Clock } from './clock.js';
import type { WriteLimiter } from './rate-limiter.js';

export type EventType = 'Normal' | 'Warning';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

/** The controller that records Events, as their source.component and reportingController name it. */
export interface EventReporter {
  component: string;
  controller: string;
}

export interface EventRecorder {
  record(object: InvolvedObject, type: EventType, reason: string, message: string): void;
}

export class KubeEventRecorder implements EventRecorder {
  readonly #core: Pick<k8s.CoreV1Api, 'createNamespacedEvent'>;
  readonly #clock: Clock;
  readonly #repeatWindowMs: number;
  readonly #instance: string;
  readonly #reporter: EventReporter;
  readonly #lastRecorded = new Map<string, number>();
  readonly #onError: (error: unknown) => void;
  readonly #limiter: WriteLimiter | undefined;
  readonly #onWrite: () => void;

  constructor(options: {
    core: Pick<k8s.CoreV1Api, 'createNamespacedEvent'>;
    clock: Clock;
    /** Who records: the Events' source.component and reportingController. */
    reporter: EventReporter;
    instance: string;
    repeatWindowMs?: number;
    onError?: (error: unknown) => void;
    /** The Kubernetes write limiter the gateway uses, so Events count against --kube-qps too. */
    limiter?: WriteLimiter;
    /** Called for every Event created (the writes metric). */
    onWrite?: () => void;
  }) {
    this.#core = options.core;
    this.#clock = options.clock;
    this.#instance = options.instance;
    this.#reporter = options.reporter;
    this.#repeatWindowMs = options.repeatWindowMs ?? 10 * 60_000;
    this.#onError = options.onError ?? (() => undefined);
    this.#limiter = options.limiter;
    this.#onWrite = options.onWrite ?? (() => undefined);
  }

  record(object: InvolvedObject, type: EventType, reason: string, message: string): void {
    const now = this.#clock.now();
    const dedupKey = `${object.uid ?? object.name}\0${type}\0${reason}\0${message}`;
    const last = this.#lastRecorded.get(dedupKey);
    if (last !== undefined && now - last < this.#repeatWindowMs) return;
    this.#lastRecorded.set(dedupKey, now);
    this.#forgetOlderThan(now - this.#repeatWindowMs);

    const namespace = object.namespace ?? 'default';
    const time = new Date(now);
    // Events are best effort: a failure to record one must never fail a sync, and
    // waiting for the write limiter must not hold up the reconcile that records it.
    void this.#create(namespace, {
      metadata: { generateName: `${object.name}.`, namespace },
      involvedObject: { ...object, namespace: object.namespace },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.#reporter.component },
      reportingComponent: this.#reporter.controller,
      reportingInstance: this.#instance,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    });
  }

  async #create(namespace: string, body: k8s.CoreV1Event): Promise<void> {
    try {
      await this.#limiter?.take();
      await this.#core.createNamespacedEvent({ namespace, body });
      this.#onWrite();
    } catch (error) {
      this.#onError(error);
    }
  }

  #forgetOlderThan(cutoff: number): void {
    if (this.#lastRecorded.size < 10_000) return;
    for (const [key, at] of this.#lastRecorded) if (at < cutoff) this.#lastRecorded.delete(key);
  }
}
