// Follows the Ready condition of every SecretSource in a namespace through one watch, so the bench
// can see progress without listing N objects over and over (at N=10,000 each list costs the API
// server about 2 CPU seconds, which the operator then lacks on a 2-core machine).
import * as k8s from '@kubernetes/client-node';
import { SECRET_SOURCES, type ObjectKind } from './bench-namespace.js';
import { openSockets, round } from './proc.js';

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
  readonly #kind: ObjectKind;
  readonly #states = new Map<string, string>();
  #abort: AbortController | undefined;
  #stopped = false;
  /** Times the watch ended and was started again (after a relist). */
  restarts = 0;

  /** `kind`: SecretSources, or ESO's ExternalSecrets (the same Ready condition). */
  constructor(kc: k8s.KubeConfig, namespace: string, kind: ObjectKind = SECRET_SOURCES) {
    this.#kc = kc;
    this.#namespace = namespace;
    this.#kind = kind;
    this.#custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.#path = `/apis/${kind.group}/${kind.version}/namespaces/${namespace}/${kind.plural}`;
  }

  async start(): Promise<void> {
    const list = (await this.#custom.listNamespacedCustomObject({
      ...this.#kind,
      namespace: this.#namespace,
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

export interface ReadyProgress {
  /** Seconds from the operator's spawn until the first, half and all were Ready. */
  firstReadyS?: number;
  halfReadyS?: number;
  allReadyS: number;
  /** Most sockets the operator had open at one observation. */
  peakSockets: number;
  watchRestarts: number;
  /** [seconds from the spawn, Ready] at the first observation and whenever the count changed. */
  samples: [number, number][];
}

/** Fail when the Ready count has not grown for this long (a misconfiguration, not a slow run). */
const STALL_MS = 60_000;
const OBSERVE_MS = 250;

/**
 * Watches until all `n` objects are Ready, observing every 250 ms (one watch: at N=10,000 a list of
 * all costs the API server about 2 CPU seconds, which the operator would lack).
 */
export async function waitAllReady(options: {
  kc: k8s.KubeConfig;
  namespace: string;
  kind: ObjectKind;
  n: number;
  started: number;
  timeoutMs: number;
  pid: number;
  exitCode: () => number | null;
  log: (message: string) => void;
}): Promise<ReadyProgress> {
  const { n, started, log } = options;
  let firstReadyS: number | undefined;
  let halfReadyS: number | undefined;
  let peakSockets = 0;
  let lastLog = Date.now();
  let lastReady = -1;
  let progressAt = Date.now();
  const samples: [number, number][] = [];
  const watch = new ReadyWatch(options.kc, options.namespace, options.kind);
  await watch.start();
  try {
    for (;;) {
      const observed = Date.now();
      const states = watch.states();
      peakSockets = Math.max(peakSockets, openSockets(options.pid) ?? 0);
      const ready = states.True ?? 0;
      const at = round((observed - started) / 1000, 2);
      if (ready > 0) firstReadyS ??= at;
      if (ready * 2 >= n) halfReadyS ??= at;
      if (samples.length === 0 || samples.at(-1)![1] !== ready) samples.push([at, ready]);
      if (ready >= n) {
        return {
          samples,
          ...(firstReadyS === undefined ? {} : { firstReadyS }),
          ...(halfReadyS === undefined ? {} : { halfReadyS }),
          allReadyS: at,
          peakSockets,
          watchRestarts: watch.restarts,
        };
      }
      if (options.exitCode() !== null) throw new Error(`the operator exited with ${options.exitCode()}`);
      if (ready !== lastReady) {
        lastReady = ready;
        progressAt = observed;
      }
      const stalled = observed - progressAt > STALL_MS;
      if (stalled || observed - started > options.timeoutMs) {
        const why = stalled ? `no progress for ${STALL_MS / 1000}s` : `timeout ${options.timeoutMs / 1000}s`;
        throw new Error(`only ${ready} of ${n} Ready after ${at}s (${why}): ${JSON.stringify(states)}`);
      }
      if (observed - lastLog >= 10_000) {
        log(`${ready}/${n} Ready after ${at}s`);
        lastLog = observed;
      }
      await new Promise((resolve) => setTimeout(resolve, OBSERVE_MS));
    }
  } finally {
    watch.stop();
  }
}
