// The operator reads its own credentials from files or the Kubernetes API (the in-cluster
// ServiceAccount token, a kubeconfig, Secrets through RBAC), never from environment variables that
// hold values: such variables show in `kubectl describe pod`, in /proc and in crash dumps.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { parseRunConfig } from './config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Names only, never values: a file path, the pod's namespace and name (from the downward API). */
const ALLOWED = ['KUBECONFIG', 'POD_NAMESPACE', 'POD_NAME'];
const SECRET_LOOKING = /TOKEN|SECRET|PASSW|KEY|CRED|AUTH/i;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sourceFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [file] : [];
  });
}

/** The text without its comments (a comment may mention process.env). */
const code = (text: string): string =>
  text
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .join('\n');

test('the run config reads only KUBECONFIG, POD_NAMESPACE and POD_NAME from the environment', () => {
  const read = new Set<string>();
  const env = new Proxy<Record<string, string | undefined>>(
    { TOKEN: 'x', VAULT_TOKEN: 'x', AWS_SECRET_ACCESS_KEY: 'x', SECRETSOURCE_FINGERPRINT_KEY: 'x' },
    {
      get: (target, key) => {
        if (typeof key === 'string') read.add(key);
        return typeof key === 'string' ? target[key] : undefined;
      },
    },
  );
  parseRunConfig(['--leader-elect=false'], env, { hostname: () => 'h', randomId: () => 'r' });
  expect([...read].filter((key) => !ALLOWED.includes(key))).toEqual([]);
  expect(ALLOWED.filter((key) => SECRET_LOOKING.test(key))).toEqual([]);
});

test('process.env is read in one place only, the CLI entry point, which hands it to parseRunConfig', () => {
  const readers = sourceFiles(path.join(root, 'src'))
    .filter((file) => /process\.env\b/.test(code(readFileSync(file, 'utf8'))))
    .map((file) => path.relative(root, file));
  expect(readers).toEqual(['src/cli/main.ts']);
  const uses = readFileSync(path.join(root, 'src/cli/main.ts'), 'utf8').match(/process\.env[^\n]*/g);
  expect(uses).toEqual(['process.env);']);
});

test('the manager Deployment sets no environment variable with a value or from a Secret', () => {
  const deployment = YAML.parse(readFileSync(path.join(root, 'config/manager/manager.yaml'), 'utf8')) as {
    spec: {
      template: {
        spec: {
          containers: { env?: { name: string; value?: string; valueFrom?: object }[]; envFrom?: unknown }[];
        };
      };
    };
  };
  for (const container of deployment.spec.template.spec.containers) {
    expect(container.envFrom).toBeUndefined();
    for (const variable of container.env ?? []) {
      expect({ name: variable.name, value: variable.value }).toEqual({
        name: variable.name,
        value: undefined,
      });
      expect(Object.keys(variable.valueFrom ?? {})).toEqual(['fieldRef']);
      expect(ALLOWED).toContain(variable.name);
    }
  }
});
