// The CRDs' CEL rules, evaluated by a CEL evaluator (cel.ts), against their TypeScript twins (the
// operator's parse path): over a corpus of good and bad values for every rule, both must agree,
// and the corpus must show each rule both holding and broken, so no twin is trusted unchecked.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { buildCrds } from './crd.js';
import { crdRuleViolations, evaluateRule, skippedTransitionRules } from './cel.js';
import { ruleCheckOf, type JSONSchemaProps, type ValidationRule } from './schema-builders.js';

type Json = unknown;

function yamlObjects(dir: string): Json[] {
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => /\.ya?ml$/.test(file));
  return files.flatMap((file) =>
    YAML.parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((doc) => doc.toJSON() as Json),
  );
}

const samples = [...yamlObjects('config/samples'), ...yamlObjects('src/cli/testdata')].filter(
  (object): object is { kind: string; spec: Json } =>
    typeof object === 'object' && object !== null && 'spec' in object && 'kind' in object,
);

/** Each schema node that carries rules, with every value the samples hold there. */
interface RuleNode {
  at: string;
  rules: readonly ValidationRule[];
  values: Json[];
}

const nodes = new Map<string, RuleNode>();

function collect(schema: JSONSchemaProps, value: Json, at: string): void {
  const rules = schema['x-kubernetes-validations'];
  if (rules?.length && value !== undefined) {
    const node = nodes.get(at) ?? { at, rules, values: [] };
    node.values.push(value);
    nodes.set(at, node);
  }
  if (Array.isArray(value) && schema.items) value.forEach((item) => collect(schema.items!, item, `${at}[]`));
  else if (typeof value === 'object' && value !== null)
    for (const [key, child] of Object.entries(value)) {
      const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
      if (childSchema) collect(childSchema, child, `${at}.${key}`);
    }
}

/** Every node with rules, reached or not, so that a rule without samples still gets values. */
function allRuleNodes(schema: JSONSchemaProps, at: string): void {
  const rules = schema['x-kubernetes-validations'];
  if (rules?.length && !nodes.has(at)) nodes.set(at, { at, rules, values: [] });
  for (const [key, child] of Object.entries(schema.properties ?? {})) allRuleNodes(child, `${at}.${key}`);
  if (schema.items) allRuleNodes(schema.items, `${at}[]`);
  if (schema.additionalProperties) allRuleNodes(schema.additionalProperties, `${at}{}`);
}

const crds = new Map(
  buildCrds().map((crd) => [crd.spec.names.kind, crd.spec.versions[0]!.schema.openAPIV3Schema]),
);
for (const sample of samples.filter((s) => crds.has(s.kind)))
  collect(crds.get(sample.kind)!.properties!.spec!, sample.spec, `${sample.kind}.spec`);
for (const [kind, schema] of crds) allRuleNodes(schema.properties!.spec!, `${kind}.spec`);

/** Good and bad variants of what the samples hold: each with a field dropped, pairs merged, and stock values. */
function variants(values: readonly Json[]): Json[] {
  const out: Json[] = [
    ...values,
    {},
    '',
    'Opaque',
    'kubernetes.io/service-account-token',
    'bootstrap.kubernetes.io/token',
  ];
  const objects = values.filter(
    (v): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v),
  );
  for (const object of objects) {
    for (const key of Object.keys(object)) {
      const { [key]: _dropped, ...rest } = object;
      out.push(rest);
    }
    for (const other of objects) out.push({ ...object, ...other });
    for (const key of Object.keys(object)) {
      const child = object[key];
      if (typeof child === 'object' && child !== null && !Array.isArray(child))
        out.push({ ...object, [key]: {} });
      if (typeof child === 'string')
        out.push({ ...object, [key]: '' }, { ...object, [key]: 'not-valid value' });
      if (Array.isArray(child)) out.push({ ...object, [key]: [] });
    }
  }
  return out;
}

/** Hand-written values for rules the samples never break or never satisfy. */
const EXTRA: Json[] = [
  { vault: {}, aws: {} },
  { interval: '1h', schedule: '0 3 * * *' },
  { timeZone: 'UTC' },
  { schedule: '0 3 * * *', timeZone: 'UTC' },
  { dataFrom: [{ dynamic: { path: 'pki/issue/x' } }] },
  { dataFrom: [{ dynamic: { path: 'pki/issue/x' } }, { path: 'a' }] },
  { data: [{ key: 'a' }], dataFrom: [{ dynamic: { path: 'p' } }] },
  { dataFrom: [{ dynamic: { path: 'p' } }], refresh: { policy: 'OnChange' } },
  { dataFrom: [{ dynamic: { path: 'p' } }], refresh: { policy: 'Periodic' } },
  { data: [], dataFrom: [], generate: [] },
  { path: 'a', find: {} },
  { password: {}, keyPair: {} },
  { key: 'k', remoteRef: { path: 'p' }, keyPair: { algorithm: 'RSA' } },
  { key: 'k', remoteRef: { path: 'p', property: 'k' }, keyPair: { algorithm: 'RSA' } },
  { algorithm: 'RSA', bits: 2048 },
  { algorithm: 'ECDSA', bits: 2048 },
  { algorithm: 'ECDSA', curve: 'P-256' },
  { algorithm: 'RSA', curve: 'P-256' },
  { namespaces: ['a'] },
  { name: { regexp: 'a' } },
  { tags: { a: 'b' } },
  { roleArn: 'arn:aws:iam::123456789012:role/app' },
  { roleArn: 'arn:aws:iam::1:role/app' },
  { role: 'arn:aws:iam::123456789012:role/app', externalId: 'ext-1' },
  { externalId: 'ext-1' },
  { externalId: 'x' },
  { managedIdentity: {} },
  { role: 'not-an-arn' },
  { sessionName: 'ok-session' },
  { sessionName: 'x' },
  { caBundle: 'pem', caRef: { name: 'ca', key: 'ca.crt' } },
  { caBundle: '', caRef: { name: 'ca', key: 'ca.crt' } },
  { secretRef: {}, webIdentity: {} },
  { secretRef: {}, certificateRef: {} },
  { token: {}, appRole: {} },
  { servicePrincipal: {}, managedIdentity: {} },
  { tenantId: 't', auth: { servicePrincipal: {} } },
  { auth: { workloadIdentity: {} } },
  { auth: { managedIdentity: {} } },
];

const ruleCases = [...nodes.values()].flatMap((node) =>
  node.rules.map((rule) => ({ at: node.at, rule, node })),
);

test('the corpus reaches every rule of every CRD', () => {
  expect(ruleCases.length).toBeGreaterThan(20);
});

test.each(ruleCases.map((c) => [c.at, c.rule.rule, c] as const))(
  '%s: %s — the TypeScript twin agrees with CEL, holding and broken',
  (_at, _rule, { rule, node }) => {
    const twin = ruleCheckOf(rule)!;
    const seen = new Set<string>();
    const disagreements: string[] = [];
    for (const value of [...variants(node.values), ...EXTRA]) {
      const verdict = evaluateRule(rule, value);
      if (verdict === 'error') continue; // a shape the schema refuses before any rule runs
      let twinHolds: boolean;
      try {
        twinHolds = twin(value);
      } catch {
        continue; // the twin assumes a schema-valid shape, as the API server's CEL does
      }
      seen.add(verdict);
      if ((verdict === 'holds') !== twinHolds) disagreements.push(`${JSON.stringify(value)}: CEL ${verdict}`);
    }
    expect({ disagreements }).toEqual({ disagreements: [] });
    expect([...seen].sort()).toEqual(['broken', 'holds']);
  },
);

test('validate reports a broken rule with its message and path, as the API server would', () => {
  expect(
    crdRuleViolations({
      kind: 'SecretSource',
      spec: {
        providerRef: { name: 'x' },
        refresh: { interval: '1h', schedule: '0 3 * * *' },
        data: [{ key: 'a' }],
      },
    }),
  ).toEqual([expect.stringMatching(/^spec\.refresh: /)]);
  expect(crdRuleViolations({ kind: 'Unknown', spec: {} })).toEqual([]);
});

test('no CRD rule is a transition rule (oldSelf), which offline validation would have to skip', () => {
  expect(skippedTransitionRules()).toEqual([]);
});
