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
  refreshCycle: {
    /** From the first refresh seen to the N-th (polled every 250 ms). */
    spreadSeconds: number;
    secondsFromAllReady: number;
    complete: boolean;
    providerCalls: number;
    providerCallsByOperation: Record<string, number>;
    /** PATHS: the distinct secrets the N SecretSources read. */
    distinctSecrets: number;
    /** providerCalls ÷ distinctSecrets: 1 means each secret was read once; below 1, reads were batched. */
    providerCallsPerDistinctSecret: number;
    backendRequests?: Record<string, number>;
    kubeWrites: number;
    kubeWritesByResource: Record<string, number>;
    objectsChangedOnApiServer: number;
    eventsCreated: number;
    syncs: Record<string, number>;
    cpuSeconds: Record<string, number>;
    machineCpuBusyPercent: number;
  };
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

/** `a=1, b=2` */
function list(values: Record<string, number> | undefined): string {
  return Object.entries(values ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

function backendRows(r: BenchResult): [string, string][] {
  if (!r.initialSync.backendRequests) return [];
  return [
    [`${r.settings.backend} received: initial`, list(r.initialSync.backendRequests) || 'none'],
    [`${r.settings.backend} received: refresh cycle`, list(r.refreshCycle.backendRequests) || 'none'],
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
    [
      'initial: kube writes',
      `${r.initialSync.kubeWrites} = ${r.initialSync.kubeWritesPerSecretSource}/source (${list(r.initialSync.kubeWritesByResource)})`,
    ],
    ['initial: Events created (not in writes metric)', `${r.initialSync.eventsCreated}`],
    ['initial: extra syncs (nothing new) before settled', `${r.initialSync.unchangedSyncsBeforeSettled}`],
    [
      'initial: CPU seconds',
      `${list(r.initialSync.cpuSeconds)} (machine ${r.initialSync.machineCpuBusyPercent}% busy)`,
    ],
    [
      'refresh cycle: provider calls',
      `${r.refreshCycle.providerCalls} = ${r.refreshCycle.providerCallsPerDistinctSecret} per distinct secret (${list(r.refreshCycle.providerCallsByOperation) || 'none'})`,
    ],
    ...backendRows(r),
    [
      'refresh cycle: kube writes',
      `${r.refreshCycle.kubeWrites} (objects changed: ${r.refreshCycle.objectsChangedOnApiServer}, Events: ${r.refreshCycle.eventsCreated})`,
    ],
    [
      'refresh cycle: first to last refresh',
      `${r.refreshCycle.spreadSeconds} s${r.refreshCycle.complete ? '' : ' (INCOMPLETE)'}`,
    ],
    [
      'refresh cycle: CPU seconds',
      `${list(r.refreshCycle.cpuSeconds)} (machine ${r.refreshCycle.machineCpuBusyPercent}% busy)`,
    ],
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
