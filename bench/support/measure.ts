// What the scenarios measure between two moments: an operator's counters (scraped from its /metrics
// and read through the operator's own metric names, support/operators.ts), CPU time of the local
// environment's servers, and the waits that end a measured stretch (writes settled, one refresh of
// every object).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { requireEnv } from '../../e2e/support/kube.js';
import { difference, scrape, sumOf } from '../../e2e/support/prometheus.js';
import { busyPercent, busySeconds, cpuSeconds, machineCpu, round, type MachineCpu } from './proc.js';

/** The operator-neutral counters every scenario reads. */
export interface Counters {
  /** Calls to the secret backend, by operation/status (ours) or provider/call/status (ESO). */
  providerCalls: Record<string, number>;
  /** Kubernetes writes, by resource/verb (ours) or HTTP method (ESO's client-go metrics). */
  kubeWrites: Record<string, number>;
  /** Finished syncs (reconciles of one object), by result where the operator tells. */
  syncs: Record<string, number>;
  /** Heap in use (ours: nodejs_heap_size_used_bytes; ESO: go_memstats_heap_inuse_bytes). */
  heapUsedBytes: number;
}

export function emptyCounters(): Counters {
  return { providerCalls: {}, kubeWrites: {}, syncs: {}, heapUsedBytes: 0 };
}

export interface Delta {
  providerCalls: number;
  providerCallsByOperation: Record<string, number>;
  kubeWrites: number;
  kubeWritesByResource: Record<string, number>;
  syncs: Record<string, number>;
}

export function delta(after: Counters, before: Counters): Delta {
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

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const seconds = (ms: number): number => round(ms / 1000, 2);
export const mib = (bytes: number): number => round(bytes / 2 ** 20, 1);

/** Servers of the local environment whose CPU time the bench reports (pid files in e2e/.run/pids). */
const KUBE_SERVERS = ['kube-apiserver', 'etcd'] as const;

export function serverPids(backendServer: string): Record<string, number> {
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

export function cpuOf(pids: Record<string, number>): Record<string, number> {
  const used: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const value = cpuSeconds(pid);
    if (value !== undefined) used[name] = value;
  }
  return used;
}

export function benchCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU seconds of each process and of the machine from one moment on. */
export class CpuMark {
  readonly #pids: Record<string, number>;
  readonly #before: Record<string, number>;
  readonly #machine: MachineCpu;

  constructor(pids: Record<string, number>) {
    this.#pids = pids;
    this.#before = { ...cpuOf(pids), bench: benchCpu() };
    this.#machine = machineCpu();
  }

  /** Seconds per process since the mark; "other" is the rest of the machine (it is shared). */
  since(): { cpuSeconds: Record<string, number>; machineCpuBusyPercent: number } {
    const now: Record<string, number> = { ...cpuOf(this.#pids), bench: benchCpu() };
    const used: Record<string, number> = {};
    for (const [name, value] of Object.entries(now)) used[name] = round(value - (this.#before[name] ?? 0), 1);
    const machine = machineCpu();
    const other = round(Math.max(0, busySeconds(machine, this.#machine) - sumOf(used)), 1);
    return { cpuSeconds: { ...used, other }, machineCpuBusyPercent: busyPercent(machine, this.#machine) };
  }
}

/** Timestamps (epoch ms) of the operator's first log line with each message (ours logs JSON). */
export function logTimes(output: string, messages: readonly string[]): Record<string, number | undefined> {
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

const POLL_MS = 250;

/**
 * Counters once neither a write nor a sync happened for `quietMs` (or at the deadline). Not the queue
 * depth: ours also counts refreshes scheduled for later, so it is never 0 here.
 */
export async function waitSettled(
  read: () => Promise<Counters>,
  timeoutMs: number,
  quietMs = 1_000,
): Promise<Counters> {
  const deadline = Date.now() + timeoutMs;
  let previous = await read();
  let quietSince = Date.now();
  for (;;) {
    await sleep(POLL_MS);
    const current = await read();
    if (
      sumOf(current.kubeWrites) !== sumOf(previous.kubeWrites) ||
      sumOf(current.syncs) !== sumOf(previous.syncs)
    ) {
      quietSince = Date.now();
    }
    previous = current;
    if (Date.now() - quietSince >= quietMs || Date.now() > deadline) return current;
  }
}

export interface CycleEnd {
  counters: Counters;
  at: number;
  firstAt: number | undefined;
  complete: boolean;
}

/**
 * Waits until every one of `n` objects has refreshed once since `base`: `n` more syncs, and (ESO
 * may reconcile an object again on its own status update) at least one refresh interval after
 * `notBefore`, the moment the last object of the previous stretch was synced.
 */
export async function waitRefreshCycle(options: {
  read: () => Promise<Counters>;
  base: Counters;
  n: number;
  intervalMs: number;
  notBefore: number;
  timeoutMs: number;
  log: (message: string) => void;
}): Promise<CycleEnd> {
  const { read, base, n, log } = options;
  const deadline = Date.now() + options.timeoutMs;
  const earliestEnd = options.notBefore + options.intervalMs;
  let lastLog = Date.now();
  let firstAt: number | undefined;
  for (;;) {
    const polled = Date.now();
    const current = await read();
    const refreshed = sumOf(difference(current.syncs, base.syncs));
    if (refreshed > 0) firstAt ??= polled;
    if (refreshed >= n && polled >= earliestEnd)
      return { counters: current, at: polled, firstAt, complete: true };
    if (Date.now() > deadline) {
      log(`refresh cycle incomplete: ${refreshed} of ${n} refreshed before the deadline`);
      return { counters: current, at: polled, firstAt, complete: false };
    }
    if (Date.now() - lastLog >= 10_000) {
      log(`refresh cycle: ${refreshed}/${n} refreshed`);
      lastLog = Date.now();
    }
    await sleep(POLL_MS);
  }
}

/** Scrapes `url` and reads it with `counters`. */
export function reader(url: string, counters: (text: Awaited<ReturnType<typeof scrape>>) => Counters) {
  return async (): Promise<Counters> => counters(await scrape(url));
}
