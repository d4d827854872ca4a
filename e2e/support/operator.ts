// Runs the operator as a separate process, authenticated as the ServiceAccount
// that config/rbac binds (a TokenRequest gives it a bearer token), so a verb
// missing from config/rbac makes the e2e tests fail as it would in a cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { OPERATOR_NAME, OPERATOR_NAMESPACE } from '../../src/api/v1alpha1/names.js';
import { applyObject, eventually, repoRoot, requireEnv, uniqueName } from './kube.js';

export { OPERATOR_NAMESPACE };
/** Where operators register their logs on the test global; operator-log-environment.mjs reads it. */
const OPERATOR_LOGS = '__secretsourceOperatorLogs';
/** config/rbac's ServiceAccount: the operator's name. */
export const OPERATOR_SERVICE_ACCOUNT = OPERATOR_NAME;

/** Applies config/manager's Namespace and everything in config/rbac. */
export async function installOperatorRbac(kc: k8s.KubeConfig): Promise<void> {
  const files = [
    path.join(repoRoot, 'config/manager/namespace.yaml'),
    ...readdirSync(path.join(repoRoot, 'config/rbac'))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => path.join(repoRoot, 'config/rbac', f)),
  ];
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(readFileSync(file, 'utf8'))) {
      const object = doc.toJSON() as k8s.KubernetesObject | null;
      if (!object) continue;
      await applyObject(kc, object);
    }
  }
}

/**
 * A kubeconfig file whose only credential is a fresh token of the operator's ServiceAccount (by
 * default config/rbac's; the chart test passes the one its release creates).
 */
export async function operatorKubeconfigFile(
  kc: k8s.KubeConfig,
  serviceAccount: { namespace: string; name: string } = {
    namespace: OPERATOR_NAMESPACE,
    name: OPERATOR_SERVICE_ACCOUNT,
  },
): Promise<string> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const { status } = await core.createNamespacedServiceAccountToken({
    name: serviceAccount.name,
    namespace: serviceAccount.namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'e2e',
        cluster: { server: requireEnv('KUBE_API_URL'), 'certificate-authority': requireEnv('KUBE_CA_FILE') },
      },
    ],
    users: [{ name: 'operator', user: { token: status!.token } }],
    contexts: [{ name: 'operator@e2e', context: { cluster: 'e2e', user: 'operator' } }],
    'current-context': 'operator@e2e',
  };
  const dir = path.join(requireEnv('SECRETSOURCE_RUN_DIR'), 'operators');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${uniqueName('kubeconfig')}.yaml`);
  writeFileSync(file, YAML.stringify(config), { mode: 0o600 });
  return file;
}

/** The bearer token of a kubeconfig file operatorKubeconfigFile wrote (never print it). */
export function kubeconfigToken(file: string): string {
  const config = YAML.parse(readFileSync(file, 'utf8')) as { users: { user: { token: string } }[] };
  return config.users[0]!.user.token;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningOperator {
  readonly process: ChildProcess;
  readonly metricsUrl: string;
  readonly healthUrl: string;
  /** Everything the operator wrote to stdout and stderr so far (its JSON logs). */
  output(): string;
  /** SIGTERM and wait for a clean exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

export async function startOperator(options: {
  kubeconfig: string;
  namespaces?: string[];
  identity?: string;
  /** The Lease's namespace (default: the operator's own, where config/rbac lets it write Leases). */
  leaseNamespace?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /**
   * Run the compiled operator (dist/cli/main.js, as the image runs it; `npm run build` first)
   * instead of src/ through tsx. The bench measures this one.
   */
  compiled?: boolean;
}): Promise<RunningOperator> {
  const metricsPort = await freePort();
  const healthPort = await freePort();
  const args = [
    // Test-only: *.localhost names (the Key Vault test server) resolve to 127.0.0.1 in the operator.
    '--import',
    path.join(repoRoot, 'e2e/support/localhost-resolver.mjs'),
    ...(options.compiled
      ? [path.join(repoRoot, 'dist/cli/main.js')]
      : ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts')]),
    'run',
    `--kubeconfig=${options.kubeconfig}`,
    `--metrics-addr=127.0.0.1:${metricsPort}`,
    `--health-addr=127.0.0.1:${healthPort}`,
    `--leader-election-namespace=${options.leaseNamespace ?? OPERATOR_NAMESPACE}`,
    ...(options.namespaces?.length ? [`--namespaces=${options.namespaces.join(',')}`] : []),
    ...(options.extraArgs ?? []),
  ];
  const identity = options.identity ?? uniqueName('operator');
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      POD_NAME: identity,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  registerOperatorLog(`${identity} (pid ${child.pid})`, () => output);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const healthUrl = `http://127.0.0.1:${healthPort}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}:\n${output}`);
    const response = await fetch(`${healthUrl}/healthz`);
    if (!response.ok) throw new Error(`healthz ${response.status}`);
  }, 30_000);

  return {
    process: child,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    healthUrl,
    output: () => output,
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

/**
 * Makes an operator's log visible to the e2e environment (operator-log-environment.mjs), which
 * attaches its tail to every failing test of this file.
 */
function registerOperatorLog(name: string, output: () => string): void {
  const registry = globalThis as unknown as Record<string, Map<string, () => string> | undefined>;
  (registry[OPERATOR_LOGS] ??= new Map()).set(name, output);
}

/** How many of `values` appear in `output`, as text or base64 (a count, so a failure prints none). */
export function leakedCount(output: string, values: readonly string[]): number {
  return values.filter(
    (value) => output.includes(value) || output.includes(Buffer.from(value).toString('base64')),
  ).length;
}

/** A text to scan for leaks and what to call it in a report (`operator x (pid 1)`, `Event ns/name`). */
export interface ScannedText {
  readonly where: string;
  readonly text: string;
}

/**
 * Where any of `values` appears in the texts, as text or base64: `<where> line <n> (base64)`, one
 * entry per value and line. Names the place, never the value, so a failure can print it.
 */
export function leakLocations(texts: readonly ScannedText[], values: readonly string[]): string[] {
  const forms = values.flatMap((value, index) => [
    { index, form: 'text', needle: value },
    { index, form: 'base64', needle: Buffer.from(value).toString('base64') },
  ]);
  const found: string[] = [];
  for (const { where, text } of texts) {
    text.split('\n').forEach((line, number) => {
      for (const { index, form, needle } of forms)
        if (needle !== '' && line.includes(needle))
          found.push(`${where} line ${number + 1}: registered value #${index + 1} (${form})`);
    });
  }
  return found;
}
