// src/kube is the framework under the reconcilers: it must not reach into the domain.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(path.join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [path.join(dir, entry.name)]
        : [],
  );
}

test('nothing in src/kube imports from outside src/kube', () => {
  const outside: string[] = [];
  for (const file of sources(here)) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), specifier!);
      if (!target.startsWith(here + path.sep)) outside.push(`${path.relative(here, file)} → ${specifier}`);
    }
  }
  expect(outside).toEqual([]);
});
