// The ceiling every report is measured against: a plain client (the same @kubernetes/client-node,
// one pooled connection dispatcher) making the minimal writes a first sync needs per object — the
// Secret (server-side apply) and the object's status (a merge patch of the status subresource) — at
// the operator's concurrency, with no operator running. Per-object latencies give the burst
// scenario its ceiling too.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { createNamespace } from '../../e2e/support/kube.js';
import { BenchNamespace, SECRET_SOURCES } from './bench-namespace.js';
import { mapBounded } from './bounded.js';
import { withReusedConnections } from './kube-connections.js';
import { CpuMark, seconds } from './measure.js';
import { createSource } from './objects.js';
import { round } from './proc.js';
import { percentile } from './secret-arrivals.js';

const APPLY_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
const MERGE_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const MANAGED_LABEL = 'secretsource.dev/managed';

export interface Ceiling {
  concurrency: number;
  objects: number;
  /** Writes per object: Secret apply and status patch. */
  writesPerObject: 2;
  seconds: number;
  objectsPerSecond: number;
  /** One object's two writes, from the first request to the second response. */
  perObjectP50Ms: number | undefined;
  perObjectP99Ms: number | undefined;
  cpuSeconds: Record<string, number>;
}

/** N SecretSources exist (untimed), then each gets its Secret and its status, `concurrency` in flight. */
export async function measureCeiling(options: {
  kc: k8s.KubeConfig;
  n: number;
  concurrency: number;
  createConcurrency: number;
  pids: Record<string, number>;
  log: (message: string) => void;
}): Promise<Ceiling> {
  const { kc, n, concurrency, log } = options;
  const name = await createNamespace(kc, 'bench-ceiling');
  const namespace = new BenchNamespace(kc, name, SECRET_SOURCES, `${MANAGED_LABEL}=true`);
  try {
    const setup = kc.makeApiClient(k8s.CustomObjectsApi);
    const names = Array.from({ length: n }, (_, i) => `c-${i}`);
    const ref = { path: 'ceiling/none', property: 'value' };
    await mapBounded(names, options.createConcurrency, (object) =>
      createSource(setup, name, object, ref, { interval: '1h' }),
    );
    const pooled = withReusedConnections(kc);
    const core = pooled.makeApiClient(k8s.CoreV1Api);
    const custom = pooled.makeApiClient(k8s.CustomObjectsApi);
    const cpu = new CpuMark(options.pids);
    const latencies: number[] = [];
    const started = Date.now();
    await mapBounded(names, concurrency, async (object) => {
      const began = Date.now();
      await applySecret(core, name, object);
      await patchStatus(custom, name, object);
      latencies.push(Date.now() - began);
    });
    const elapsed = seconds(Date.now() - started);
    const ceiling: Ceiling = {
      concurrency,
      objects: n,
      writesPerObject: 2,
      seconds: elapsed,
      objectsPerSecond: round(n / Math.max(elapsed, 0.001), 1),
      perObjectP50Ms: percentile(latencies, 50),
      perObjectP99Ms: percentile(latencies, 99),
      ...cpu.since(),
    };
    log(`ceiling: ${n} objects (Secret + status) in ${elapsed}s at concurrency ${concurrency}`);
    return ceiling;
  } finally {
    await namespace.deleteAndWait(options.createConcurrency, log);
  }
}

async function applySecret(api: k8s.CoreV1Api, namespace: string, name: string): Promise<void> {
  await api.patchNamespacedSecret(
    {
      name,
      namespace,
      fieldManager: 'secretsource-bench',
      force: true,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name,
          namespace,
          labels: { [MANAGED_LABEL]: 'true' },
          annotations: { 'secretsource.dev/source': name, 'secretsource.dev/content-hash': 'sha256:bench' },
        },
        type: 'Opaque',
        data: { value: randomBytes(16).toString('base64') },
      },
    },
    APPLY_PATCH,
  );
}

async function patchStatus(api: k8s.CustomObjectsApi, namespace: string, name: string): Promise<void> {
  const now = new Date().toISOString();
  await api.patchNamespacedCustomObjectStatus(
    {
      ...SECRET_SOURCES,
      namespace,
      name,
      body: {
        status: {
          observedGeneration: 1,
          lastSyncTime: now,
          syncedHash: 'sha256:bench',
          conditions: [
            { type: 'Ready', status: 'True', reason: 'Synced', message: 'bench', lastTransitionTime: now },
          ],
        },
      },
    },
    MERGE_PATCH,
  );
}
