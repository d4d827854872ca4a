// The Argo CD health check (docs/argocd/health.lua), run for real in Lua on sample objects of each
// kind, and the copy docs/gitops.md shows users, which must be the same script.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describeHealthCases } from './health-cases.js';
import { runHealthScript } from './lua.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = readFileSync(path.join(here, 'health.lua'), 'utf8');

describeHealthCases(script, runHealthScript);

test('the script runs in the sandbox only: os and io are not there', () => {
  expect(() => runHealthScript('return { status = os.time() }', {})).toThrow(/health script failed/);
  expect(() => runHealthScript('return { status = io.read() }', {})).toThrow(/health script failed/);
});

describe('docs/gitops.md', () => {
  const doc = readFileSync(path.join(here, '../gitops.md'), 'utf8');
  const blocks = (language: string) =>
    [...doc.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

  it('shows exactly this script', () => {
    expect(blocks('lua')).toContain(script);
  });

  it('installs it in argocd-cm for each kind', () => {
    const configMaps = blocks('yaml')
      .flatMap((text) => parseAllDocuments(text).map((d) => d.toJSON() as Record<string, unknown> | null))
      .filter((o) => o?.kind === 'ConfigMap' && (o.metadata as { name?: string }).name === 'argocd-cm');
    expect(configMaps).toHaveLength(1);
    const data = configMaps[0]!.data as Record<string, string>;
    for (const kind of ['SecretSource', 'SecretProvider', 'ClusterSecretProvider']) {
      expect(data[`resource.customizations.health.secretsource.dev_${kind}`]).toBe(script);
    }
  });
});
