// `make bench`, second part: new objects first (docs/design.md, the priority table in
// src/controller/manager.ts). The create-to-Secret latency of a new SecretSource, measured side by
// side in one run: with the operator idle, and during a storm of STORM refreshes that all came due at
// once (the operator was down while they did, and every value changed, so each refresh writes its
// Secret, its status and an Event through the operator's write budget). The figure that matters is
// the ratio of the two, not the milliseconds: machines are noisy. Writes
// bench/results/priority-<STORM>.json. Values are generated and never printed.
//
//   STORM=2000 NEWCOMERS=50 node --import tsx bench/priority.bench.ts   (e2e/bench.sh runs it)
import '../e2e/support/load-env.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  adminKubeConfig,
  createNamespace,
  deleteNamespace,
  installCrds,
  repoRoot,
} from '../e2e/support/kube.js';
import {
  installOperatorRbac,
  operatorKubeconfigFile,
  startOperator,
  type RunningOperator,
} from '../e2e/support/operator.js';
import { scrape, total } from '../e2e/support/prometheus.js';
import { backendName, createBackend } from './support/backends.js';
import { mapBounded } from './support/bounded.js';
import { createProvider, createSource } from './support/objects.js';
import { round } from './support/proc.js';
import { ReadyWatch } from './support/ready-watch.js';
import { codeVersion, whole } from './support/run-info.js';
import { percentile, SecretArrivals } from './support/secret-arrivals.js';

const MANAGED_SELECTOR = 'secretsource.dev/managed=true';

const settings = {
  backend: backendName(process.env.BACKEND),
  storm: whole(process.env, 'STORM', 2000),
  newcomers: whole(process.env, 'NEWCOMERS', 50),
  paths: whole(process.env, 'STORM_PATHS', 20),
  /** The storm's refresh interval: the operator stays down this long, so all of them are due. */
  intervalSeconds: whole(process.env, 'STORM_INTERVAL_S', 30),
  /**
   * The operator's write budget. Lower than the sync bench's so that the storm lasts long enough
   * (STORM × 3 writes at this rate) to create NEWCOMERS one after another while it runs.
   */
  kubeQps: whole(process.env, 'STORM_KUBE_QPS', 200),
  createConcurrency: whole(process.env, 'CREATE_CONCURRENCY', 32),
};

const kc = adminKubeConfig();
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string): void =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

interface Newcomer {
  latencyMs: number;
  /** Storm refreshes written when the newcomer was created, and when its Secret appeared. */
  stormWrittenAtCreate?: number;
  stormWrittenAtSecret?: number;
}

interface LatencySummary {
  count: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  maxMs: number | undefined;
}

function summary(newcomers: readonly Newcomer[]): LatencySummary {
  const latencies = newcomers.map((n) => n.latencyMs);
  return {
    count: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: percentile(latencies, 100),
  };
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : round(a / Math.max(b, 1), 2);

async function main(): Promise<void> {
  const s = settings;
  log(
    `BACKEND=${s.backend} STORM=${s.storm} NEWCOMERS=${s.newcomers} interval=${s.intervalSeconds}s ` +
      `kube-qps=${s.kubeQps} load average=${loadavg()[0]!.toFixed(2)}`,
  );
  const loadBefore = loadavg()[0]!;
  const backend = createBackend(s.backend, randomBytes(4).toString('hex'));
  let operator: RunningOperator | undefined;
  let namespace: string | undefined;
  let arrivals: SecretArrivals | undefined;
  try {
    await installCrds(kc);
    await installOperatorRbac(kc);
    namespace = await createNamespace(kc, 'bench-prio');
    const ns = namespace;
    const refs = await backend.createSecrets(s.paths, s.createConcurrency);
    await createProvider(custom, ns, await backend.providerSpec(kc.makeApiClient(k8s.CoreV1Api), ns));
    const kubeconfig = await operatorKubeconfigFile(kc);
    const leaseId = `bench-prio-${randomBytes(4).toString('hex')}`;
    const start = (): Promise<RunningOperator> =>
      startOperator({
        kubeconfig,
        namespaces: [ns],
        extraArgs: [
          `--leader-election-id=${leaseId}`,
          `--kube-qps=${s.kubeQps}`,
          `--kube-burst=${s.kubeQps}`,
        ],
      });
    const ready = new ReadyWatch(kc, ns);
    arrivals = new SecretArrivals(kc, ns, MANAGED_SELECTOR);
    await arrivals.start();
    const watchedArrivals = arrivals;
    operator = await start();
    // The first Secret also waits for leader election: not a newcomer.
    await createSource(custom, ns, 'warm-up', refs[0]!, { interval: '1h', creationPolicy: 'Orphan' });
    await arrivals.arrival('warm-up', 120_000);

    // 1. Idle: new SecretSources one after another, nothing else to do.
    const newcomer = async (name: string, ref: Record<string, unknown>): Promise<number> => {
      const createdAt = Date.now();
      await createSource(custom, ns, name, ref, { interval: '1h', creationPolicy: 'Orphan' });
      return (await watchedArrivals.arrival(name, 120_000)) - createdAt;
    };
    const idle: Newcomer[] = [];
    for (let i = 0; i < s.newcomers; i++) {
      idle.push({ latencyMs: await newcomer(`idle-${i}`, refs[i % s.paths]!) });
    }
    log(`idle: p50 ${summary(idle).p50Ms} ms, p99 ${summary(idle).p99Ms} ms`);

    // 2. The storm's SecretSources, synced once.
    await mapBounded(
      Array.from({ length: s.storm }, (_, i) => i),
      s.createConcurrency,
      (i) =>
        createSource(custom, ns, `storm-${i}`, refs[i % s.paths]!, {
          interval: `${s.intervalSeconds}s`,
          creationPolicy: 'Orphan',
        }),
    );
    await ready.start();
    await waitFor(() => Promise.resolve(ready.readyCount() >= s.storm + s.newcomers), 600_000, 'all Ready');
    ready.stop();
    log(`${s.storm} storm SecretSources Ready`);

    // 3. Down while every refresh comes due, with new values; then the storm.
    await operator.stop();
    operator = undefined;
    await backend.rewriteSecrets(s.createConcurrency);
    await sleep((s.intervalSeconds + 2) * 1_000);
    const stormStarted = Date.now();
    operator = await start();
    const running = operator;
    const written = async (): Promise<number> =>
      total(await scrape(running.metricsUrl), 'secretsource_sync_total', (l) => l.result === 'written');
    await waitFor(async () => (await written().catch(() => 0)) >= 20, 120_000, 'the storm to start');
    const during: Newcomer[] = [];
    for (let i = 0; i < s.newcomers; i++) {
      const stormWrittenAtCreate = (await written()) - i;
      const latencyMs = await newcomer(`new-${i}`, refs[i % s.paths]!);
      const stormWrittenAtSecret = (await written()) - i - 1;
      during.push({ latencyMs, stormWrittenAtCreate, stormWrittenAtSecret });
    }
    const lastNewcomerDone = Date.now();
    // Every storm refresh writes (its value changed); the newcomers' syncs count as written too.
    let last = { count: -1, at: Date.now() };
    await waitFor(
      async () => {
        const count = await written();
        if (count !== last.count) last = { count, at: Date.now() };
        return count >= s.storm + s.newcomers || (count >= s.storm && Date.now() - last.at > 5_000);
      },
      600_000,
      'the storm to end',
    );
    const stormSeconds = round((Date.now() - stormStarted) / 1000, 1);
    const stormWrittenAtLast = during.at(-1)?.stormWrittenAtSecret ?? 0;
    log(
      `storm: p50 ${summary(during).p50Ms} ms, p99 ${summary(during).p99Ms} ms; storm took ${stormSeconds}s`,
    );

    const exitCode = await operator.stop();
    const output = operator.output();
    operator = undefined;
    const leaked = backend.generated.filter((value) => output.includes(value)).length;

    const idleSummary = summary(idle);
    const stormSummary = summary(during);
    const result = {
      bench: 'priority',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverage1mAtStart: round(loadBefore, 2) },
      code: codeVersion(),
      settings: s,
      createToSecret: {
        idle: idleSummary,
        duringStorm: stormSummary,
        p50StormToIdleRatio: ratio(stormSummary.p50Ms, idleSummary.p50Ms),
        p99StormToIdleRatio: ratio(stormSummary.p99Ms, idleSummary.p99Ms),
      },
      storm: {
        dueRefreshes: s.storm,
        secondsFromOperatorStartToAllWritten: stormSeconds,
        /** Storm refreshes still waiting when the last newcomer's Secret appeared. */
        stillDueWhenLastNewcomerSynced: s.storm - stormWrittenAtLast,
        lastNewcomerSecondsAfterOperatorStart: round((lastNewcomerDone - stormStarted) / 1000, 1),
        /** Storm refreshes that ran while one newcomer waited: its wait in units of queued work. */
        refreshesRunPerNewcomerP50: percentile(
          during.map((n) => (n.stormWrittenAtSecret ?? 0) - (n.stormWrittenAtCreate ?? 0)),
          50,
        ),
      },
      operator: { exitCode, generatedValuesInOutput: leaked },
    };
    const file = path.join(
      repoRoot,
      'bench',
      'results',
      `priority-${s.backend === 'openbao' ? '' : `${s.backend}-`}${s.storm}.json`,
    );
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      [
        '',
        `create-to-Secret (ms)     p50      p99      max`,
        `idle               ${pad(idleSummary.p50Ms)} ${pad(idleSummary.p99Ms)} ${pad(idleSummary.maxMs)}`,
        `during the storm   ${pad(stormSummary.p50Ms)} ${pad(stormSummary.p99Ms)} ${pad(stormSummary.maxMs)}`,
        `storm / idle       ${pad(result.createToSecret.p50StormToIdleRatio)} ${pad(result.createToSecret.p99StormToIdleRatio)}`,
        `storm: ${s.storm} due refreshes written in ${stormSeconds}s; ${result.storm.stillDueWhenLastNewcomerSynced} still due when the last of ${s.newcomers} newcomers had its Secret`,
        `written to ${path.relative(process.cwd(), file)}`,
      ].join('\n'),
    );
    if (leaked > 0) throw new Error(`${leaked} generated values appeared in the operator's output`);
  } finally {
    arrivals?.stop();
    if (operator) await operator.kill();
    // Orphan targets, no finalizers: the namespace goes with its objects.
    if (namespace) await deleteNamespace(kc, namespace);
    await backend.cleanup();
  }
}

function pad(value: number | undefined): string {
  return String(value ?? '-').padStart(8);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

await main();
