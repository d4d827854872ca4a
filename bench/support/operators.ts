// The operators a scenario can run against the same servers: ours, compiled (dist/, as the image
// runs it), and External Secrets Operator's controller (make bench-compare; built from its Go module
// by e2e/tools/build-eso.sh). Each in two profiles: the defaults it ships with (flags left out, so
// a change of a default is measured as it is) and tuned (write limit 500/s, burst 1000, the same
// number of workers for both). Each one says how it is started, which objects it reads, and how its
// own metric names map onto the bench's counters.
import { spawn } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { parseRunConfig } from '../../src/runtime/config.js';
import { eventually, requireEnv, uniqueName } from '../../e2e/support/kube.js';
import { freePort, operatorKubeconfigFile, startOperator } from '../../e2e/support/operator.js';
import { total, totalBy, type Sample } from '../../e2e/support/prometheus.js';
import type { BenchBackend } from './backends.js';
import { SECRET_SOURCES, type ListedObject, type ObjectKind } from './bench-namespace.js';
import { logTimes, type Counters } from './measure.js';
import { createProvider, createSource } from './objects.js';

export type OperatorKind = 'secretsource' | 'eso';
export type ProfileName = 'defaults' | 'tuned';

/** The write limit and burst of a tuned run (both operators). */
export const TUNED_QPS = 500;
export const TUNED_BURST = 1000;

export interface OperatorProfile {
  name: ProfileName;
  /** Flags added to the operator's command line (none for its defaults). */
  args: string[];
  /** Reconciles at once (its workers): the ceiling runs at the same concurrency. */
  concurrency: number;
  /** Kubernetes requests per second the operator's client allows. */
  kubeQps: number;
}

/** A running operator process. */
export interface BenchProcess {
  readonly pid: number;
  readonly metricsUrl: string;
  output(): string;
  exitCode(): number | null;
  /** Epoch ms at which it logged that its caches were synced and that it leads (ours only). */
  phases(): { informersSynced?: number; leader?: number };
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

export interface BenchedOperator {
  readonly kind: OperatorKind;
  readonly profile: OperatorProfile;
  /** "secretsource defaults", "eso tuned" */
  readonly label: string;
  /** The synced objects, and the label selector of the Secrets it manages. */
  readonly objects: ObjectKind;
  readonly managedSelector: string;
  /** Creates the provider object (SecretProvider, SecretStore) over the backend's credentials. */
  prepare(
    custom: k8s.CustomObjectsApi,
    core: k8s.CoreV1Api,
    namespace: string,
    backend: BenchBackend,
  ): Promise<void>;
  createSource(
    custom: k8s.CustomObjectsApi,
    namespace: string,
    name: string,
    remoteRef: Record<string, unknown>,
    interval: string,
  ): Promise<void>;
  start(namespace: string, options: { leaseId: string; cpuProfileDir?: string }): Promise<BenchProcess>;
  counters(samples: readonly Sample[]): Counters;
  /** When the object's next refresh is due (epoch ms), from its status; undefined when unknown. */
  nextRefresh(object: ListedObject, intervalMs: number): number | undefined;
}

/** Our profiles: the defaults `secretsource run` ships with, read from its flag parser, and tuned. */
export function secretSourceProfiles(tunedConcurrency: number): OperatorProfile[] {
  const defaults = parseRunConfig([], {});
  return [
    { name: 'defaults', args: [], concurrency: defaults.concurrency, kubeQps: defaults.kubeQps },
    {
      name: 'tuned',
      args: [`--kube-qps=${TUNED_QPS}`, `--kube-burst=${TUNED_BURST}`, `--concurrency=${tunedConcurrency}`],
      concurrency: tunedConcurrency,
      kubeQps: TUNED_QPS,
    },
  ];
}

/** ESO v0.20's flag defaults (cmd/controller/root.go): --concurrent 1, --client-qps 50. */
export function esoProfiles(tunedConcurrency: number): OperatorProfile[] {
  return [
    { name: 'defaults', args: [], concurrency: 1, kubeQps: 50 },
    {
      name: 'tuned',
      args: [
        `--concurrent=${tunedConcurrency}`,
        `--client-qps=${TUNED_QPS}`,
        `--client-burst=${TUNED_BURST}`,
      ],
      concurrency: tunedConcurrency,
      kubeQps: TUNED_QPS,
    },
  ];
}

export class SecretSourceOperator implements BenchedOperator {
  readonly kind = 'secretsource';
  readonly objects = SECRET_SOURCES;
  readonly managedSelector = 'secretsource.dev/managed=true';
  readonly profile: OperatorProfile;
  readonly #kc: k8s.KubeConfig;

  constructor(kc: k8s.KubeConfig, profile: OperatorProfile) {
    this.#kc = kc;
    this.profile = profile;
  }

  get label(): string {
    return `secretsource ${this.profile.name}`;
  }

  async prepare(
    custom: k8s.CustomObjectsApi,
    core: k8s.CoreV1Api,
    namespace: string,
    backend: BenchBackend,
  ): Promise<void> {
    await createProvider(custom, namespace, await backend.providerSpec(core, namespace));
  }

  createSource(
    custom: k8s.CustomObjectsApi,
    namespace: string,
    name: string,
    remoteRef: Record<string, unknown>,
    interval: string,
  ): Promise<void> {
    return createSource(custom, namespace, name, remoteRef, { interval });
  }

  async start(
    namespace: string,
    options: { leaseId: string; cpuProfileDir?: string },
  ): Promise<BenchProcess> {
    const running = await startOperator({
      kubeconfig: await operatorKubeconfigFile(this.#kc),
      compiled: true,
      namespaces: [namespace],
      ...(options.cpuProfileDir
        ? { env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.cpuProfileDir}` } }
        : {}),
      extraArgs: [`--leader-election-id=${options.leaseId}`, ...this.profile.args],
    });
    const output = (): string => running.output();
    return {
      pid: running.process.pid!,
      metricsUrl: running.metricsUrl,
      output,
      exitCode: () => running.process.exitCode,
      phases: () => {
        const times = logTimes(output(), ['informers synced', 'became leader']);
        return {
          ...(times['informers synced'] === undefined ? {} : { informersSynced: times['informers synced'] }),
          ...(times['became leader'] === undefined ? {} : { leader: times['became leader'] }),
        };
      },
      stop: () => running.stop(),
      kill: () => running.kill(),
    };
  }

  counters(samples: readonly Sample[]): Counters {
    return {
      providerCalls: totalBy(samples, 'secretsource_provider_calls_total', ['operation', 'status']),
      kubeWrites: totalBy(samples, 'secretsource_kube_writes_total', ['resource', 'verb']),
      syncs: totalBy(samples, 'secretsource_sync_total', ['result']),
      heapUsedBytes: total(samples, 'nodejs_heap_size_used_bytes'),
    };
  }

  nextRefresh(object: ListedObject): number | undefined {
    const text = object.status?.nextRefreshTime;
    return text === undefined ? undefined : Date.parse(text);
  }
}

const ESO_GROUP = 'external-secrets.io';
const ESO_VERSION = 'v1';
const ESO_STORE = 'bench-backend';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * External Secrets Operator's core controller only: its CRDs on our API server, the binary with
 * leader election off and metrics on a free loopback port; no webhook, no cert-controller, no
 * cluster-scoped reconcilers (the bench uses namespaced SecretStores). It runs with the
 * environment's admin kubeconfig (KUBECONFIG: its command has no --kubeconfig flag).
 */
export class EsoOperator implements BenchedOperator {
  readonly kind = 'eso';
  readonly objects: ObjectKind = { group: ESO_GROUP, version: ESO_VERSION, plural: 'externalsecrets' };
  readonly managedSelector = 'reconcile.external-secrets.io/managed=true';
  readonly profile: OperatorProfile;
  readonly #binary: string;
  #env: Record<string, string> = {};

  constructor(binary: string, profile: OperatorProfile) {
    this.#binary = binary;
    this.profile = profile;
  }

  get label(): string {
    return `eso ${this.profile.name}`;
  }

  async prepare(
    custom: k8s.CustomObjectsApi,
    core: k8s.CoreV1Api,
    namespace: string,
    backend: BenchBackend,
  ): Promise<void> {
    await backend.providerSpec(core, namespace); // the credentials Secret (and aws: the proxy)
    const store = backend.esoStore();
    this.#env = store.env;
    await custom.createNamespacedCustomObject({
      group: ESO_GROUP,
      version: ESO_VERSION,
      namespace,
      plural: 'secretstores',
      body: {
        apiVersion: `${ESO_GROUP}/${ESO_VERSION}`,
        kind: 'SecretStore',
        metadata: { name: ESO_STORE },
        spec: { provider: store.provider },
      },
    });
  }

  async createSource(
    custom: k8s.CustomObjectsApi,
    namespace: string,
    name: string,
    remoteRef: Record<string, unknown>,
    interval: string,
  ): Promise<void> {
    await custom.createNamespacedCustomObject({
      group: ESO_GROUP,
      version: ESO_VERSION,
      namespace,
      plural: 'externalsecrets',
      body: {
        apiVersion: `${ESO_GROUP}/${ESO_VERSION}`,
        kind: 'ExternalSecret',
        metadata: { name },
        spec: {
          refreshInterval: interval,
          secretStoreRef: { kind: 'SecretStore', name: ESO_STORE },
          target: { name, creationPolicy: 'Owner' },
          data: [{ secretKey: 'value', remoteRef: { key: remoteRef.path, property: remoteRef.property } }],
        },
      },
    });
  }

  async start(namespace: string): Promise<BenchProcess> {
    const metricsPort = await freePort();
    const livePort = await freePort();
    const child = spawn(
      this.#binary,
      [
        `--metrics-addr=127.0.0.1:${metricsPort}`,
        `--live-addr=127.0.0.1:${livePort}`,
        `--namespace=${namespace}`,
        '--enable-leader-election=false',
        '--enable-cluster-store-reconciler=false',
        '--enable-cluster-external-secret-reconciler=false',
        '--enable-cluster-push-secret-reconciler=false',
        '--enable-push-secret-reconciler=false',
        ...this.profile.args,
      ],
      {
        env: { PATH: process.env.PATH ?? '', KUBECONFIG: requireEnv('KUBECONFIG'), ...this.#env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await eventually(async () => {
      if (child.exitCode !== null)
        throw new Error(`ESO exited with ${child.exitCode}:\n${output.slice(-4000)}`);
      const response = await fetch(metricsUrl);
      if (!response.ok) throw new Error(`metrics ${response.status}`);
    }, 30_000);
    return {
      pid: child.pid!,
      metricsUrl,
      output: () => output,
      exitCode: () => child.exitCode,
      phases: () => ({}),
      async stop() {
        if (child.exitCode === null) child.kill('SIGTERM');
        return exited;
      },
      async kill() {
        if (child.exitCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
  }

  counters(samples: readonly Sample[]): Counters {
    const writes: Record<string, number> = {};
    for (const sample of samples) {
      if (sample.name !== 'rest_client_requests_total') continue;
      const method = sample.labels.method ?? '';
      if (WRITE_METHODS.has(method)) writes[method] = (writes[method] ?? 0) + sample.value;
    }
    return {
      providerCalls: totalBy(samples, 'externalsecret_provider_api_calls_count', ['call', 'status']),
      kubeWrites: writes,
      syncs: { all: total(samples, 'externalsecret_sync_calls_total') },
      heapUsedBytes: total(samples, 'go_memstats_heap_inuse_bytes'),
    };
  }

  /** ESO refreshes an ExternalSecret refreshInterval after its status.refreshTime. */
  nextRefresh(object: ListedObject, intervalMs: number): number | undefined {
    const text = (object.status as { refreshTime?: string } | undefined)?.refreshTime;
    return text === undefined ? undefined : Date.parse(text) + intervalMs;
  }
}

/** A lease name of its own per operator run, so runs never wait for each other's Lease. */
export function leaseId(): string {
  return uniqueName('bench');
}
