// What a newcomer sees running the operator by hand against the local environment: `make run`
// (e2e/env/run-operator.sh) works with KUBECONFIG unset, and a Lease the operator cannot take is a
// warning within seconds that names the Lease, the API error and what to do, never a silent wait.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { eventually, repoRoot, requireEnv, uniqueName } from '../support/kube.js';
import { OPERATOR_NAMESPACE } from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';

jest.setTimeout(60_000);

// No provider and no operator of its own: each test starts the operator as a newcomer would.
const fx = useOperatorFixture({ name: 'e2e-lease', mode: 'no-operator' });
const leases = fx.kc.makeApiClient(k8s.CoordinationV1Api);

interface LogLine {
  level?: string;
  msg?: string;
  [field: string]: unknown;
}

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Waits (a few seconds at most) for a log line with this message; the error shows the log's tail. */
function waitForLog(output: () => string, message: string, timeoutMs = 10_000): Promise<LogLine> {
  return eventually(async () => {
    const found = logLines(output()).find((line) => line.msg === message);
    if (!found) throw new Error(`no log line "${message}" yet; the log ends:\n${output().slice(-2_000)}`);
    return found;
  }, timeoutMs);
}

describe('a Lease the operator cannot take', () => {
  test('in a namespace that does not exist: a warning naming it, and how to fix it', async () => {
    const missing = uniqueName('no-such-namespace');
    const leaseId = uniqueName('e2e-lease');
    // As `make run` does: the admin kubeconfig, so the only problem is the missing namespace.
    const operator = await fx.startOperator({
      kubeconfig: requireEnv('KUBECONFIG'),
      namespaces: [missing],
      leaseNamespace: missing,
      leaseId,
    });
    const warning = await waitForLog(
      operator.output,
      `cannot take Lease ${missing}/${leaseId}: namespaces "${missing}" not found — ` +
        `create it (kubectl create namespace ${missing}) or pass --leader-election-namespace`,
    );
    expect(warning).toMatchObject({ level: 'warn', operation: 'create', statusCode: 404 });
  });

  test('where RBAC does not let it: a warning naming the Lease and the RBAC it needs', async () => {
    // The fixture's namespace: config/rbac grants nothing there.
    const elsewhere = fx.namespace;
    const leaseId = uniqueName('e2e-lease');
    const operator = await fx.startOperator({
      namespaces: [elsewhere],
      leaseNamespace: elsewhere,
      leaseId,
    });
    const warning = await eventually(async () => {
      const found = logLines(operator.output()).find((line) =>
        line.msg?.startsWith(`cannot take Lease ${elsewhere}/${leaseId}: `),
      );
      if (!found) throw new Error(`no Lease warning yet; the log ends:\n${operator.output().slice(-2_000)}`);
      return found;
    }, 10_000);
    expect(warning).toMatchObject({ level: 'warn', statusCode: 403 });
    expect(warning.msg).toContain('is forbidden');
    expect(warning.msg).toContain(
      `grant get, create and update on leases in namespace ${elsewhere} (config/rbac/leader_election_role.yaml)`,
    );
  });
});

test('make run with KUBECONFIG unset runs against the local environment and becomes leader', async () => {
  const leaseId = uniqueName('e2e-make-run');
  fx.onCleanup(() => leases.deleteNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: leaseId }));
  const watched = await fx.createNamespace('e2e-make-run');
  // What `make run ARGS=...` runs; the environment has no KUBECONFIG, as in a fresh shell.
  const child: ChildProcess = spawn(
    path.join(repoRoot, 'e2e/env/run-operator.sh'),
    [
      `--leader-election-id=${leaseId}`,
      `--namespaces=${watched}`,
      '--metrics-addr=127.0.0.1:0',
      '--health-addr=127.0.0.1:0',
    ],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        SECRETSOURCE_RUN_DIR: requireEnv('SECRETSOURCE_RUN_DIR'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  fx.onCleanup(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });

  await waitForLog(
    () => {
      if (child.exitCode !== null) throw new Error(`make run exited with ${child.exitCode}:\n${output}`);
      return output;
    },
    'became leader: reconciling',
    30_000,
  );
  expect(output).toContain('make run: against the local environment');
  expect(logLines(output).filter((line) => line.level === 'warn')).toEqual([]);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
