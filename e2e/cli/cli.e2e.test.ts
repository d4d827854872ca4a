// The everyday CLI against the real cluster and OpenBao: `secretsource render` builds the Secret a
// SecretSource would produce (values redacted unless --show-values) and writes nothing;
// `secretsource status` lists SecretSources, failing first; and the same binary installed as
// `kubectl-secretsource` answers `kubectl secretsource status` through the real kubectl.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import {
  adminKubeConfig,
  createNamespace,
  installCrds,
  repoRoot,
  requireEnv,
  uniqueName,
} from '../support/kube.js';
import { OpenBaoAdmin } from '../support/openbao-admin.js';
import {
  installOperatorRbac,
  leakedCount,
  startNamespacedOperator,
  type RunningOperator,
} from '../support/operator.js';
import { openBaoTokenProvider, SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(120_000);

const run = promisify(execFile);
const kc = adminKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const openbao = OpenBaoAdmin.fromEnv();
const policy = uniqueName('e2e-cli');
const prefix = uniqueName('e2e-cli');
const neverPrinted: string[] = [];
let namespace: string;
let objects: SecretSourceObjects;
let operator: RunningOperator;
let token: string;
let pluginDir: string;

const generated = () => {
  const value = randomBytes(16).toString('hex');
  neverPrinted.push(value);
  return value;
};

/** `secretsource <args>` as a user runs it, with the admin kubeconfig of the environment. */
async function secretsource(args: string[], stdin?: string): Promise<{ stdout: string; stderr: string }> {
  const child = run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, KUBECONFIG: requireEnv('KUBECONFIG') },
  });
  if (stdin !== undefined) {
    child.child.stdin!.end(stdin);
  }
  return child;
}

function manifest(name: string, spec: Record<string, unknown>): string {
  return YAML.stringify({
    apiVersion: 'secretsource.dev/v1alpha1',
    kind: 'SecretSource',
    metadata: { name, namespace },
    spec: { providerRef: { kind: 'SecretProvider', name: 'vault' }, ...spec },
  });
}

beforeAll(async () => {
  await installCrds(kc);
  await installOperatorRbac(kc);
  namespace = await createNamespace(kc, 'cli');
  objects = new SecretSourceObjects(kc, namespace, { provider: 'vault' });
  await openbao.putPolicy(policy, 'path "secret/data/*" { capabilities = ["read"] }');
  token = await openbao.createToken([policy], '1h');
  neverPrinted.push(token);
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'vault-token' }, stringData: { token } },
  });
  await objects.createProvider('vault', openBaoTokenProvider('vault-token'));
  operator = await startNamespacedOperator(kc, namespace, 'e2e-cli');
  // A kubectl plugin is any executable named kubectl-<name> on the PATH.
  pluginDir = mkdtempSync(path.join(tmpdir(), 'kubectl-plugin-'));
  const plugin = path.join(pluginDir, 'kubectl-secretsource');
  writeFileSync(
    plugin,
    `#!/bin/sh\ncd '${repoRoot}' && exec '${process.execPath}' --import tsx src/cli/main.ts "$@"\n`,
  );
  chmodSync(plugin, 0o755);
}, 120_000);

afterAll(async () => {
  try {
    expect(await objects?.tearDown(operator)).toBe(0);
  } finally {
    await openbao.revokeToken(token).catch(() => undefined);
    await openbao.deletePolicy(policy).catch(() => undefined);
  }
}, 60_000);

test('render: the Secret a SecretSource would produce, redacted; --show-values shows them; nothing is written', async () => {
  const password = generated();
  const user = generated();
  const remote = await openbao.putKv(`${prefix}/db`, { password, user });
  const source = manifest('preview', {
    data: [{ key: 'password', remoteRef: { path: remote, property: 'password' } }],
    target: {
      name: 'preview-credentials',
      labels: { team: 'payments' },
      template: { data: { dsn: 'postgres://{{ .password }}@db' } },
    },
  });
  const file = path.join(pluginDir, 'preview.yaml');
  writeFileSync(file, source);

  const redacted = await secretsource(['render', '-f', file]);
  expect(leakedCount(redacted.stdout + redacted.stderr, neverPrinted)).toBe(0);
  const secret = YAML.parse(redacted.stdout) as {
    metadata: { name: string; labels: Record<string, string> };
    type: string;
    data: Record<string, string>;
  };
  expect(secret.metadata.name).toBe('preview-credentials');
  expect(secret.metadata.labels).toEqual({ team: 'payments' });
  expect(secret.type).toBe('Opaque');
  expect(secret.data).toEqual({ dsn: `<redacted: ${`postgres://${password}@db`.length} bytes>` });

  const shown = YAML.parse((await secretsource(['render', '-f', file, '--show-values'])).stdout) as {
    data: Record<string, string>;
  };
  expect(Buffer.from(shown.data['dsn']!, 'base64').toString() === `postgres://${password}@db`).toBe(true);
  // A preview: no SecretSource, no Secret.
  expect(await objects.getSecret('preview-credentials')).toBeUndefined();
  expect(await objects.getSource('preview')).toBeUndefined();
});

test('status and `kubectl secretsource status`: failing first, then Ready', async () => {
  const remote = await openbao.putKv(`${prefix}/ok`, { value: generated() });
  await objects.createSource('healthy', {
    data: [{ key: 'value', remoteRef: { path: remote, property: 'value' } }],
  });
  await objects.createSource('broken', {
    data: [{ key: 'value', remoteRef: { path: `${prefix}/missing`, property: 'value' } }],
  });
  await objects.waitReady('healthy', 'True', 'Synced');
  await objects.waitReady('broken', 'False', 'RemoteNotFound');

  const direct = await secretsource(['status', '-n', namespace]);
  const lines = direct.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+READY\s+REASON/);
  expect(lines[1]).toMatch(/^broken\s+False\s+RemoteNotFound/);
  expect(lines[2]).toMatch(/^healthy\s+True\s+Synced/);

  const viaKubectl = await run(requireEnv('KUBECTL'), ['secretsource', 'status', '-n', namespace], {
    env: {
      ...process.env,
      PATH: `${pluginDir}:${process.env['PATH'] ?? ''}`,
      KUBECONFIG: requireEnv('KUBECONFIG'),
    },
  });
  expect(viaKubectl.stdout).toBe(direct.stdout);
  const all = await secretsource(['status', '-A']);
  expect(all.stdout).toMatch(new RegExp(`^NAMESPACE\\s+NAME`));
  expect(all.stdout).toContain(namespace);
});

test('validate reads kustomize-style output on standard input', async () => {
  const good = manifest('fine', { data: [{ key: 'k', remoteRef: { path: 'p' } }] });
  const bad = manifest('bad', {
    data: [{ key: 'k', remoteRef: { path: 'p' } }],
    refresh: { schedule: '0 0 31 2 *' },
  });
  const failed = await secretsource(['validate', '-f', '-'], `${good}---\n${bad}`).catch(
    (error: { code: number; stdout: string }) => error,
  );
  expect((failed as { code?: number }).code).toBe(1);
  expect((failed as { stdout: string }).stdout).toMatch(/^<stdin>:\d+: SecretSource .*\/bad: .*never fires/);
});
