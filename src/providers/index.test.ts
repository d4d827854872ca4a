import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { secretProviderSpecSchema } from '../api/v1alpha1/schema.js';
import { PROVIDER_TYPES, PROVIDERS, providerFactories } from './index.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SDK = /^(@aws-sdk\/|@azure\/|node-vault$)/;
// Value imports and re-exports; `import type` is erased, and `await import()` is how a factory loads
// its client code on first use.
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm;

/** The packages a module loads through its static imports, transitively. */
function packagesLoadedBy(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      if (specifier!.startsWith('.'))
        visit(path.resolve(path.dirname(file), specifier!.replace(/\.js$/, '.ts')));
      else packages.add(specifier!);
    }
  };
  visit(path.join(SRC, entry));
  return packages;
}

describe('the provider list', () => {
  test('one descriptor per spec field, each with its schema in the provider spec', () => {
    expect(new Set(PROVIDER_TYPES).size).toBe(PROVIDERS.length);
    expect(Object.keys(secretProviderSpecSchema.properties!)).toEqual([...PROVIDER_TYPES]);
    for (const provider of PROVIDERS) {
      expect(secretProviderSpecSchema.properties![provider.type]).toBe(provider.schema);
    }
  });

  test('every factory is registered under its descriptor type', () => {
    expect(providerFactories().map((factory) => factory.type)).toEqual(
      PROVIDERS.filter((provider) => provider.factory).map((provider) => provider.type),
    );
  });

  test.each(['providers/index.ts', 'api/v1alpha1/index.ts', 'api/v1alpha1/generate.ts'])(
    '%s loads no backend SDK (the clients load on first use)',
    (entry) => {
      expect([...packagesLoadedBy(entry)].filter((name) => SDK.test(name))).toEqual([]);
    },
  );

  test('the walker sees the SDKs the client code loads', () => {
    expect(packagesLoadedBy('providers/aws/create-client.ts')).toContain('@aws-sdk/client-sts');
    expect(packagesLoadedBy('providers/vault/create-client.ts')).toContain('node-vault');
    expect(packagesLoadedBy('providers/azure/create-client.ts')).toContain('@azure/keyvault-secrets');
  });
});
