// The import graph of src/, drawn by dependency-cruiser from the TypeScript sources: static, type-only
// and dynamic imports alike, tests included. No module is part of an import circle, and each folder
// imports only the folders below it (ADR 0017). The table is by folder, so a module that moves
// between files of its folder changes nothing here; a new folder must be given its place.
//
// To see the graph: npx depcruise src --no-config --ts-pre-compilation-deps --ts-config tsconfig.json
//   --output-type text   (or dot, mermaid)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IModule } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What each folder of src/ may import besides itself, lowest layer first. api and kube depend on
 * nothing of ours: the resource types (with the providers' schema leaves, below) and our
 * controller-runtime. secrets turns values into a Secret; providers fetch values and may use
 * secrets' codecs (PEM, RE2 patterns); rotation plans leases, schedules and generated values over
 * both; controller holds the reconcilers; runtime adapts the process (config, metrics, health,
 * leader election) to the controller's ports; cli composes everything.
 */
const MAY_IMPORT = {
  api: [],
  kube: [],
  secrets: ['api', 'kube'],
  providers: ['api', 'kube', 'secrets'],
  rotation: ['api', 'kube', 'secrets', 'providers'],
  controller: ['api', 'kube', 'secrets', 'providers', 'rotation'],
  runtime: ['api', 'kube', 'secrets', 'providers', 'rotation', 'controller'],
  cli: ['api', 'kube', 'secrets', 'providers', 'rotation', 'controller', 'runtime'],
} as const satisfies Record<string, readonly string[]>;
type Folder = keyof typeof MAY_IMPORT;

/** A provider's piece of the API: src/api builds the CRDs and types from these and nothing else of providers. */
const SCHEMA_LEAF = /^src\/providers\/[^/]+\/schema\.ts$/;
/** The one module a schema leaf may import. */
const SCHEMA_BUILDERS = 'src/api/v1alpha1/schema-builders.ts';
/** The descriptor list: it reaches every factory and client, so only the composition roots (cli) import it. */
const DESCRIPTOR_LIST = 'src/providers/index.ts';
/** Packages the API must not reach: a backend SDK or the Kubernetes client. */
const CLIENT_PACKAGE = /^(@aws-sdk\/|@azure\/|node-vault$|@kubernetes\/)/;

let graph: IModule[];

beforeAll(async () => {
  const { output } = await cruise(
    ['src'],
    {
      baseDir: ROOT,
      tsPreCompilationDeps: true, // `import type` too
      doNotFollow: { path: 'node_modules' },
      tsConfig: { fileName: 'tsconfig.json' },
    },
    {},
    { tsConfig: extractTSConfig(path.join(ROOT, 'tsconfig.json')) },
  );
  graph = (output as ICruiseResult).modules.filter((module) => module.source.startsWith('src/'));
}, 60_000);

const isLocal = (resolved: string): boolean => resolved.startsWith('src/');
const folderOf = (file: string): string => file.split('/')[1]!;
/** The package a bare specifier names: `@scope/name` or `name`. */
const packageOf = (specifier: string): string =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
const edges = (): { from: string; to: string; module: string; local: boolean }[] =>
  graph.flatMap((module) =>
    module.dependencies.map((dependency) => ({
      from: module.source,
      to: dependency.resolved,
      module: dependency.module,
      local: isLocal(dependency.resolved),
    })),
  );

/** Each circle once, as a → b → … → a, starting from its first file in name order. */
function circles(): string[] {
  const found = new Set<string>();
  for (const module of graph) {
    for (const dependency of module.dependencies) {
      if (!dependency.circular) continue;
      const members = [module.source, ...(dependency.cycle ?? []).map((step) => step.name)];
      if (members.at(-1) === module.source) members.pop();
      const start = members.indexOf([...members].sort()[0]!);
      const rotated = [...members.slice(start), ...members.slice(0, start)];
      found.add([...rotated, rotated[0]].join(' → '));
    }
  }
  return [...found].sort();
}

describe('the import graph of src/', () => {
  test('is drawn with type-only and dynamic imports', () => {
    const kinds = (from: string, to: string) =>
      graph.find((module) => module.source === from)?.dependencies.find((d) => d.resolved === to)
        ?.dependencyTypes ?? [];
    expect(graph.length).toBeGreaterThan(100);
    expect(kinds('src/providers/vault/index.ts', 'src/providers/vault/create-client.ts')).toContain(
      'dynamic-import',
    );
    expect(kinds('src/providers/vault/api.ts', 'src/providers/vault/operations.ts')).toContain('type-only');
  });

  test('has no import circle', () => {
    expect(circles()).toEqual([]);
  });

  test('every folder of src/ has its place in the layering table', () => {
    const folders = new Set(graph.map((module) => module.source.split('/')).filter((p) => p.length > 2));
    const unknown = [...folders].map((parts) => parts[1]!).filter((folder) => !(folder in MAY_IMPORT));
    expect([...new Set(unknown)]).toEqual([]);
  });

  test('each folder imports only the folders below it', () => {
    const violations = edges()
      .filter(
        ({ local, from, to }) => local && folderOf(from) in MAY_IMPORT && folderOf(from) !== folderOf(to),
      )
      .filter(({ from, to }) => {
        const allowed: readonly string[] = MAY_IMPORT[folderOf(from) as Folder];
        // src/api's one way into providers/: the schema leaves (ADR 0017).
        const leaf = folderOf(from) === 'api' && SCHEMA_LEAF.test(to);
        return !allowed.includes(folderOf(to)) && !leaf;
      })
      .map(({ from, to }) => `${from} → ${to}: ${folderOf(from)} may not import ${folderOf(to)}`);
    expect(violations).toEqual([]);
  });

  test('a provider schema leaf imports the schema builders and nothing else', () => {
    const leaves = graph.filter((module) => SCHEMA_LEAF.test(module.source));
    expect(leaves.map((module) => module.source).sort()).toEqual([
      'src/providers/aws/schema.ts',
      'src/providers/azure/schema.ts',
      'src/providers/vault/schema.ts',
    ]);
    const violations = leaves.flatMap((module) =>
      module.dependencies
        .filter((dependency) => dependency.resolved !== SCHEMA_BUILDERS)
        .map((dependency) => `${module.source} → ${dependency.module}`),
    );
    expect(violations).toEqual([]);
  });

  test('src/api and the schema leaves reach no backend SDK and no Kubernetes client, directly or through our modules', () => {
    // Walked, not read off the direct imports: before ADR 0017 src/api imported no SDK itself and
    // reached every one through the descriptor list.
    const all = edges();
    const via = new Map<string, string>(); // module reached → the module that first imported it
    const queue = graph
      .map((module) => module.source)
      .filter((source) => folderOf(source) === 'api' || SCHEMA_LEAF.test(source));
    for (const source of queue) via.set(source, '');
    const violations: string[] = [];
    const chainTo = (file: string): string[] => (file === '' ? [] : [...chainTo(via.get(file)!), file]);
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (const { to, module, local } of all.filter(({ from }) => from === next)) {
        if (!local && CLIENT_PACKAGE.test(packageOf(module)))
          violations.push([...chainTo(next), module].join(' → '));
        if (local && !via.has(to)) {
          via.set(to, next);
          queue.push(to);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  test('only the CLI imports the descriptor list (src/providers/index.ts); tests may', () => {
    const importers = edges()
      .filter(({ to }) => to === DESCRIPTOR_LIST)
      .map(({ from }) => from)
      .filter((from) => folderOf(from) !== 'cli' && !from.endsWith('.test.ts'));
    expect(importers).toEqual([]);
  });
});
