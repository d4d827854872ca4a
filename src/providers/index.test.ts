import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROVIDER_SCHEMAS, PROVIDER_TYPES } from '../api/v1alpha1/providers.js';
import { secretProviderSpecSchema } from '../api/v1alpha1/schema.js';
import { PROVIDERS, providerFactories } from './index.js';

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
  test('one descriptor per provider of the API, in its order, each with its schema leaf', () => {
    expect(new Set(PROVIDER_TYPES).size).toBe(PROVIDERS.length);
    expect(PROVIDERS.map((provider) => provider.type)).toEqual([...PROVIDER_TYPES]);
    expect(Object.keys(secretProviderSpecSchema.properties!)).toEqual([...PROVIDER_TYPES]);
    for (const [i, provider] of PROVIDERS.entries()) {
      expect(provider.schema).toBe(PROVIDER_SCHEMAS[i]!.schema);
      expect(secretProviderSpecSchema.properties![provider.type]).toBe(provider.schema);
    }
  });

  test('every factory is registered under its descriptor type', () => {
    expect(providerFactories().map((factory) => factory.type)).toEqual(
      PROVIDERS.map((provider) => provider.type),
    );
  });

  // src/api reaches no SDK at all (src/layering.test.ts); the descriptor list reaches the client code
  // only through the factories' dynamic imports.
  test('providers/index.ts loads no backend SDK (the clients load on first use)', () => {
    expect([...packagesLoadedBy('providers/index.ts')].filter((name) => SDK.test(name))).toEqual([]);
  });

  test('the walker sees the SDKs the client code loads', () => {
    expect(packagesLoadedBy('providers/aws/create-client.ts')).toContain('@aws-sdk/client-sts');
    expect(packagesLoadedBy('providers/vault/create-client.ts')).toContain('node-vault');
    expect(packagesLoadedBy('providers/azure/create-client.ts')).toContain('@azure/keyvault-secrets');
  });
});
