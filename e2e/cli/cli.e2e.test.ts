// The everyday CLI against the real cluster and OpenBao: `secretsource render` builds the Secret a
// SecretSource would produce (values redacted unless --show-values) and writes nothing;
// `secretsource status` lists SecretSources, failing first; and the same binary installed as
// `kubectl-secretsource` answers `kubectl secretsource status` through the real kubectl.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import YAML from 'yaml';
import { OpenBaoUnderTest } from '../cases/openbao.js';
import { repoRoot, requireEnv } from '../support/kube.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import type { SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(120_000);

const run = promisify(execFile);
const openbao = new OpenBaoUnderTest();
// The SecretProvider is called `vault`, as the manifests below (and the CLI's output) name it.
const fx = useOperatorFixture({
  name: 'cli',
  provider: openbao,
  authModes: ['token'],
  providerNames: { token: 'vault' },
});
let namespace: string;
let objects: SecretSourceObjects;
let pluginDir: string;

const generated = (): string => fx.generated();

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

beforeAll(() => {
  ({ namespace, objects } = fx);
  // A kubectl plugin is any executable named kubectl-<name> on the PATH.
  pluginDir = mkdtempSync(path.join(tmpdir(), 'kubectl-plugin-'));
  const plugin = path.join(pluginDir, 'kubectl-secretsource');
  writeFileSync(
    plugin,
    `#!/bin/sh\ncd '${repoRoot}' && exec '${process.execPath}' --import tsx src/cli/main.ts "$@"\n`,
  );
  chmodSync(plugin, 0o755);
});

test('render: the Secret a SecretSource would produce, redacted; --show-values shows them; nothing is written', async () => {
  const password = generated();
  const user = generated();
  const remote = await openbao.put('db', { password, user });
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
  expect(fx.leaked(redacted.stdout + redacted.stderr)).toBe(0);
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
  const remote = await openbao.put('ok', { value: generated() });
  await objects.createSource('healthy', {
    data: [{ key: 'value', remoteRef: { path: remote, property: 'value' } }],
  });
  await objects.createSource('broken', {
    data: [{ key: 'value', remoteRef: { path: openbao.remote.path('missing'), property: 'value' } }],
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
