// When each managed Secret of a namespace first appeared, seen through one watch: the bench's
// create-to-Secret latency without polling the API server (which would take CPU from the operator
// on a 2-core machine and blur what it measures).
import * as k8s from '@kubernetes/client-node';

interface Waiter {
  resolve: (at: number) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class SecretArrivals {
  readonly #kc: k8s.KubeConfig;
  readonly #namespace: string;
  readonly #labelSelector: string;
  readonly #seen = new Map<string, number>();
  readonly #waiters = new Map<string, Waiter>();
  #abort: AbortController | undefined;
  #stopped = false;

  constructor(kc: k8s.KubeConfig, namespace: string, labelSelector: string) {
    this.#kc = kc;
    this.#namespace = namespace;
    this.#labelSelector = labelSelector;
  }

  async start(): Promise<void> {
    const core = this.#kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedSecret({
      namespace: this.#namespace,
      labelSelector: this.#labelSelector,
    });
    for (const secret of list.items) this.#arrived(secret.metadata?.name, Date.now());
    this.#abort = await new k8s.Watch(this.#kc).watch(
      `/api/v1/namespaces/${this.#namespace}/secrets`,
      { labelSelector: this.#labelSelector, resourceVersion: list.metadata?.resourceVersion },
      (phase: string, secret: k8s.V1Secret) => {
        if (phase === 'ADDED' || phase === 'MODIFIED') this.#arrived(secret.metadata?.name, Date.now());
      },
      () => {
        // A watch ends now and then; a relist catches what came meanwhile (its time is later
        // than the truth, so a latency can only come out too long, never too short).
        if (!this.#stopped) setTimeout(() => void this.start().catch(() => undefined), 500);
      },
    );
  }

  /** Epoch ms at which Secret `name` was first seen; waits up to `timeoutMs` for it. */
  arrival(name: string, timeoutMs: number): Promise<number> {
    const seen = this.#seen.get(name);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(name);
        reject(new Error(`Secret ${this.#namespace}/${name} did not appear within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(name, { resolve, reject, timer });
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
    for (const waiter of this.#waiters.values()) clearTimeout(waiter.timer);
  }

  #arrived(name: string | undefined, at: number): void {
    if (name === undefined || this.#seen.has(name)) return;
    this.#seen.set(name, at);
    const waiter = this.#waiters.get(name);
    if (waiter) {
      clearTimeout(waiter.timer);
      this.#waiters.delete(name);
      waiter.resolve(at);
    }
  }
}

/** The nearest-rank percentile (p in 0..100) of `values`; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
