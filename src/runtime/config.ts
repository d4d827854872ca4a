// `secretsource run` flags and environment, parsed once into a typed config with clear errors.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { delimiter } from 'node:path';
import { parseArgs } from 'node:util';
import { OPERATOR_NAME, OPERATOR_NAMESPACE } from '../api/v1alpha1/names.js';
import { InvalidAddressError, parseListenAddress, type ListenAddress } from './address.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';

/** Where the Kubernetes client configuration comes from. */
export type KubeConfigSource =
  { kind: 'file'; paths: string[]; from: 'flag' | 'env' } | { kind: 'in-cluster' };

export interface RunConfig {
  kubeconfig: KubeConfigSource;
  /** Namespaces to watch; empty means all namespaces. */
  namespaces: string[];
  /** Reconciles running at once. */
  concurrency: number;
  metricsAddress: ListenAddress;
  healthAddress: ListenAddress;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  /** Name of the coordination.k8s.io Lease. */
  leaderElectionId: string;
  /** This replica's holderIdentity: pod name plus a per-process suffix, so a restarted container is a new holder. */
  leaderElectionIdentity: string;
  logLevel: LogLevel;
  /** Sustained Kubernetes write rate (requests per second) and the burst above it. */
  kubeQps: number;
  kubeBurst: number;
  /**
   * Serve ClusterSecretProviders. Off, the operator starts no cluster-scoped informer (neither
   * ClusterSecretProviders nor Namespaces), so namespaced RBAC is all it needs (config/namespaced).
   */
  clusterProviders: boolean;
}

export class ConfigError extends Error {
  readonly reason = 'InvalidConfig';

  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_LEADER_ELECTION_NAMESPACE = OPERATOR_NAMESPACE;
export const DEFAULT_LEADER_ELECTION_ID = OPERATOR_NAME;

export const RUN_FLAGS_USAGE = `Flags for "secretsource run":
  --kubeconfig PATH                    kubeconfig file (default: $KUBECONFIG, else in-cluster config)
  --namespaces a,b                     namespaces to watch (default: all)
  --concurrency N                      reconciles at once (default 8)
  --metrics-addr HOST:PORT             /metrics listen address (default :8080)
  --health-addr HOST:PORT              /healthz and /readyz listen address (default :8081)
  --leader-elect[=true|false]          elect a leader through a Lease (default true; --no-leader-elect)
  --leader-election-namespace NS       namespace of the Lease (default $POD_NAMESPACE or ${DEFAULT_LEADER_ELECTION_NAMESPACE})
  --leader-election-id NAME            name of the Lease (default ${DEFAULT_LEADER_ELECTION_ID})
  --log-level LEVEL                    ${LOG_LEVELS.join(', ')} (default info)
  --kube-qps N                         Kubernetes write rate per second (default 20)
  --kube-burst N                       Kubernetes write burst (default 40)
  --cluster-providers[=true|false]     serve ClusterSecretProviders (default true; off, the operator
                                       reads nothing cluster-scoped: --no-cluster-providers)
`;

const OPTIONS = {
  kubeconfig: { type: 'string' },
  namespaces: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  'metrics-addr': { type: 'string' },
  'health-addr': { type: 'string' },
  'leader-elect': { type: 'boolean' },
  'leader-election-namespace': { type: 'string' },
  'leader-election-id': { type: 'string' },
  'log-level': { type: 'string' },
  'kube-qps': { type: 'string' },
  'kube-burst': { type: 'string' },
  'cluster-providers': { type: 'boolean' },
} as const;

export interface ConfigDependencies {
  hostname?: () => string;
  randomId?: () => string;
}

/**
 * Parses the arguments after `run`. `env` is usually process.env; only KUBECONFIG, POD_NAMESPACE
 * and POD_NAME are read from it.
 */
export function parseRunConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  dependencies: ConfigDependencies = {},
): RunConfig {
  const values = parseFlags(argv);
  const podName = nonEmpty(env['POD_NAME']) ?? (dependencies.hostname ?? hostname)();
  const suffix = (dependencies.randomId ?? randomUUID)();
  return {
    kubeconfig: kubeConfigSource(values.kubeconfig, env['KUBECONFIG']),
    namespaces: namespaceList(values.namespaces ?? []),
    concurrency: integer('--concurrency', values.concurrency, 8, 1, 1_000),
    metricsAddress: address('--metrics-addr', values['metrics-addr'] ?? ':8080'),
    healthAddress: address('--health-addr', values['health-addr'] ?? ':8081'),
    leaderElect: values['leader-elect'] ?? true,
    leaderElectionNamespace: dnsLabel(
      '--leader-election-namespace',
      values['leader-election-namespace'] ??
        nonEmpty(env['POD_NAMESPACE']) ??
        DEFAULT_LEADER_ELECTION_NAMESPACE,
    ),
    leaderElectionId: dnsSubdomain(
      '--leader-election-id',
      values['leader-election-id'] ?? DEFAULT_LEADER_ELECTION_ID,
    ),
    leaderElectionIdentity: `${podName}_${suffix}`,
    logLevel: logLevel(values['log-level'] ?? 'info'),
    kubeQps: positiveNumber('--kube-qps', values['kube-qps'], 20),
    kubeBurst: integer('--kube-burst', values['kube-burst'], 40, 1, 100_000),
    clusterProviders: values['cluster-providers'] ?? true,
  };
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: normaliseBooleanFlags(argv),
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    }).values;
  } catch (error) {
    // Checked by code, not class: unknown options, missing values and positionals are ERR_PARSE_ARGS_*.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new ConfigError(`${(error as Error).message}\n\n${RUN_FLAGS_USAGE}`);
    }
    throw error;
  }
}

// Kubernetes tooling writes booleans as --flag=false; parseArgs only knows --flag and --no-flag.
function normaliseBooleanFlags(argv: readonly string[]): string[] {
  return argv.map((arg) => {
    const match = /^--(leader-elect|cluster-providers)=(.*)$/.exec(arg);
    if (!match) return arg;
    const [, flag, raw] = match;
    const value = (raw ?? '').toLowerCase();
    if (['true', '1', 'yes'].includes(value)) return `--${flag}`;
    if (['false', '0', 'no'].includes(value)) return `--no-${flag}`;
    throw new ConfigError(`--${flag}: expected true or false, got ${JSON.stringify(raw)}`);
  });
}

function kubeConfigSource(flag: string | undefined, env: string | undefined): KubeConfigSource {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new ConfigError('--kubeconfig: must not be empty');
    return { kind: 'file', paths: [flag], from: 'flag' };
  }
  const paths = (env ?? '').split(delimiter).filter((path) => path.trim() !== '');
  return paths.length > 0 ? { kind: 'file', paths, from: 'env' } : { kind: 'in-cluster' };
}

function namespaceList(values: readonly string[]): string[] {
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim());
  return [...new Set(names.filter((name) => name !== '').map((name) => dnsLabel('--namespaces', name)))];
}

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value < min || value > max) {
    throw new ConfigError(
      `${flag}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function positiveNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${flag}: expected a number greater than 0, got ${JSON.stringify(text)}`);
  }
  return value;
}

function address(flag: string, text: string): ListenAddress {
  try {
    return parseListenAddress(text);
  } catch (error) {
    if (error instanceof InvalidAddressError) throw new ConfigError(`${flag}: ${error.message}`);
    throw error;
  }
}

function logLevel(text: string): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === text.toLowerCase());
  if (level === undefined) {
    throw new ConfigError(
      `--log-level: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(text)}`,
    );
  }
  return level;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function dnsLabel(flag: string, name: string): string {
  if (name.length > 63 || !DNS_LABEL.test(name)) {
    throw new ConfigError(
      `${flag}: ${JSON.stringify(name)} is not a valid namespace name (lower-case DNS label)`,
    );
  }
  return name;
}

function dnsSubdomain(flag: string, name: string): string {
  if (name.length > 253 || !name.split('.').every((part) => DNS_LABEL.test(part))) {
    throw new ConfigError(
      `${flag}: ${JSON.stringify(name)} is not a valid object name (lower-case DNS subdomain)`,
    );
  }
  return name;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
