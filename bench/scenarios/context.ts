// What every scenario shares: the settings of the suite, the admin clients, and one scenario run's
// figures (support/report.ts turns them into tables and JSON).
import * as k8s from '@kubernetes/client-node';
import { parseDuration } from '../../src/rotation/duration.js';
import type { BackendName } from '../support/backends.js';
import type { BenchedOperator, OperatorKind, ProfileName } from '../support/operators.js';

export const SCENARIOS = ['cold', 'cold-distinct', 'steady', 'churn', 'burst', 'restart'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface SuiteSettings {
  backend: BackendName;
  n: number;
  scenarios: ScenarioName[];
  createConcurrency: number;
  /** REFRESH_INTERVAL: overrides the interval each profile gets (refreshIntervalFor). */
  refreshInterval: string | undefined;
  /** Share of remote values the churn scenario changes per cycle, percent. */
  churnPercent: number;
  /** How long the restart scenario counts calls and writes after the new process is spawned. */
  restartWindowMs: number;
  /** The burst scenario's refresh interval: the operator is down this long, so every refresh is due. */
  stormIntervalS: number;
  /** New objects the burst scenario creates while the storm runs. */
  burstNewcomers: number;
  burstCreateConcurrency: number;
  cpuProfileDir: string | undefined;
}

export interface SuiteContext {
  s: SuiteSettings;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
  log: (message: string) => void;
}

/** One scenario measured for one operator in one profile. */
export interface ScenarioRun {
  operator: OperatorKind;
  profile: ProfileName;
  args: string[];
  concurrency: number;
  refreshInterval: string;
  distinctSecrets: number;
  /** The figures the table shows, in order (the JSON keeps them too). */
  figures: Record<string, number | string | undefined>;
  /** Everything else measured (by operation, CPU per process, readiness over time, ...). */
  detail: Record<string, unknown>;
}

export function runOf(
  op: BenchedOperator,
  refreshInterval: string,
  distinctSecrets: number,
  figures: ScenarioRun['figures'],
  detail: ScenarioRun['detail'],
): ScenarioRun {
  return {
    operator: op.kind,
    profile: op.profile.name,
    args: op.profile.args,
    concurrency: op.profile.concurrency,
    refreshInterval,
    distinctSecrets,
    figures,
    detail,
  };
}

/** K = N/100 distinct secrets (at least 10, at most N): where read sharing helps. */
export function sharedPaths(n: number): number {
  return Math.min(n, Math.max(10, Math.floor(n / 100)));
}

/**
 * The refresh interval of a profile's objects: long enough that the first refresh of the earliest
 * object comes after the last one is Ready (a clean quiet cycle), short enough that the suite does
 * not idle for long. Estimated from what limits a first sync: 4 writes per object at the client's
 * write limit, or about 12 objects per second per worker, or 60 per second on this 2-core machine
 * (bench/README.md), whichever is least; twice that, at least 30 s.
 */
export function refreshIntervalFor(s: SuiteSettings, op: BenchedOperator): string {
  if (s.refreshInterval !== undefined) {
    parseDuration(s.refreshInterval);
    return s.refreshInterval;
  }
  const perSecond = Math.min(op.profile.kubeQps / 4, 12 * op.profile.concurrency, 60);
  return `${Math.max(30, Math.ceil((2 * s.n) / perSecond))}s`;
}

export function sourceName(index: number, n: number): string {
  return `s-${String(index).padStart(String(n - 1).length, '0')}`;
}
