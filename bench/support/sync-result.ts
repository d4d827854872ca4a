// The result of one sync bench run (bench/results/sync-<N>.json) and the table printed for it.
export interface BenchResult {
  bench: 'sync';
  date: string;
  machine: { cpus: number; loadAverage1mAtStart: number };
  /** The code measured: HEAD, and whether src/ had uncommitted changes. */
  code: { commit: string; srcModified: boolean };
  /** Transient errors (by HTTP status) the bench's own reads retried during the run. */
  benchReadRetries: Record<string, number>;
  settings: {
    backend: 'openbao' | 'aws';
    n: number;
    paths: number;
    concurrency: number;
    createConcurrency: number;
    kubeQps: number;
    kubeBurst: number;
    refreshInterval: string;
    cycles: number;
    readyMethod: 'list' | 'watch';
  };
  setup: { createSecretSourcesSeconds: number };
  initialSync: {
    secondsToAllReady: number;
    secondsToInformersSynced: number | undefined;
    secondsToLeader: number | undefined;
    secondsToFirstReady: number | undefined;
    secondsToHalfReady: number | undefined;
    readyPerSecondAfterLeader: number;
    readinessMethod: 'list' | 'watch';
    readinessPolls: number;
    readinessWatchRestarts: number;
    /** [seconds from the operator's spawn, SecretSources Ready]: the first observation and each change (the SVG chart). */
    readyOverTime?: [number, number][];
    meanReadinessListMs: number;
    /** CPU one list of the N SecretSources costs (mean of 5, operator stopped). */
    readinessListCpuSeconds: Record<string, number>;
    /** readinessListCpuSeconds × readinessPolls: the share of cpuSeconds the bench's own polling caused. */
    readinessPollsCpuSecondsEstimate: Record<string, number>;
    providerCalls: number;
    providerCallsByOperation: Record<string, number>;
    /** Requests the backend server received per action (aws: counted by a proxy in front of moto). */
    backendRequests?: Record<string, number>;
    kubeWrites: number;
    kubeWritesPerSecretSource: number;
    kubeWritesByResource: Record<string, number>;
    kubeWritesAfterAllReady: number;
    eventsCreated: number;
    syncs: Record<string, number>;
    /** Syncs that found nothing new before the initial sync settled: not refreshes when interval > secondsToAllReady. */
    unchangedSyncsBeforeSettled: number;
    operatorHeapUsedMiBAtReady: number;
    operatorHeapTotalMiBAtReady: number;
    operatorExternalMiBAtReady: number;
    /**
     * CPU seconds per process; "bench" is this process (mostly the readiness lists), "other" is the
     * rest of the machine (the dev machine is shared).
     */
    cpuSeconds: Record<string, number>;
    machineCpuBusyPercent: number;
    operatorRssMiBAtReady: number;
    /** Most sockets the operator held open at one readiness poll (a new connection per API call shows here). */
    operatorPeakOpenSockets: number;
  };
  /** CYCLES quiet refresh cycles, in order. */
  refreshCycles: RefreshCycleResult[];
  operator: {
    peakRssMiB: number;
    rssMiBAtEnd: number;
    heapUsedMiBAtEnd: number;
    exitCode: number | null;
    errorLogLines: number;
    generatedValuesInOutput: number;
  };
  ceiling: {
    plainApplySeconds: number;
    plainAppliesPerSecond: number;
    cpuSeconds: Record<string, number>;
    operatorToCeilingRatio: number;
    /** The same applies with one undici dispatcher shared by all calls (see support/kube-connections.ts). */
    reusedConnectionsApplySeconds: number;
    reusedConnectionsAppliesPerSecond: number;
    reusedConnectionsCpuSeconds: Record<string, number>;
  };
}

/** One refresh of every SecretSource with nothing changed in the backend. */
export interface RefreshCycleResult {
  /** From the first refresh seen to the N-th (polled every 250 ms). */
  spreadSeconds: number;
  /** From all Ready (first cycle) or the end of the previous cycle. */
  secondsFromPrevious: number;
  complete: boolean;
  providerCalls: number;
  providerCallsByOperation: Record<string, number>;
  /** PATHS: the distinct secrets the N SecretSources read. */
  distinctSecrets: number;
  /** providerCalls ÷ distinctSecrets: 1 means each secret was read once; below 1, reads were batched. */
  providerCallsPerDistinctSecret: number;
  /** Requests the backend server received per action (aws: counted by a proxy in front of moto). */
  backendRequests?: Record<string, number>;
  kubeWrites: number;
  kubeWritesByResource: Record<string, number>;
  objectsChangedOnApiServer: number;
  eventsCreated: number;
  syncs: Record<string, number>;
  cpuSeconds: Record<string, number>;
  machineCpuBusyPercent: number;
}

/** `a=1, b=2` */
function list(values: Record<string, number> | undefined): string {
  return Object.entries(values ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

/** Rows for one refresh cycle, labelled "cycle 1", "cycle 2", ... */
function cycleRows(r: BenchResult, cycle: RefreshCycleResult, number: number): [string, string][] {
  const label = `refresh cycle ${number}`;
  return [
    [
      `${label}: provider calls`,
      `${cycle.providerCalls} = ${cycle.providerCallsPerDistinctSecret} per distinct secret (${list(cycle.providerCallsByOperation) || 'none'})`,
    ],
    ...(cycle.backendRequests
      ? [
          [`${label}: ${r.settings.backend} received`, list(cycle.backendRequests) || 'none'] as [
            string,
            string,
          ],
        ]
      : []),
    [
      `${label}: kube writes`,
      `${cycle.kubeWrites} (objects changed: ${cycle.objectsChangedOnApiServer}, Events: ${cycle.eventsCreated})`,
    ],
    [`${label}: first to last refresh`, `${cycle.spreadSeconds} s${cycle.complete ? '' : ' (INCOMPLETE)'}`],
    [`${label}: CPU seconds`, `${list(cycle.cpuSeconds)} (machine ${cycle.machineCpuBusyPercent}% busy)`],
  ];
}

/** The figures a reader wants first, one per line. */
export function table(r: BenchResult): string {
  const rows: [string, string][] = [
    [
      'backend: SecretSources / distinct secrets',
      `${r.settings.backend}: ${r.settings.n} / ${r.settings.paths}`,
    ],
    [
      'concurrency / refresh interval / readiness',
      `${r.settings.concurrency} / ${r.settings.refreshInterval} / ${r.initialSync.readinessMethod}`,
    ],
    [
      'start -> all Ready',
      `${r.initialSync.secondsToAllReady} s (leader at ${r.initialSync.secondsToLeader ?? '?'} s)`,
    ],
    ['Ready per second after leader', `${r.initialSync.readyPerSecondAfterLeader}`],
    [
      'initial: provider calls',
      `${r.initialSync.providerCalls} (${list(r.initialSync.providerCallsByOperation)})`,
    ],
    ...(r.initialSync.backendRequests
      ? [[`initial: ${r.settings.backend} received`, list(r.initialSync.backendRequests)] as [string, string]]
      : []),
    [
      'initial: kube writes',
      `${r.initialSync.kubeWrites} = ${r.initialSync.kubeWritesPerSecretSource}/source (${list(r.initialSync.kubeWritesByResource)})`,
    ],
    ['initial: Events created (in kube writes)', `${r.initialSync.eventsCreated}`],
    ['initial: extra syncs (nothing new) before settled', `${r.initialSync.unchangedSyncsBeforeSettled}`],
    [
      'initial: CPU seconds',
      `${list(r.initialSync.cpuSeconds)} (machine ${r.initialSync.machineCpuBusyPercent}% busy)`,
    ],
    ...r.refreshCycles.flatMap((cycle, index) => cycleRows(r, cycle, index + 1)),
    ['operator: most open sockets at a poll', `${r.initialSync.operatorPeakOpenSockets}`],
    [
      'operator peak RSS (VmHWM)',
      `${r.operator.peakRssMiB} MiB (heap used at Ready ${r.initialSync.operatorHeapUsedMiBAtReady} MiB, at end ${r.operator.heapUsedMiBAtEnd} MiB)`,
    ],
    [
      'ceiling: plain SSA of N Secrets',
      `${r.ceiling.plainApplySeconds} s (${r.ceiling.plainAppliesPerSecond}/s); operator/ceiling ${r.ceiling.operatorToCeilingRatio}x`,
    ],
    [
      'ceiling, one connection pool',
      `${r.ceiling.reusedConnectionsApplySeconds} s (${r.ceiling.reusedConnectionsAppliesPerSecond}/s)`,
    ],
    ['generated values in operator output', `${r.operator.generatedValuesInOutput}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
