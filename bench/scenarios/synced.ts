// The scenarios that share one synced namespace, in the order they run:
//   cold            N objects over K = N/100 distinct secrets exist before the operator starts:
//                   time to all Ready, provider calls and Kubernetes writes of the first sync
//   steady          then one full refresh cycle with nothing changed (target: 0 writes, K reads)
//   restart         then the operator restarts: calls and writes in its first minute (target ~0)
// and, on a namespace of their own where no two objects share a secret (K = N):
//   cold-distinct   the first sync where read sharing cannot help
//   churn           then 1% of the remote values change and one refresh cycle runs: writes per
//                   changed object (target: the Secret and the status)
import { randomBytes } from 'node:crypto';
import { createNamespace } from '../../e2e/support/kube.js';
import { createBackend } from '../support/backends.js';
import { BenchNamespace, changedObjects, retried } from '../support/bench-namespace.js';
import { mapBounded } from '../support/bounded.js';
import {
  CpuMark,
  delta,
  emptyCounters,
  mib,
  reader,
  seconds,
  serverPids,
  sleep,
  waitRefreshCycle,
  waitSettled,
  type Counters,
} from '../support/measure.js';
import { leaseId, type BenchedOperator, type BenchProcess } from '../support/operators.js';
import { processMemory, round } from '../support/proc.js';
import { waitAllReady, type ReadyProgress } from '../support/ready-watch.js';
import { parseDuration } from '../../src/rotation/duration.js';
import {
  refreshIntervalFor,
  runOf,
  sharedPaths,
  sourceName,
  type ScenarioName,
  type ScenarioRun,
  type SuiteContext,
} from './context.js';

type Runs = Partial<Record<ScenarioName, ScenarioRun>>;

/** cold, steady and restart on K = N/100; cold-distinct and churn on K = N. */
export async function runSynced(ctx: SuiteContext, op: BenchedOperator, distinct: boolean): Promise<Runs> {
  const { s, kc, core, custom, log } = ctx;
  const wanted = new Set(s.scenarios);
  const paths = distinct ? s.n : sharedPaths(s.n);
  const interval = refreshIntervalFor(s, op);
  const intervalMs = parseDuration(interval);
  const backend = createBackend(s.backend, randomBytes(4).toString('hex'));
  const namespace = new BenchNamespace(
    kc,
    await createNamespace(kc, op.kind === 'eso' ? 'bench-eso' : 'bench'),
    op.objects,
    op.managedSelector,
  );
  const outputs: (() => string)[] = [];
  let proc: BenchProcess | undefined;
  const runs: Runs = {};
  try {
    const refs = await backend.createSecrets(paths, s.createConcurrency);
    await op.prepare(custom, core, namespace.name, backend);
    const createStarted = Date.now();
    await mapBounded(
      Array.from({ length: s.n }, (_, i) => i),
      s.createConcurrency,
      (i) => op.createSource(custom, namespace.name, sourceName(i, s.n), refs[i % paths]!, interval),
    );
    log(
      `${op.label}: ${s.n} objects over ${paths} secrets created in ${seconds(Date.now() - createStarted)}s; refresh ${interval}`,
    );
    const pids = serverPids(backend.server);
    const lease = leaseId();

    // cold / cold-distinct (the operator's CPU counts from its spawn: a mark right after it)
    const requestsAtStart = await backend.mark();
    const started = Date.now();
    proc = await op.start(namespace.name, {
      leaseId: lease,
      ...(s.cpuProfileDir ? { cpuProfileDir: s.cpuProfileDir } : {}),
    });
    const first = proc;
    outputs.push(() => first.output());
    pids.operator = proc.pid;
    const cpu = new CpuMark(pids);
    const progress = await waitAllReady({
      kc,
      namespace: namespace.name,
      kind: op.objects,
      n: s.n,
      started,
      timeoutMs: Math.max(600, s.n / 5) * 1000,
      pid: proc.pid,
      exitCode: () => first.exitCode(),
      log: (message) => log(`${op.label}: ${message}`),
    });
    const atReady = { ...cpu.since(), memory: processMemory(proc.pid) };
    const read = reader(proc.metricsUrl, (samples) => op.counters(samples));
    const countersAtReady = await read();
    const settled = await waitSettled(read, 10_000);
    const phases = proc.phases();
    const leaderS = phases.leader === undefined ? undefined : seconds(phases.leader - started);
    const syncSeconds = progress.allReadyS - (leaderS ?? 0);
    const initial = delta(settled, emptyCounters());
    const coldName: ScenarioName = distinct ? 'cold-distinct' : 'cold';
    log(`${op.label}: ${coldName}: all ${s.n} Ready after ${progress.allReadyS}s`);
    runs[coldName] = runOf(
      op,
      interval,
      paths,
      {
        'start -> all Ready (s)': progress.allReadyS,
        'leader -> all Ready (s)': round(syncSeconds, 2),
        'Ready per second': round(s.n / Math.max(syncSeconds, 0.001), 1),
        'provider calls': initial.providerCalls,
        'kube writes per object': round(initial.kubeWrites / s.n, 2),
        'kube writes by resource/verb': list(initial.kubeWritesByResource),
        'peak RSS at Ready (MiB)': atReady.memory.peakRssMiB,
        'peak RSS per 1,000 objects (MiB)': round((atReady.memory.peakRssMiB * 1000) / s.n, 1),
        'heap used at Ready (MiB)': mib(countersAtReady.heapUsedBytes),
        'operator CPU (s)': atReady.cpuSeconds.operator,
        'kube-apiserver CPU (s)': atReady.cpuSeconds['kube-apiserver'],
      },
      {
        secondsToLeader: leaderS,
        secondsToInformersSynced:
          phases.informersSynced === undefined ? undefined : seconds(phases.informersSynced - started),
        secondsToFirstReady: progress.firstReadyS,
        secondsToHalfReady: progress.halfReadyS,
        syncSeconds,
        providerCallsByOperation: initial.providerCallsByOperation,
        backendRequests: await backend.requestsSince(requestsAtStart),
        kubeWrites: initial.kubeWrites,
        kubeWritesByResource: initial.kubeWritesByResource,
        kubeWritesAfterAllReady: delta(settled, countersAtReady).kubeWrites,
        eventsCreated: await namespace.eventCount(),
        syncs: initial.syncs,
        rssMiBAtReady: atReady.memory.rssMiB,
        peakRssMiBAtReady: atReady.memory.peakRssMiB,
        heapUsedMiBAtReady: mib(countersAtReady.heapUsedBytes),
        peakOpenSockets: progress.peakSockets,
        watchRestarts: progress.watchRestarts,
        cpuSeconds: atReady.cpuSeconds,
        machineCpuBusyPercent: atReady.machineCpuBusyPercent,
        readyOverTime: progress.samples,
      },
    );

    let last: { counters: Counters; at: number } = {
      counters: settled,
      at: started + progress.allReadyS * 1000,
    };
    const cycleName: ScenarioName | undefined = distinct ? 'churn' : 'steady';
    if (wanted.has(cycleName)) {
      const changed = distinct ? churnIndices(paths, s.churnPercent) : [];
      if (changed.length > 0) await backend.rewriteSecrets(s.createConcurrency, changed);
      const changedSources = Array.from({ length: s.n }, (_, i) => i).filter((i) =>
        changed.includes(i % paths),
      ).length;
      const run = await refreshCycle(ctx, op, {
        namespace,
        read,
        base: last,
        intervalMs,
        progress,
        pids,
        backendMark: await backend.mark(),
        requestsSince: (mark) => backend.requestsSince(mark),
      });
      last = { counters: run.end, at: run.endAt };
      const memory = processMemory(proc.pid);
      const figures: ScenarioRun['figures'] = {
        'provider calls': run.delta.providerCalls,
        'provider calls per distinct secret': round(run.delta.providerCalls / paths, 2),
        'kube writes': run.delta.kubeWrites,
        'kube writes by resource/verb': list(run.delta.kubeWritesByResource) || 'none',
        'objects changed on the API server': run.changed.objects,
        'Secrets changed on the API server': run.changed.secrets,
        ...(distinct
          ? {
              'remote values changed': changed.length,
              'objects reading them': changedSources,
              'kube writes per changed object': round(run.delta.kubeWrites / Math.max(changedSources, 1), 2),
            }
          : {}),
        'first to last refresh (s)': run.spreadSeconds,
        'peak RSS (MiB)': memory.peakRssMiB,
        'peak RSS per 1,000 objects (MiB)': round((memory.peakRssMiB * 1000) / s.n, 1),
        'heap used (MiB)': mib(run.end.heapUsedBytes),
        'operator CPU (s)': run.cpu.cpuSeconds.operator,
      };
      runs[cycleName] = runOf(op, interval, paths, figures, {
        complete: run.complete,
        providerCallsByOperation: run.delta.providerCallsByOperation,
        backendRequests: run.requests,
        kubeWritesByResource: run.delta.kubeWritesByResource,
        eventsCreated: run.events,
        syncs: run.delta.syncs,
        cpuSeconds: run.cpu.cpuSeconds,
        machineCpuBusyPercent: run.cpu.machineCpuBusyPercent,
        rssMiB: memory.rssMiB,
      });
      log(
        `${op.label}: ${cycleName}: ${run.delta.providerCalls} provider calls, ${run.delta.kubeWrites} kube writes, ` +
          `${run.changed.objects + run.changed.secrets} objects changed`,
      );
    }

    if (!distinct && wanted.has('restart')) {
      const restarted = await restart(ctx, op, {
        namespace,
        proc,
        lease,
        paths,
        intervalMs,
        interval,
        outputs,
        backend,
      });
      runs.restart = restarted.run;
      proc = restarted.proc;
    }
    const exitCode = await proc.stop();
    proc = undefined;
    const leaked = backend.generated.filter((value) => outputs.some((output) => output().includes(value)));
    for (const run of Object.values(runs)) {
      run.detail.exitCode = exitCode;
      run.detail.generatedValuesInOutput = leaked.length;
      run.detail.benchReadRetries = { ...retried };
    }
    if (leaked.length > 0)
      throw new Error(`${leaked.length} generated values appeared in ${op.label}'s output`);
    return runs;
  } finally {
    if (proc) await proc.kill();
    await namespace.deleteAndWait(s.createConcurrency, log);
    await backend.cleanup();
  }
}

/** The first `percent`% of the K secrets (at least one). */
function churnIndices(paths: number, percent: number): number[] {
  const count = Math.max(1, Math.round((paths * percent) / 100));
  return Array.from({ length: count }, (_, i) => i);
}

/** One refresh of every object since `base`, then settled: what it cost. */
async function refreshCycle(
  ctx: SuiteContext,
  op: BenchedOperator,
  options: {
    namespace: BenchNamespace;
    read: () => Promise<Counters>;
    base: { counters: Counters; at: number };
    intervalMs: number;
    progress: ReadyProgress;
    pids: Record<string, number>;
    backendMark: number;
    requestsSince: (mark: number) => Promise<Record<string, number> | undefined>;
  },
) {
  const { namespace, read, base } = options;
  const versionsBefore = await namespace.resourceVersions();
  const eventsBefore = await namespace.eventCount();
  const cpu = new CpuMark(options.pids);
  const end = await waitRefreshCycle({
    read,
    base: base.counters,
    n: ctx.s.n,
    intervalMs: options.intervalMs,
    notBefore: base.at,
    timeoutMs: options.intervalMs * 1.5 + options.progress.allReadyS * 2000 + 60_000,
    log: (message) => ctx.log(`${op.label}: ${message}`),
  });
  // Writes a changed value causes come right after its read.
  const settled = await waitSettled(read, 10_000);
  const versionsAfter = await namespace.resourceVersions();
  return {
    delta: delta(settled, base.counters),
    end: settled,
    endAt: end.at,
    complete: end.complete,
    spreadSeconds: seconds(end.at - (end.firstAt ?? end.at)),
    changed: changedObjects(versionsBefore, versionsAfter),
    events: (await namespace.eventCount()) - eventsBefore,
    requests: await options.requestsSince(options.backendMark),
    cpu: cpu.since(),
  };
}

/**
 * Restart: the synced operator stops (SIGTERM) and a new process starts on the same Lease; what it
 * calls and writes in its first RESTART_WINDOW_S. The refreshes that fall due in that window (from
 * the objects' status) are what a perfect restart would still do: read those secrets, write nothing.
 */
async function restart(
  ctx: SuiteContext,
  op: BenchedOperator,
  options: {
    namespace: BenchNamespace;
    proc: BenchProcess;
    lease: string;
    paths: number;
    intervalMs: number;
    interval: string;
    outputs: (() => string)[];
    backend: {
      mark(): Promise<number>;
      requestsSince(mark: number): Promise<Record<string, number> | undefined>;
    };
  },
): Promise<{ run: ScenarioRun; proc: BenchProcess }> {
  const { s, log } = ctx;
  const { namespace, paths } = options;
  const peakBefore = processMemory(options.proc.pid);
  const firstExit = await options.proc.stop();
  const objects = await namespace.objects();
  const mark = await options.backend.mark();
  const versionsBefore = await namespace.resourceVersions();
  const started = Date.now();
  const windowEnd = started + s.restartWindowMs;
  const due = objects.filter((object) => {
    const at = op.nextRefresh(object, options.intervalMs);
    return at !== undefined && at <= windowEnd;
  });
  const dueSecrets = new Set(due.map((object) => Number(object.metadata.name.slice(2)) % paths)).size;
  const proc = await op.start(namespace.name, { leaseId: options.lease });
  options.outputs.push(() => proc.output());
  const read = reader(proc.metricsUrl, (samples) => op.counters(samples));
  await sleep(Math.max(0, windowEnd - Date.now()));
  const counters = await read();
  const phases = proc.phases();
  const versionsAfter = await namespace.resourceVersions();
  const window = delta(counters, emptyCounters());
  const changed = changedObjects(versionsBefore, versionsAfter);
  log(
    `${op.label}: restart: ${window.providerCalls} provider calls, ${window.kubeWrites} kube writes in ` +
      `${s.restartWindowMs / 1000}s (${due.length} refreshes due, over ${dueSecrets} secrets)`,
  );
  const run = runOf(
    op,
    options.interval,
    paths,
    {
      'window after spawn (s)': s.restartWindowMs / 1000,
      'refreshes due in the window (objects / secrets)': `${due.length} / ${dueSecrets}`,
      'provider calls': window.providerCalls,
      'kube writes': window.kubeWrites,
      'kube writes by resource/verb': list(window.kubeWritesByResource) || 'none',
      'objects changed on the API server': changed.objects,
      'Secrets changed on the API server': changed.secrets,
      'syncs in the window': Object.values(window.syncs).reduce((sum, v) => sum + v, 0),
      'peak RSS before the restart (MiB)': peakBefore.peakRssMiB,
      'peak RSS of the new process (MiB)': processMemory(proc.pid).peakRssMiB,
    },
    {
      firstProcessExitCode: firstExit,
      secondsToLeader: phases.leader === undefined ? undefined : seconds(phases.leader - started),
      providerCallsByOperation: window.providerCallsByOperation,
      backendRequests: await options.backend.requestsSince(mark),
      syncs: window.syncs,
      refreshesDue: due.length,
      secretsDue: dueSecrets,
    },
  );
  return { run, proc };
}

/** `a=1, b=2` */
export function list(values: Record<string, number> | undefined): string {
  return Object.entries(values ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}
