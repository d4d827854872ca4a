import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RE2JS } from 're2js';
import { buildCrds } from './crd.js';
import {
  ADMISSION_DIR,
  API_DOC,
  CHART_ADMISSION_DIR,
  CHART_CRD_DIR,
  CRD_DIR,
  KUSTOMIZE_CRD_DIR,
  REFERENCE_SPECS_FILE,
  TYPES_FILE,
  renderAdmissionFiles,
  renderChartAdmissionFiles,
  renderCrdFiles,
  renderApiDoc,
  renderKustomizeCrdFiles,
  renderReferenceSpecs,
  renderTypes,
} from './generate.js';
import { ruleCheckOf, type JSONSchemaProps } from './schema.js';

const STALE = 'is stale: run make manifests';

type Visit = (schema: JSONSchemaProps, at: string) => void;

function walk(schema: JSONSchemaProps, at: string, visit: Visit): void {
  visit(schema, at);
  for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, `${at}.${name}`, visit);
  if (schema.items) walk(schema.items, `${at}[]`, visit);
  if (schema.additionalProperties) walk(schema.additionalProperties, `${at}{}`, visit);
}

const rootSchemas = buildCrds().map((crd) => ({
  kind: crd.spec.names.kind,
  schema: crd.spec.versions[0]!.schema.openAPIV3Schema,
}));

/** The YAML files under dir (and its subdirectories), as paths relative to it. */
async function yamlFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((f) => f.endsWith('.yaml')).sort();
}

describe('generated files', () => {
  it.each([
    ['crds/', CRD_DIR, renderCrdFiles],
    ['config/crd/', KUSTOMIZE_CRD_DIR, renderKustomizeCrdFiles],
    ['charts/secretsource-operator/files/crds/', CHART_CRD_DIR, renderCrdFiles],
    ['charts/secretsource-operator/files/admission/', CHART_ADMISSION_DIR, renderChartAdmissionFiles],
  ])('%s matches the schemas', async (label, dir, render) => {
    const expected = render();
    const onDisk = await yamlFilesIn(dir);
    expect({ files: onDisk, note: STALE }).toEqual({ files: [...expected.keys()].sort(), note: STALE });
    for (const [name, text] of expected) {
      const actual = await readFile(path.join(dir, name), 'utf8');
      // Compared as a verdict, not as text: a diff of a whole CRD would bury the one line that counts.
      expect({ file: `${label}${name}`, fresh: actual === text, note: STALE }).toEqual({
        file: `${label}${name}`,
        fresh: true,
        note: STALE,
      });
    }
  });

  it('config/admission/provider_namespace.yaml matches the schemas and the providers’ schema leaves', async () => {
    for (const [name, text] of await renderAdmissionFiles()) {
      const actual = await readFile(path.join(ADMISSION_DIR, name), 'utf8');
      expect({ file: `config/admission/${name}`, fresh: actual === text, note: STALE }).toEqual({
        file: `config/admission/${name}`,
        fresh: true,
        note: STALE,
      });
    }
  });

  it('e2e/support/reference-specs.ts matches the schemas and the providers’ schema leaves', async () => {
    const actual = await readFile(REFERENCE_SPECS_FILE, 'utf8');
    expect({
      file: 'e2e/support/reference-specs.ts',
      fresh: actual === (await renderReferenceSpecs()),
      note: STALE,
    }).toEqual({ file: 'e2e/support/reference-specs.ts', fresh: true, note: STALE });
  });

  it('docs/api.md matches the schemas', async () => {
    const actual = await readFile(API_DOC, 'utf8');
    expect({ file: 'docs/api.md', fresh: actual === (await renderApiDoc()), note: STALE }).toEqual({
      file: 'docs/api.md',
      fresh: true,
      note: STALE,
    });
  });

  it('crds/ holds only CustomResourceDefinitions (kubectl apply -f crds/)', () => {
    for (const text of renderCrdFiles().values()) expect(text).toMatch(/^kind: CustomResourceDefinition$/m);
  });

  it('config/crd/ lists a copy of every CRD in crds/', () => {
    const kustomize = renderKustomizeCrdFiles();
    for (const [name, text] of renderCrdFiles()) expect(kustomize.get(`bases/${name}`)).toBe(text);
    expect(kustomize.get('kustomization.yaml')).toContain(
      [...renderCrdFiles().keys()].map((name) => `  - bases/${name}`).join('\n'),
    );
  });

  it('types.generated.ts matches the schemas', async () => {
    const actual = await readFile(TYPES_FILE, 'utf8');
    expect({ file: 'types.generated.ts', fresh: actual === (await renderTypes()), note: STALE }).toEqual({
      file: 'types.generated.ts',
      fresh: true,
      note: STALE,
    });
  }, 30_000);
});

describe.each(rootSchemas)('$kind schema', ({ schema }) => {
  it('has no default anywhere (defaults are applied in code)', () => {
    expect(JSON.stringify(schema)).not.toContain('"default"');
    for (const text of renderCrdFiles().values()) expect(text).not.toMatch(/^\s*default:/m);
  });

  it('describes every property', () => {
    const undescribed: string[] = [];
    walk(schema, '', (node, at) => {
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        // The API server refuses a CRD that says anything about the root metadata.
        if (at === '' && name === 'metadata') continue;
        if (!child.description) undescribed.push(`${at}.${name}`);
      }
    });
    expect(undescribed).toEqual([]);
  });

  it('gives every node a type (a structural schema)', () => {
    const untyped: string[] = [];
    walk(schema, '', (node, at) => {
      if (node.type === undefined) untyped.push(at);
    });
    expect(untyped).toEqual([]);
  });

  it('gives every CEL rule a TypeScript twin (cross-checked against CEL by cel.test.ts) and a message', () => {
    walk(schema, '', (node, at) => {
      for (const rule of node['x-kubernetes-validations'] ?? []) {
        expect({ at, rule: rule.rule, twin: typeof ruleCheckOf(rule) }).toEqual({
          at,
          rule: rule.rule,
          twin: 'function',
        });
        expect(rule.message.length).toBeGreaterThan(10);
      }
    });
  });

  it('bounds every list, so per-item CEL rules stay within the cost budget', () => {
    walk(schema, '', (node, at) => {
      if (node.type === 'array')
        expect({ at, maxItems: node.maxItems ?? 'missing' }).toEqual({ at, maxItems: expect.any(Number) });
    });
  });

  it('matches in CEL only with patterns RE2 compiles, as the API server does (e.g. repeats up to 1000)', () => {
    walk(schema, '', (node, at) => {
      for (const { rule } of node['x-kubernetes-validations'] ?? []) {
        for (const [, pattern] of rule.matchAll(/\.matches\(r'([^']*)'\)/g)) {
          expect({ at, pattern, compiles: compilesInRe2(pattern!) }).toEqual({ at, pattern, compiles: true });
        }
        // Only raw strings: the pattern then reaches RE2 exactly as written here.
        expect({ at, rule, quoted: /\.matches\('/.test(rule) }).toEqual({ at, rule, quoted: false });
      }
    });
  });
});

function compilesInRe2(pattern: string): boolean {
  try {
    RE2JS.compile(pattern);
    return true;
  } catch {
    return false;
  }
}

describe('CRDs', () => {
  it('are served and stored at v1alpha1 with a status subresource', () => {
    for (const crd of buildCrds()) {
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.secretsource.dev`);
      expect(crd.spec.names.categories).toEqual(['secretsource-all']);
      expect(crd.spec.versions).toHaveLength(1);
      expect(crd.spec.versions[0]).toMatchObject({
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
      });
    }
  });

  it("the category is no kind's singular, plural or short name (kubectl would expand it)", () => {
    const names = buildCrds().flatMap(({ spec: { names } }) => [
      names.singular,
      names.plural,
      ...names.shortNames,
    ]);
    for (const crd of buildCrds())
      for (const category of crd.spec.names.categories) expect(names).not.toContain(category);
  });

  it('scope and short names', () => {
    const byKind = Object.fromEntries(buildCrds().map((crd) => [crd.spec.names.kind, crd.spec]));
    expect(byKind.SecretSource).toMatchObject({ scope: 'Namespaced', names: { shortNames: ['ss'] } });
    expect(byKind.SecretProvider).toMatchObject({ scope: 'Namespaced', names: { shortNames: ['sp'] } });
    expect(byKind.ClusterSecretProvider).toMatchObject({ scope: 'Cluster', names: { shortNames: ['csp'] } });
  });

  it('prints the columns kubectl get shows', () => {
    const columns = Object.fromEntries(
      buildCrds().map((crd) => [
        crd.spec.names.kind,
        crd.spec.versions[0]!.additionalPrinterColumns.filter((c) => !c.priority).map(
          (c) => `${c.name}=${c.jsonPath}`,
        ),
      ]),
    );
    expect(columns.SecretSource).toEqual([
      'Ready=.status.conditions[?(@.type=="Ready")].status',
      'Provider=.spec.providerRef.name',
      'Target=.status.targetName',
      'Last Sync=.status.lastSyncTime',
      'Next Refresh=.status.nextRefreshTime',
      'Age=.metadata.creationTimestamp',
    ]);
    expect(columns.ClusterSecretProvider).toEqual([
      'Ready=.status.conditions[?(@.type=="Ready")].status',
      'Backend=.status.backend',
      'Age=.metadata.creationTimestamp',
    ]);
  });
});
