// burst: new objects while a refresh storm runs (docs/design.md: new objects go before periodic
// refreshes). N objects are synced with a short interval (STORM_INTERVAL_S), the operator is stopped
// for longer than that and every remote value changes meanwhile, so when it starts again all N
// refreshes are due at once and each writes its Secret and status. As soon as the storm has begun,
// BURST_NEWCOMERS new objects are created (1,000 at N=10,000; N/10) and each one's create-to-Secret
// latency is measured: from the create request to the Secret's ADDED event on a watch (no polling).
import { randomBytes } from 'node:crypto';
import { createNamespace } from '../../e2e/support/kube.js';
import { sumOf } from '../../e2e/support/prometheus.js';
import { createBackend } from '../support/backends.js';
import { BenchNamespace, retried } from '../support/bench-namespace.js';
import { mapBounded } from '../support/bounded.js';
import {
  CpuMark,
  delta,
  emptyCounters,
  reader,
  seconds,
  serverPids,
  sleep,
  waitSettled,
} from '../support/measure.js';
import { leaseId, type BenchedOperator, type BenchProcess } from '../support/operators.js';
import { processMemory, round } from '../support/proc.js';
import { waitAllReady } from '../support/ready-watch.js';
import { percentile, SecretArrivals } from '../support/secret-arrivals.js';
import { runOf, sharedPaths, sourceName, type ScenarioRun, type SuiteContext } from './context.js';
import { list } from './synced.js';

/** Storm writes seen before the newcomers are created: the storm has begun. */
const STORM_STARTED_WRITES = 20;

export async function runBurst(ctx: SuiteContext, op: BenchedOperator): Promise<ScenarioRun> {
  const { s, kc, core, custom, log } = ctx;
  const paths = sharedPaths(s.n);
  const interval = `${s.stormIntervalS}s`;
  const backend = createBackend(s.backend, randomBytes(4).toString('hex'));
  const namespace = new BenchNamespace(
    kc,
    await createNamespace(kc, op.kind === 'eso' ? 'bench-eso-burst' : 'bench-burst'),
    op.objects,
    op.managedSelector,
  );
  const outputs: (() => string)[] = [];
  let proc: BenchProcess | undefined;
  let arrivals: SecretArrivals | undefined;
  try {
    const refs = await backend.createSecrets(paths, s.createConcurrency);
    await op.prepare(custom, core, namespace.name, backend);
    await mapBounded(
      Array.from({ length: s.n }, (_, i) => i),
      s.createConcurrency,
      (i) => op.createSource(custom, namespace.name, sourceName(i, s.n), refs[i % paths]!, interval),
    );
    const lease = leaseId();
    const start = async (): Promise<BenchProcess> => {
      const started = await op.start(namespace.name, { leaseId: lease });
      outputs.push(() => started.output());
      return started;
    };
    proc = await start();
    const synced = proc;
    await waitAllReady({
      kc,
      namespace: namespace.name,
      kind: op.objects,
      n: s.n,
      started: Date.now(),
      timeoutMs: Math.max(600, s.n / 5) * 1000,
      pid: synced.pid,
      exitCode: () => synced.exitCode(),
      log: (message) => log(`${op.label}: burst set-up: ${message}`),
    });
    await proc.stop();
    proc = undefined;

    // Down while every refresh comes due, with new values.
    await backend.rewriteSecrets(s.createConcurrency);
    await sleep((s.stormIntervalS + 2) * 1_000);
    arrivals = new SecretArrivals(kc, namespace.name, op.managedSelector);
    await arrivals.start();
    const watched = arrivals;
    const pids = serverPids(backend.server);
    const stormStarted = Date.now();
    proc = await start();
    pids.operator = proc.pid;
    const cpu = new CpuMark(pids);
    const read = reader(proc.metricsUrl, (samples) => op.counters(samples));
    const deadline = Date.now() + 300_000;
    while (sumOf((await read()).kubeWrites) < STORM_STARTED_WRITES) {
      if (Date.now() > deadline) throw new Error(`${op.label}: the storm did not start within 300 s`);
      await sleep(100);
    }
    const newcomersFrom = Date.now();
    const names = Array.from({ length: s.burstNewcomers }, (_, i) => `new-${i}`);
    const latencies = await mapBounded(names, s.burstCreateConcurrency, async (name, i) => {
      const createdAt = Date.now();
      await op.createSource(custom, namespace.name, name, refs[i % paths]!, '1h');
      return (await watched.arrival(name, 900_000)) - createdAt;
    });
    const lastNewcomerAt = Date.now();
    const settled = await waitSettled(read, 900_000, 5_000);
    const stormSeconds = seconds(Date.now() - stormStarted - 5_000);
    const used = cpu.since();
    const memory = processMemory(proc.pid);
    const storm = delta(settled, emptyCounters());
    const exitCode = await proc.stop();
    proc = undefined;
    const leaked = backend.generated.filter((value) => outputs.some((output) => output().includes(value)));
    if (leaked.length > 0)
      throw new Error(`${leaked.length} generated values appeared in ${op.label}'s output`);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    log(`${op.label}: burst: create-to-Secret p50 ${p50} ms, p99 ${p99} ms; storm took ${stormSeconds}s`);
    return runOf(
      op,
      interval,
      paths,
      {
        'due refreshes (all values changed)': s.n,
        'new objects created during the storm': s.burstNewcomers,
        'create-to-Secret p50 (ms)': p50,
        'create-to-Secret p99 (ms)': p99,
        'create-to-Secret max (ms)': percentile(latencies, 100),
        'last new object synced after start (s)': seconds(lastNewcomerAt - stormStarted),
        'storm: start -> writes settled (s)': stormSeconds,
        'kube writes': storm.kubeWrites,
        'kube writes by resource/verb': list(storm.kubeWritesByResource),
        'peak RSS (MiB)': memory.peakRssMiB,
      },
      {
        newcomersCreatedAfterStartSeconds: seconds(newcomersFrom - stormStarted),
        providerCallsByOperation: storm.providerCallsByOperation,
        syncs: storm.syncs,
        cpuSeconds: used.cpuSeconds,
        machineCpuBusyPercent: used.machineCpuBusyPercent,
        latenciesMs: { p50: p50, p90: percentile(latencies, 90), p99: p99, count: latencies.length },
        meanLatencyMs: round(latencies.reduce((sum, v) => sum + v, 0) / Math.max(latencies.length, 1)),
        exitCode,
        generatedValuesInOutput: leaked.length,
        benchReadRetries: { ...retried },
      },
    );
  } finally {
    arrivals?.stop();
    if (proc) await proc.kill();
    await namespace.deleteAndWait(s.createConcurrency, log);
    await backend.cleanup();
  }
}
