// `make bench`: the sync core against the real local environment (e2e/.run). Creates N SecretSources
// over PATHS distinct secrets in the backend (BACKEND=openbao, the default, or aws: moto) before the
// operator starts, then measures: time until all N are Ready, provider calls and Kubernetes writes of
// the initial sync, the same for one refresh cycle in which nothing changed (target: 0 writes, about
// PATHS provider calls or fewer), the operator's peak RSS and CPU, and the ceiling: a plain client
// server-side-applying N Secrets at the same concurrency. For aws the calls moto received are counted
// too (a counting proxy in front of it). Prints a table and writes bench/results/sync-<N>.json
// (sync-aws-<N>.json). Values are generated and never printed.
//
//   N=1000 PATHS=10 BACKEND=aws node --import tsx bench/sync.bench.ts   (e2e/bench.sh starts the environment)
import '../e2e/support/load-env.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseRunConfig } from '../src/runtime/config.js';
import { parseDuration } from '../src/rotation/duration.js';
import {
  adminKubeConfig,
  createNamespace,
  installCrds,
  repoRoot,
  requireEnv,
  statusCode,
  uniqueName,
} from '../e2e/support/kube.js';
import {
  installOperatorRbac,
  operatorKubeconfigFile,
  startOperator,
  type RunningOperator,
} from '../e2e/support/operator.js';
import { mapBounded } from './support/bounded.js';
import { createProvider, createSource } from './support/objects.js';
import { withReusedConnections } from './support/kube-connections.js';
import * as prettier from 'prettier';
import { readyChartSvg } from './support/ready-chart.js';
import { readyState, ReadyWatch } from './support/ready-watch.js';
import { isTransient, retryTransient } from './support/retry.js';
import { backendName, createBackend, type BackendName, type BenchBackend } from './support/backends.js';
import {
  busyPercent,
  busySeconds,
  cpuSeconds,
  machineCpu,
  openSockets,
  processMemory,
  round,
  type ProcessMemory,
} from './support/proc.js';
import { difference, scrape, sumOf, total, totalBy, type Sample } from '../e2e/support/prometheus.js';
import { codeVersion, whole } from './support/run-info.js';
import { table, type BenchResult, type RefreshCycleResult } from './support/sync-result.js';

const GROUP = 'secretsource.dev';
const VERSION = 'v1alpha1';
const MANAGED_LABEL = 'secretsource.dev/managed';
const POLL_MS = 250;
/** Fail when the Ready count has not grown for this long (a misconfiguration, not a slow run). */
const STALL_MS = 60_000;
const MERGE_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const APPLY_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
/** Servers of the local environment whose CPU time the bench reports (pid files in e2e/.run/pids). */
const KUBE_SERVERS = ['kube-apiserver', 'etcd'] as const;

// ------------------------------------------------------------------------------------------------
// Settings

interface Settings {
  backend: BackendName;
  n: number;
  paths: number;
  /** The operator's --concurrency, and the ceiling client's requests in flight. */
  concurrency: number;
  concurrencyFlag: string[];
  createConcurrency: number;
  kubeQps: number;
  kubeBurst: number;
  refreshInterval: string;
  /** CYCLES: quiet refresh cycles measured after the initial sync. */
  cycles: number;
  readyTimeoutMs: number;
  /** READY_METHOD: "list" (a list of all N every 250 ms) or "watch" (one watch, checked every 250 ms). */
  readyMethod: 'list' | 'watch';
  /** CPU_PROFILE_DIR: the operator writes a V8 CPU profile (.cpuprofile) there when it stops. */
  cpuProfileDir: string | undefined;
}

function settings(env: NodeJS.ProcessEnv): Settings {
  const n = whole(env, 'N', 1000);
  const paths = whole(env, 'PATHS', defaultPaths(n));
  const concurrencyFlag = env.CONCURRENCY ? [`--concurrency=${env.CONCURRENCY}`] : [];
  // The operator's own default when CONCURRENCY is unset, so the ceiling always matches it.
  const concurrency = parseRunConfig(concurrencyFlag, {}).concurrency;
  const refreshInterval = env.REFRESH_INTERVAL ?? defaultRefreshInterval(n);
  parseDuration(refreshInterval);
  return {
    backend: backendName(env.BACKEND),
    n,
    paths: Math.min(paths, n),
    concurrency,
    concurrencyFlag,
    createConcurrency: whole(env, 'CREATE_CONCURRENCY', 32),
    kubeQps: whole(env, 'KUBE_QPS', 500),
    kubeBurst: whole(env, 'KUBE_BURST', 1000),
    refreshInterval,
    cycles: whole(env, 'CYCLES', 2),
    readyTimeoutMs: whole(env, 'READY_TIMEOUT_S', Math.max(300, Math.ceil(n / 10))) * 1000,
    readyMethod: readyMethod(env.READY_METHOD),
    cpuProfileDir: env.CPU_PROFILE_DIR ? path.resolve(env.CPU_PROFILE_DIR) : undefined,
  };
}

function defaultPaths(n: number): number {
  return Math.min(n, Math.max(10, Math.floor(n / 100)));
}

/**
 * Long enough that the first refresh of the earliest SecretSource comes after the last one is Ready
 * (so the cycle measured is a clean one), short enough that the bench does not idle for long.
 * Measured on the 2-core dev machine: 22-35 SecretSources/s become Ready (bench/README.md), so
 * 60 s per 1,000.
 */
function defaultRefreshInterval(n: number): string {
  return `${Math.max(20, Math.ceil((n * 60) / 1000))}s`;
}

function readyMethod(text: string | undefined): 'list' | 'watch' {
  if (text === undefined || text === '' || text === 'list') return 'list';
  if (text === 'watch') return 'watch';
  throw new Error(`READY_METHOD: expected list or watch, got ${text}`);
}

// ------------------------------------------------------------------------------------------------
// Kubernetes

const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

interface ListedObject {
  metadata: { name: string; resourceVersion: string; finalizers?: string[] };
  status?: { conditions?: Condition[] };
}

/** Transient API errors the bench's own reads retried (reported: they mean the server was struggling). */
const retried: Record<string, number> = {};

function countRetry(error: unknown): void {
  const key = String(statusCode(error) ?? (error as Error).name);
  retried[key] = (retried[key] ?? 0) + 1;
}

async function listSources(namespace: string): Promise<ListedObject[]> {
  const list = (await retryTransient(
    () =>
      custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'secretsources',
      }),
    { onRetry: countRetry },
  )) as { items: ListedObject[] };
  return list.items;
}

async function resourceVersions(namespace: string): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const source of await listSources(namespace)) {
    versions.set(`secretsource/${source.metadata.name}`, source.metadata.resourceVersion);
  }
  const secrets = await retryTransient(
    () => core.listNamespacedSecret({ namespace, labelSelector: `${MANAGED_LABEL}=true` }),
    { onRetry: countRetry },
  );
  for (const secret of secrets.items) {
    versions.set(`secret/${secret.metadata!.name!}`, secret.metadata!.resourceVersion!);
  }
  return versions;
}

function changedObjects(before: Map<string, string>, after: Map<string, string>): number {
  let changed = 0;
  for (const [key, version] of after) if (before.get(key) !== version) changed++;
  for (const key of before.keys()) if (!after.has(key)) changed++;
  return changed;
}

async function eventCount(namespace: string): Promise<number> {
  return (await retryTransient(() => core.listNamespacedEvent({ namespace }), { onRetry: countRetry })).items
    .length;
}

function sourceName(index: number, n: number): string {
  return `s-${String(index).padStart(String(n - 1).length, '0')}`;
}

// ------------------------------------------------------------------------------------------------
// Measurement helpers

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number): number => round(ms / 1000, 2);
const mib = (bytes: number): number => round(bytes / 2 ** 20, 1);

interface Counters {
  providerCalls: Record<string, number>;
  kubeWrites: Record<string, number>;
  syncs: Record<string, number>;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

function counters(samples: readonly Sample[]): Counters {
  return {
    providerCalls: totalBy(samples, 'secretsource_provider_calls_total', ['operation', 'status']),
    kubeWrites: totalBy(samples, 'secretsource_kube_writes_total', ['resource', 'verb']),
    syncs: totalBy(samples, 'secretsource_sync_total', ['result']),
    heapUsedBytes: total(samples, 'nodejs_heap_size_used_bytes'),
    heapTotalBytes: total(samples, 'nodejs_heap_size_total_bytes'),
    externalBytes: total(samples, 'nodejs_external_memory_bytes'),
  };
}

interface Delta {
  providerCalls: number;
  providerCallsByOperation: Record<string, number>;
  kubeWrites: number;
  kubeWritesByResource: Record<string, number>;
  syncs: Record<string, number>;
}

function delta(after: Counters, before: Counters): Delta {
  const calls = difference(after.providerCalls, before.providerCalls);
  const writes = difference(after.kubeWrites, before.kubeWrites);
  return {
    providerCalls: sumOf(calls),
    providerCallsByOperation: calls,
    kubeWrites: sumOf(writes),
    kubeWritesByResource: writes,
    syncs: difference(after.syncs, before.syncs),
  };
}

function serverPids(backendServer: string): Record<string, number> {
  const run = requireEnv('SECRETSOURCE_RUN_DIR');
  const pids: Record<string, number> = {};
  for (const server of [...KUBE_SERVERS, backendServer]) {
    try {
      pids[server] = Number(readFileSync(path.join(run, 'pids', `${server}.pid`), 'utf8').trim());
    } catch {
      // not started by dev-up: its CPU is not reported
    }
  }
  return pids;
}

function cpuOf(pids: Record<string, number>): Record<string, number> {
  const used: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const value = cpuSeconds(pid);
    if (value !== undefined) used[name] = value;
  }
  return used;
}

/** Adds "other": CPU time the machine spent outside the listed processes (other work on a shared machine). */
function withOther(used: Record<string, number>, machineBusy: number): Record<string, number> {
  return { ...used, other: round(Math.max(0, machineBusy - sumOf(used)), 1) };
}

function benchCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function cpuDelta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) result[name] = round(value - (before[name] ?? 0), 1);
  return result;
}

/** Timestamps (epoch ms) of the operator's first log line with each message. */
function logTimes(output: string, messages: readonly string[]): Record<string, number | undefined> {
  const found: Record<string, number | undefined> = {};
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { msg?: unknown; time?: unknown };
    try {
      entry = JSON.parse(line) as { msg?: unknown; time?: unknown };
    } catch {
      continue;
    }
    if (typeof entry.msg === 'string' && messages.includes(entry.msg) && found[entry.msg] === undefined) {
      found[entry.msg] = typeof entry.time === 'string' ? Date.parse(entry.time) : undefined;
    }
  }
  return found;
}

// ------------------------------------------------------------------------------------------------
// The bench

interface ReadyProgress {
  /** Seconds from the operator's spawn until this many were Ready. */
  firstReadyS?: number;
  halfReadyS?: number;
  allReadyS: number;
  polls: number;
  meanListMs: number;
  /** Most sockets the operator had open at one readiness poll. */
  peakSockets: number;
  watchRestarts: number;
  /** [seconds from the spawn, Ready] at the first observation and whenever the count changed. */
  samples: [number, number][];
}

/** What every phase of one run shares. */
interface Run {
  s: Settings;
  backend: BenchBackend;
  namespace: string;
  /** The local environment's servers whose CPU time is reported. */
  pids: Record<string, number>;
  log: (message: string) => void;
  cleanups: (() => Promise<unknown>)[];
}

/** Where a measured stretch began: counters, time, backend requests, Events, CPU. */
interface Mark {
  counters: Counters;
  at: number;
  requests: number;
  events: number;
  cpu: Record<string, number>;
  machine: ReturnType<typeof machineCpu>;
}

async function main(): Promise<void> {
  const s = settings(process.env);
  const backend = createBackend(s.backend, randomBytes(4).toString('hex'));
  const cleanups: (() => Promise<unknown>)[] = [() => backend.cleanup()];
  let operator: RunningOperator | undefined;
  const log = (message: string): void =>
    console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

  log(
    `BACKEND=${s.backend} N=${s.n} PATHS=${s.paths} concurrency=${s.concurrency} refresh=${s.refreshInterval} ` +
      `kube-qps=${s.kubeQps} kube-burst=${s.kubeBurst} load average=${loadavg()[0]!.toFixed(2)}`,
  );
  const loadBefore = loadavg()[0]!;
  try {
    const { run, createSeconds } = await setUp(s, backend, cleanups, log);
    const startedOperator = await startBenchOperator(run);
    operator = startedOperator.operator;
    const initial = await initialSyncPhase(run, startedOperator);
    const cycles = await refreshCyclesPhase(run, operator, initial);
    const stopped = await stopPhase(run, operator);
    operator = undefined;
    const pollCost = await listCost(run.namespace, run.pids);
    const ceiling = await ceilingPhase(run);
    const result = benchResult({
      run,
      loadBefore,
      createSeconds,
      initial,
      cycles,
      stopped,
      pollCost,
      ceiling,
    });
    await writeResult(result);
    if (stopped.leaked > 0)
      throw new Error(`${stopped.leaked} generated values appeared in the operator's output`);
  } catch (error) {
    if (operator) {
      // What the operator said last explains most failures; generated values are masked regardless.
      let tail = operator.output().split('\n').slice(-15).join('\n');
      for (const value of backend.generated) tail = tail.split(value).join('[generated]');
      console.error(`operator output (last lines):\n${tail}`);
    }
    throw error;
  } finally {
    if (operator) await operator.kill();
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
    }
  }
}

/** 1. Everything exists before the operator starts. */
async function setUp(
  s: Settings,
  backend: BenchBackend,
  cleanups: (() => Promise<unknown>)[],
  log: (message: string) => void,
): Promise<{ run: Run; createSeconds: number }> {
  await installCrds(kc);
  await installOperatorRbac(kc);
  const namespace = await createNamespace(kc, 'bench');
  cleanups.push(() => deleteNamespaceAndWait(namespace, s.createConcurrency, log));

  const remoteRefs = await backend.createSecrets(s.paths, s.createConcurrency);
  await createProvider(custom, namespace, await backend.providerSpec(core, namespace));

  const createStarted = Date.now();
  await mapBounded(
    Array.from({ length: s.n }, (_, i) => i),
    s.createConcurrency,
    (i) =>
      createSource(custom, namespace, sourceName(i, s.n), remoteRefs[i % s.paths]!, {
        interval: s.refreshInterval,
      }),
  );
  const createSeconds = seconds(Date.now() - createStarted);
  log(`created ${s.n} SecretSources in ${createSeconds}s (${s.createConcurrency} in flight)`);
  const run = { s, backend, namespace, pids: serverPids(backend.server), log, cleanups };
  return { run, createSeconds };
}

interface StartedOperator {
  operator: RunningOperator;
  started: number;
  requestsAtStart: number;
  cpuAtStart: Record<string, number>;
  machineAtStart: ReturnType<typeof machineCpu>;
}

async function startBenchOperator(run: Run): Promise<StartedOperator> {
  const { s, backend, pids } = run;
  const requestsAtStart = await backend.mark();
  const cpuAtStart = { ...cpuOf(pids), bench: benchCpu() };
  const machineAtStart = machineCpu();
  const kubeconfig = await operatorKubeconfigFile(kc);
  const started = Date.now();
  const operator = await startOperator({
    kubeconfig,
    ...(s.cpuProfileDir ? { env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${s.cpuProfileDir}` } } : {}),
    namespaces: [run.namespace],
    extraArgs: [
      `--leader-election-id=${uniqueName('bench')}`,
      `--kube-qps=${s.kubeQps}`,
      `--kube-burst=${s.kubeBurst}`,
      ...s.concurrencyFlag,
    ],
  });
  return { operator, started, requestsAtStart, cpuAtStart, machineAtStart };
}

interface InitialSync {
  started: StartedOperator;
  progress: ReadyProgress;
  phases: Record<string, number | undefined>;
  atReady: Counters;
  memoryAtReady: ProcessMemory;
  requests: Record<string, number> | undefined;
  delta: Delta;
  /** Where the first refresh cycle is measured from. */
  end: Mark;
}

/** 2-3. Time until all N are Ready; the initial sync's calls and writes, once writes have stopped. */
async function initialSyncPhase(run: Run, startedOperator: StartedOperator): Promise<InitialSync> {
  const { s, namespace, pids, log } = run;
  const { operator, started } = startedOperator;
  const operatorPid = operator.process.pid!;
  const progress = await waitAllReady(namespace, s.n, started, s, operator, log);
  const readyAt = started + progress.allReadyS * 1000;
  const cpuAtReady = { operator: cpuSeconds(operatorPid) ?? 0, ...cpuOf(pids), bench: benchCpu() };
  const machineAtReady = machineCpu();
  const memoryAtReady = processMemory(operatorPid);
  const phases = logTimes(operator.output(), ['informers synced', 'became leader']);
  log(`all ${s.n} Ready ${progress.allReadyS}s after the operator was started`);

  const atReady = counters(await scrape(operator.metricsUrl));
  const settled = await waitSettled(operator.metricsUrl, 10_000);
  const requests = await run.backend.requestsSince(startedOperator.requestsAtStart);
  const events = await eventCount(namespace);
  return {
    started: startedOperator,
    progress,
    phases,
    atReady,
    memoryAtReady,
    requests,
    delta: delta(settled, emptyCounters()),
    end: {
      counters: settled,
      at: readyAt,
      requests: await run.backend.mark(),
      events,
      cpu: cpuAtReady,
      machine: machineAtReady,
    },
  };
}

/**
 * 4. CYCLES refresh cycles in which nothing changed in the backend. The first one keeps the spread
 * of the initial sync; from the second on, SecretSources sharing a secret refresh together
 * (docs/adr/0008), which is where batching shows.
 */
async function refreshCyclesPhase(
  run: Run,
  operator: RunningOperator,
  initial: InitialSync,
): Promise<{ cycles: RefreshCycleResult[]; end: Mark }> {
  const { s, namespace, pids, log, backend } = run;
  const operatorPid = operator.process.pid!;
  const refreshCycles: RefreshCycleResult[] = [];
  let cycleStart = initial.end;
  for (let number = 1; number <= s.cycles; number++) {
    const versionsBefore = await resourceVersions(namespace);
    const cycleEnd = await waitRefreshCycle(
      operator.metricsUrl,
      cycleStart.counters,
      s,
      initial.progress,
      log,
    );
    const cycle = delta(cycleEnd.counters, cycleStart.counters);
    const requests = await backend.requestsSince(cycleStart.requests);
    const versionsAfter = await resourceVersions(namespace);
    const events = await eventCount(namespace);
    const cpu = { operator: cpuSeconds(operatorPid) ?? 0, ...cpuOf(pids), bench: benchCpu() };
    const machine = machineCpu();
    refreshCycles.push({
      spreadSeconds: seconds(cycleEnd.at - (cycleEnd.firstAt ?? cycleEnd.at)),
      secondsFromPrevious: seconds(cycleEnd.at - cycleStart.at),
      complete: cycleEnd.complete,
      providerCalls: cycle.providerCalls,
      providerCallsByOperation: cycle.providerCallsByOperation,
      distinctSecrets: s.paths,
      providerCallsPerDistinctSecret: round(cycle.providerCalls / s.paths, 2),
      ...(requests ? { backendRequests: requests } : {}),
      kubeWrites: cycle.kubeWrites,
      kubeWritesByResource: cycle.kubeWritesByResource,
      objectsChangedOnApiServer: changedObjects(versionsBefore, versionsAfter),
      eventsCreated: events - cycleStart.events,
      syncs: cycle.syncs,
      cpuSeconds: withOther(cpuDelta(cpu, cycleStart.cpu), busySeconds(machine, cycleStart.machine)),
      machineCpuBusyPercent: busyPercent(machine, cycleStart.machine),
    });
    log(
      `refresh cycle ${number}: ${cycle.providerCalls} provider calls for ${s.paths} distinct secrets, ` +
        `${cycle.kubeWrites} kube writes, ${changedObjects(versionsBefore, versionsAfter)} objects changed`,
    );
    cycleStart = {
      counters: cycleEnd.counters,
      at: cycleEnd.at,
      requests: await backend.mark(),
      events,
      cpu,
      machine,
    };
  }
  return { cycles: refreshCycles, end: cycleStart };
}

interface Stopped {
  memory: ProcessMemory;
  exitCode: number | null;
  leaked: number;
  errorLines: number;
}

/** 5. Peak memory, then stop the operator and check its output. */
async function stopPhase(run: Run, operator: RunningOperator): Promise<Stopped> {
  const memory: ProcessMemory = processMemory(operator.process.pid!);
  const exitCode = await operator.stop();
  const output = operator.output();
  const leaked = run.backend.generated.filter((value) => output.includes(value)).length;
  const errorLines = output.split('\n').filter((line) => /"level":"?(error|fatal|50|60)/.test(line)).length;
  return { memory, exitCode, leaked, errorLines };
}

interface Ceiling {
  stock: { seconds: number; cpuSeconds: Record<string, number> };
  reused: { seconds: number; cpuSeconds: Record<string, number> };
}

/** 6. The ceiling: a plain client applying N Secrets at the same concurrency, as shipped and with one pool. */
async function ceilingPhase(run: Run): Promise<Ceiling> {
  const { s, pids, log } = run;
  const ceilingNamespace = await createNamespace(kc, 'bench-ceiling');
  run.cleanups.push(() => deleteNamespaceAndWait(ceilingNamespace, s.createConcurrency, log));
  const stock = await applyPlainSecrets(core, ceilingNamespace, 'stock', s, pids);
  log(`ceiling: ${s.n} Secrets applied in ${stock.seconds}s (client-node as shipped)`);
  const reused = await applyPlainSecrets(
    withReusedConnections(kc).makeApiClient(k8s.CoreV1Api),
    ceilingNamespace,
    'reused',
    s,
    pids,
  );
  log(`ceiling: ${s.n} Secrets applied in ${reused.seconds}s (one connection pool)`);
  return { stock, reused };
}

/** 7. The result of the run, as bench/results keeps it. */
function benchResult(parts: {
  run: Run;
  loadBefore: number;
  createSeconds: number;
  initial: InitialSync;
  cycles: { cycles: RefreshCycleResult[]; end: Mark };
  stopped: Stopped;
  pollCost: Record<string, number>;
  ceiling: Ceiling;
}): BenchResult {
  const { run, initial, stopped, pollCost, ceiling } = parts;
  const { s } = run;
  const { progress, phases, atReady } = initial;
  const { started, cpuAtStart, machineAtStart } = initial.started;
  const syncSeconds = progress.allReadyS - (phaseSeconds(phases['became leader'], started) ?? 0);
  return {
    bench: 'sync',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, loadAverage1mAtStart: round(parts.loadBefore, 2) },
    code: codeVersion(),
    benchReadRetries: { ...retried },
    settings: {
      backend: s.backend,
      n: s.n,
      paths: s.paths,
      concurrency: s.concurrency,
      createConcurrency: s.createConcurrency,
      kubeQps: s.kubeQps,
      kubeBurst: s.kubeBurst,
      refreshInterval: s.refreshInterval,
      cycles: s.cycles,
      readyMethod: s.readyMethod,
    },
    setup: { createSecretSourcesSeconds: parts.createSeconds },
    initialSync: {
      secondsToAllReady: progress.allReadyS,
      secondsToInformersSynced: phaseSeconds(phases['informers synced'], started),
      secondsToLeader: phaseSeconds(phases['became leader'], started),
      secondsToFirstReady: progress.firstReadyS,
      secondsToHalfReady: progress.halfReadyS,
      readyPerSecondAfterLeader: round(s.n / Math.max(syncSeconds, 0.001), 1),
      readinessMethod: s.readyMethod,
      readinessPolls: progress.polls,
      readinessWatchRestarts: progress.watchRestarts,
      readyOverTime: progress.samples,
      meanReadinessListMs: progress.meanListMs,
      readinessListCpuSeconds: pollCost,
      readinessPollsCpuSecondsEstimate: {
        'kube-apiserver': round(pollCost['kube-apiserver']! * progress.polls, 1),
        bench: round(pollCost.bench! * progress.polls, 1),
      },
      providerCalls: initial.delta.providerCalls,
      providerCallsByOperation: initial.delta.providerCallsByOperation,
      ...(initial.requests ? { backendRequests: initial.requests } : {}),
      kubeWrites: initial.delta.kubeWrites,
      kubeWritesPerSecretSource: round(initial.delta.kubeWrites / s.n, 2),
      kubeWritesByResource: initial.delta.kubeWritesByResource,
      kubeWritesAfterAllReady: delta(initial.end.counters, atReady).kubeWrites,
      eventsCreated: initial.end.events,
      syncs: initial.delta.syncs,
      unchangedSyncsBeforeSettled: initial.end.counters.syncs.unchanged ?? 0,
      operatorHeapUsedMiBAtReady: mib(atReady.heapUsedBytes),
      operatorHeapTotalMiBAtReady: mib(atReady.heapTotalBytes),
      operatorExternalMiBAtReady: mib(atReady.externalBytes),
      cpuSeconds: withOther(
        cpuDelta(initial.end.cpu, { operator: 0, ...cpuAtStart }),
        busySeconds(initial.end.machine, machineAtStart),
      ),
      machineCpuBusyPercent: busyPercent(initial.end.machine, machineAtStart),
      operatorRssMiBAtReady: initial.memoryAtReady.rssMiB,
      operatorPeakOpenSockets: progress.peakSockets,
    },
    refreshCycles: parts.cycles.cycles,
    operator: {
      peakRssMiB: stopped.memory.peakRssMiB,
      rssMiBAtEnd: stopped.memory.rssMiB,
      heapUsedMiBAtEnd: mib(parts.cycles.end.counters.heapUsedBytes),
      exitCode: stopped.exitCode,
      errorLogLines: stopped.errorLines,
      generatedValuesInOutput: stopped.leaked,
    },
    ceiling: {
      plainApplySeconds: ceiling.stock.seconds,
      plainAppliesPerSecond: round(s.n / Math.max(ceiling.stock.seconds, 0.001), 1),
      cpuSeconds: ceiling.stock.cpuSeconds,
      operatorToCeilingRatio: round(syncSeconds / Math.max(ceiling.stock.seconds, 0.001), 2),
      reusedConnectionsApplySeconds: ceiling.reused.seconds,
      reusedConnectionsAppliesPerSecond: round(s.n / Math.max(ceiling.reused.seconds, 0.001), 1),
      reusedConnectionsCpuSeconds: ceiling.reused.cpuSeconds,
    },
  };
}

/** Writes bench/results/sync-<backend>-<N>….json (as prettier formats JSON) and its chart; prints the table. */
async function writeResult(result: BenchResult): Promise<void> {
  const s = result.settings;
  const backendPart = s.backend === 'openbao' ? '' : `${s.backend}-`;
  const pathsPart = s.paths === defaultPaths(s.n) ? '' : `-p${s.paths}`;
  const suffix = `${pathsPart}${s.readyMethod === 'watch' ? '-watch' : ''}`;
  const file = path.join(repoRoot, 'bench', 'results', `sync-${backendPart}${s.n}${suffix}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  // As prettier writes JSON, so npm run lint passes on a fresh result (readyOverTime's pairs).
  writeFileSync(
    file,
    await prettier.format(JSON.stringify(result, null, 2), {
      ...(await prettier.resolveConfig(file)),
      parser: 'json',
    }),
  );
  const chart = file.replace(/\.json$/, '.svg');
  writeFileSync(chart, readyChart(result));
  console.log(
    `\n${table(result)}\nwritten to ${path.relative(process.cwd(), file)} and ${path.relative(process.cwd(), chart)}`,
  );
}

/** SecretSources Ready over the initial sync, with the moment the operator became leader. */
function readyChart(result: BenchResult): string {
  const { settings, initialSync } = result;
  const leader = initialSync.secondsToLeader;
  return readyChartSvg({
    title: `${settings.n} SecretSources on ${settings.backend} (${settings.readyMethod}), ${result.date.slice(0, 10)}, ${result.code.commit.slice(0, 7)}`,
    n: settings.n,
    samples: initialSync.readyOverTime ?? [],
    marks: leader === undefined ? [] : [{ label: 'leader', atSeconds: leader }],
  });
}

function emptyCounters(): Counters {
  return {
    providerCalls: {},
    kubeWrites: {},
    syncs: {},
    heapUsedBytes: 0,
    heapTotalBytes: 0,
    externalBytes: 0,
  };
}

function phaseSeconds(at: number | undefined, started: number): number | undefined {
  return at === undefined ? undefined : seconds(at - started);
}

/** Mean CPU seconds per process of one list of the namespace's SecretSources. */
async function listCost(namespace: string, pids: Record<string, number>): Promise<Record<string, number>> {
  const lists = 5;
  const before: Record<string, number> = { ...cpuOf(pids), bench: benchCpu() };
  for (let i = 0; i < lists; i++) await listSources(namespace);
  const after: Record<string, number> = { ...cpuOf(pids), bench: benchCpu() };
  return Object.fromEntries(
    ['kube-apiserver', 'etcd', 'bench']
      .filter((name) => after[name] !== undefined)
      .map((name) => [name, after[name]! - (before[name] ?? 0)] as const)
      .map(([name, value]) => [name, round(value / lists, 3)]),
  );
}

/** The ceiling: N Secrets applied by a plain client, `s.concurrency` in flight; seconds and CPU. */
async function applyPlainSecrets(
  api: k8s.CoreV1Api,
  namespace: string,
  prefix: string,
  s: Settings,
  pids: Record<string, number>,
): Promise<{ seconds: number; cpuSeconds: Record<string, number> }> {
  const cpuBefore = { ...cpuOf(pids), bench: benchCpu() };
  const started = Date.now();
  await mapBounded(
    Array.from({ length: s.n }, (_, i) => i),
    s.concurrency,
    (i) => applyPlainSecret(api, namespace, `${prefix}-${sourceName(i, s.n)}`),
  );
  const elapsed = seconds(Date.now() - started);
  return { seconds: elapsed, cpuSeconds: cpuDelta({ ...cpuOf(pids), bench: benchCpu() }, cpuBefore) };
}

async function applyPlainSecret(api: k8s.CoreV1Api, namespace: string, name: string): Promise<void> {
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

async function waitAllReady(
  namespace: string,
  n: number,
  started: number,
  s: Settings,
  operator: RunningOperator,
  log: (message: string) => void,
): Promise<ReadyProgress> {
  let firstReadyS: number | undefined;
  let halfReadyS: number | undefined;
  let polls = 0;
  let listMs = 0;
  let peakSockets = 0;
  let lastLog = Date.now();
  let lastReady = 0;
  let progressAt = Date.now();
  const samples: [number, number][] = [];
  const watch = s.readyMethod === 'watch' ? new ReadyWatch(kc, namespace) : undefined;
  if (watch) await retryTransient(() => watch.start(), { onRetry: countRetry });
  try {
    for (;;) {
      const observed = Date.now();
      let states: Record<string, number>;
      if (watch) {
        states = watch.states();
      } else {
        states = {};
        for (const source of await listSources(namespace)) {
          const state = readyState(source);
          states[state] = (states[state] ?? 0) + 1;
        }
        polls++;
        listMs += Date.now() - observed;
      }
      const now = Date.now();
      peakSockets = Math.max(peakSockets, openSockets(operator.process.pid!) ?? 0);
      const ready = states.True ?? 0;
      // Counted when the observation started: the objects were Ready by then at the latest.
      const at = seconds(observed - started);
      if (ready > 0) firstReadyS ??= at;
      if (ready * 2 >= n) halfReadyS ??= at;
      if (samples.length === 0 || samples.at(-1)![1] !== ready) samples.push([at, ready]);
      if (ready >= n) {
        return {
          samples,
          firstReadyS,
          halfReadyS,
          allReadyS: at,
          polls,
          meanListMs: polls ? round(listMs / polls) : 0,
          peakSockets,
          watchRestarts: watch?.restarts ?? 0,
        };
      }
      if (operator.process.exitCode !== null)
        throw new Error(`the operator exited with ${operator.process.exitCode}`);
      if (ready !== lastReady) {
        lastReady = ready;
        progressAt = now;
      }
      const stalled = now - progressAt > STALL_MS;
      if (stalled || now - started > s.readyTimeoutMs) {
        const why = stalled ? `no progress for ${STALL_MS / 1000}s` : `timeout ${s.readyTimeoutMs / 1000}s`;
        throw new Error(`only ${ready} of ${n} Ready after ${at}s (${why}): ${JSON.stringify(states)}`);
      }
      if (now - lastLog >= 10_000) {
        const cost = watch ? 'watching' : `a list of ${n} takes ${now - observed} ms`;
        log(`${ready}/${n} Ready after ${at}s (${cost})`);
        lastLog = now;
      }
      await sleep(POLL_MS);
    }
  } finally {
    watch?.stop();
  }
}

/**
 * Counters once neither a write nor a sync happened for a second (or at the deadline). Not the queue
 * depth: secretsource_queue_depth also counts refreshes scheduled for later, so it is never 0 here.
 */
async function waitSettled(metricsUrl: string, timeoutMs: number): Promise<Counters> {
  const deadline = Date.now() + timeoutMs;
  let previous = counters(await scrape(metricsUrl));
  let quietSince = Date.now();
  for (;;) {
    await sleep(POLL_MS);
    const current = counters(await scrape(metricsUrl));
    if (
      sumOf(current.kubeWrites) !== sumOf(previous.kubeWrites) ||
      sumOf(current.syncs) !== sumOf(previous.syncs)
    ) {
      quietSince = Date.now();
    }
    previous = current;
    if (Date.now() - quietSince >= 1_000 || Date.now() > deadline) return current;
  }
}

/** Waits until every SecretSource has refreshed once more since `base` (N more unchanged syncs). */
async function waitRefreshCycle(
  metricsUrl: string,
  base: Counters,
  s: Settings,
  progress: ReadyProgress,
  log: (message: string) => void,
): Promise<{ counters: Counters; at: number; firstAt: number | undefined; complete: boolean }> {
  const deadline = Date.now() + parseDuration(s.refreshInterval) * 1.5 + progress.allReadyS * 2000 + 60_000;
  let lastLog = Date.now();
  let firstAt: number | undefined;
  for (;;) {
    const polled = Date.now();
    const current = counters(await scrape(metricsUrl));
    const refreshed = (current.syncs.unchanged ?? 0) - (base.syncs.unchanged ?? 0);
    const others = sumOf(difference(current.syncs, base.syncs)) - refreshed;
    if (refreshed + others > 0) firstAt ??= polled;
    if (refreshed + others >= s.n) return { counters: current, at: polled, firstAt, complete: true };
    if (Date.now() > deadline) {
      log(`refresh cycle incomplete: ${refreshed + others} of ${s.n} refreshed before the deadline`);
      return { counters: current, at: polled, firstAt, complete: false };
    }
    if (Date.now() - lastLog >= 10_000) {
      log(`refresh cycle: ${refreshed + others}/${s.n} refreshed`);
      lastLog = Date.now();
    }
    await sleep(POLL_MS);
  }
}

/**
 * Deletes a namespace and waits until it is gone, so the next run does not share the API server with
 * its teardown. The operator is stopped by then: its finalizers are removed here first.
 */
async function deleteNamespaceAndWait(
  namespace: string,
  concurrency: number,
  log: (message: string) => void,
): Promise<void> {
  const started = Date.now();
  await releaseFinalizers(namespace, concurrency);
  await core.deleteNamespace({ name: namespace }).catch((error: unknown) => {
    if (statusCode(error) !== 404) throw error;
  });
  const deadline = Date.now() + 600_000;
  for (let check = 1; Date.now() < deadline; check++) {
    try {
      await core.readNamespace({ name: namespace });
    } catch (error) {
      if (statusCode(error) === 404) {
        log(`namespace ${namespace} deleted in ${seconds(Date.now() - started)}s`);
        return;
      }
      if (!isTransient(error)) throw error;
    }
    // A SecretSource the stopped operator reconciled after our first pass still holds a finalizer.
    if (check % 15 === 0) await releaseFinalizers(namespace, concurrency);
    await sleep(1_000);
  }
  log(`namespace ${namespace} still terminating after 10 minutes; left to the namespace controller`);
}

/** Removes finalizers from the namespace's SecretSources (the operator that would is stopped). */
async function releaseFinalizers(namespace: string, concurrency: number): Promise<void> {
  const held = (await listSources(namespace)).filter((source) => source.metadata.finalizers?.length);
  await mapBounded(held, concurrency, (source) =>
    retryTransient(() =>
      custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: 'secretsources',
          name: source.metadata.name,
          body: { metadata: { finalizers: null } },
        },
        MERGE_PATCH,
      ),
    ).catch((error: unknown) => {
      if (statusCode(error) !== 404) throw error;
    }),
  );
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
