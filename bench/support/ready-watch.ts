// Follows the Ready condition of every SecretSource in a namespace through one watch, so the bench
// can see progress without listing N objects over and over (at N=10,000 each list costs the API
// server about 2 CPU seconds, which the operator then lacks on a 2-core machine).
import * as k8s from '@kubernetes/client-node';

interface Watched {
  metadata?: { name?: string; resourceVersion?: string };
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}

/** "True", "False/<reason>", "Unknown/<reason>" or "no status". */
export function readyState(object: Watched): string {
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return 'no status';
  return ready.status === 'True' ? 'True' : `${ready.status}/${ready.reason ?? ''}`;
}

export class ReadyWatch {
  readonly #kc: k8s.KubeConfig;
  readonly #path: string;
  readonly #custom: k8s.CustomObjectsApi;
  readonly #namespace: string;
  readonly #states = new Map<string, string>();
  #abort: AbortController | undefined;
  #stopped = false;
  /** Times the watch ended and was started again (after a relist). */
  restarts = 0;

  constructor(kc: k8s.KubeConfig, namespace: string) {
    this.#kc = kc;
    this.#namespace = namespace;
    this.#custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.#path = `/apis/secretsource.dev/v1alpha1/namespaces/${namespace}/secretsources`;
  }

  async start(): Promise<void> {
    const list = (await this.#custom.listNamespacedCustomObject({
      group: 'secretsource.dev',
      version: 'v1alpha1',
      namespace: this.#namespace,
      plural: 'secretsources',
    })) as { metadata?: { resourceVersion?: string }; items: Watched[] };
    this.#states.clear();
    for (const item of list.items) this.#states.set(item.metadata?.name ?? '', readyState(item));
    this.#abort = await new k8s.Watch(this.#kc).watch(
      this.#path,
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (phase: string, object: Watched) => {
        const name = object.metadata?.name;
        if (phase === 'ERROR' || name === undefined) return;
        if (phase === 'DELETED') this.#states.delete(name);
        else if (phase !== 'BOOKMARK') this.#states.set(name, readyState(object));
      },
      () => {
        if (this.#stopped) return;
        this.restarts++;
        setTimeout(() => void this.start().catch(() => this.#retryLater()), 1_000);
      },
    );
  }

  readyCount(): number {
    let ready = 0;
    for (const state of this.#states.values()) if (state === 'True') ready++;
    return ready;
  }

  /** SecretSources by Ready state. */
  states(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const state of this.#states.values()) counts[state] = (counts[state] ?? 0) + 1;
    return counts;
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }

  #retryLater(): void {
    if (!this.#stopped) setTimeout(() => void this.start().catch(() => this.#retryLater()), 1_000);
  }
}
