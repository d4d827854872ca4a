// docs/security.md stays true to the repository: the audit policy it shows is the one the local API
// server runs (e2e/env/audit-policy.yaml), and every file it names exists — in the repository, or,
// under e2e/.run/, among what `make dev-up` writes (a fresh clone has no e2e/.run yet).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const doc = readFileSync(path.join(root, 'docs/security.md'), 'utf8');

test('the audit policy shown is e2e/env/audit-policy.yaml, rule for rule', () => {
  const shown = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => YAML.parse(m[1]!) as { kind?: string })
    .filter((object) => object?.kind === 'Policy');
  expect(shown).toHaveLength(1);
  expect(shown[0]).toEqual(YAML.parse(readFileSync(path.join(root, 'e2e/env/audit-policy.yaml'), 'utf8')));
});

test('every file docs/security.md names exists', () => {
  const named = [...doc.matchAll(/`((?:e2e|src|config|docs|charts)\/[^`\s]+)`/g)].map((m) => m[1]!);
  expect(named.length).toBeGreaterThan(20);
  const devUp = readFileSync(path.join(root, 'e2e/env/dev-up.sh'), 'utf8');
  const exists = (file: string): boolean =>
    file.startsWith('e2e/.run/')
      ? devUp.includes(`$run/${file.slice('e2e/.run/'.length)}`)
      : existsSync(path.join(root, file.replace(/\/$/, '')));
  const missing = [...new Set(named)].filter((file) => !exists(file));
  expect({ missing }).toEqual({ missing: [] });
});
