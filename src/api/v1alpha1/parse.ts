// The edge: objects from the API server become typed values here, once. The schema check is the CRD's; the CEL rules are checked again in code because
// an object stored before a CRD upgrade never met the rules it is now read with.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { objectSchema, ruleCheckOf, type JSONSchemaProps, type Kind } from './schema.js';
import type { ValidationRule } from './schema-builders.js';
import type { ClusterSecretProvider, SecretProvider, SecretSource } from './types.generated.js';

/** How many problems a message lists; the rest are counted. */
const MAX_LISTED_PROBLEMS = 3;

/**
 * The object does not match the v1alpha1 API. `problems` are JSON paths with what is wrong there;
 * they never contain field values, which may be secret.
 */
export class InvalidSpecError extends Error {
  readonly reason = 'InvalidSpec';

  constructor(
    /** e.g. `SecretSource payments/db`. */
    readonly object: string,
    readonly problems: readonly string[],
  ) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS).join('; ');
    const more =
      problems.length > MAX_LISTED_PROBLEMS ? ` (and ${problems.length - MAX_LISTED_PROBLEMS} more)` : '';
    super(`${object} is invalid: ${listed}${more}`);
    this.name = 'InvalidSpecError';
  }
}

// ---------------------------------------------------------------------------------------------
// Ajv

const KUBERNETES_KEYWORDS = [
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
];

// RFC 3339, as the API server writes metav1.Time.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajv.addVocabulary(KUBERNETES_KEYWORDS);
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
  });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isSafeInteger(n) });
  return ajv;
}

interface KindValidators {
  /** Everything but status. */
  object: ValidateFunction;
  status: ValidateFunction;
  schema: JSONSchemaProps;
}

let validators: Map<Kind, KindValidators> | undefined;

function validatorsFor(kind: Kind): KindValidators {
  if (validators === undefined) {
    const ajv = newAjv();
    validators = new Map();
    for (const k of ['SecretSource', 'SecretProvider', 'ClusterSecretProvider'] as const) {
      const schema = objectSchema(k, 'typed');
      const { status, ...properties } = schema.properties!;
      validators.set(k, {
        object: ajv.compile({ ...schema, properties }),
        status: ajv.compile(status!),
        schema,
      });
    }
  }
  return validators.get(kind)!;
}

// ---------------------------------------------------------------------------------------------
// Paths and messages

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `/spec/data/0/key` -> `spec.data[0].key`; odd map keys are quoted. */
function jsonPath(segments: readonly string[]): string {
  let out = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

// Ajv's messages quote the schema (patterns, allowed values), never the data.
function describeAjvError(error: ErrorObject, prefix: readonly string[]): string {
  const segments = [...prefix, ...pointerSegments(error.instancePath)];
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${jsonPath([...segments, missing])}: required`;
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `${jsonPath(segments)}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${jsonPath(segments)}: ${error.message ?? error.keyword}`;
}

function objectLabel(kind: Kind, obj: unknown): string {
  const metadata = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : {};
  const name = typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : '<unnamed>';
  const namespace =
    typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : '';
  return `${kind} ${namespace === '' ? '' : `${namespace}/`}${name}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// CEL rules, again

/** Whether `value` keeps `rule`: by default its TypeScript twin decides (cel.ts evaluates the CEL). */
export type RuleHolds = (rule: ValidationRule, value: unknown) => boolean;

const twinHolds: RuleHolds = (rule, value) => {
  const check = ruleCheckOf(rule);
  if (check === undefined) throw new Error(`CEL rule without a TypeScript twin: ${rule.rule}`);
  return check(value);
};

/** Every CEL rule of `schema` that `value` breaks, as `path: message`. `value` already passed Ajv. */
export function celRuleProblems(
  schema: JSONSchemaProps,
  value: unknown,
  path: readonly string[] = [],
  holds: RuleHolds = twinHolds,
): string[] {
  const problems: string[] = [];
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    if (!holds(rule, value)) {
      const at = rule.fieldPath === undefined ? path : [...path, ...rule.fieldPath.slice(1).split('.')];
      problems.push(`${jsonPath(at)}: ${rule.message}`);
    }
  }
  if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) {
      const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
      if (childSchema !== undefined)
        problems.push(...celRuleProblems(childSchema, child, [...path, key], holds));
    }
  } else if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, index) =>
      problems.push(...celRuleProblems(schema.items!, item, [...path, String(index)], holds)),
    );
  }
  return problems;
}

/** Items of `x-kubernetes-list-type: map` lists must have distinct keys; the API server enforces it too. */
function duplicateKeyProblems(
  schema: JSONSchemaProps,
  value: unknown,
  path: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  if (Array.isArray(value)) {
    const keys = schema['x-kubernetes-list-map-keys'];
    if (schema['x-kubernetes-list-type'] === 'map' && keys !== undefined) {
      const seen = new Set<string>();
      value.forEach((item: Record<string, unknown>, index) => {
        const id = JSON.stringify(keys.map((k) => item[k]));
        if (seen.has(id)) problems.push(`${jsonPath([...path, String(index)])}: duplicate ${keys.join('/')}`);
        seen.add(id);
      });
    }
    if (schema.items !== undefined) {
      value.forEach((item, index) =>
        problems.push(...duplicateKeyProblems(schema.items!, item, [...path, String(index)])),
      );
    }
  } else if (isRecord(value) && schema.properties !== undefined) {
    for (const [key, child] of Object.entries(value)) {
      const childSchema = schema.properties[key];
      if (childSchema !== undefined)
        problems.push(...duplicateKeyProblems(childSchema, child, [...path, key]));
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Parsing

type Parsed<K extends Kind> = K extends 'SecretSource'
  ? SecretSource
  : K extends 'SecretProvider'
    ? SecretProvider
    : ClusterSecretProvider;

const METADATA_FIELDS = [
  'name',
  'namespace',
  'uid',
  'generation',
  'resourceVersion',
  'labels',
  'annotations',
  'deletionTimestamp',
  'finalizers',
] as const;

function parse<K extends Kind>(kind: K, obj: unknown): Parsed<K> {
  const label = objectLabel(kind, obj);
  const { object, status, schema } = validatorsFor(kind);
  if (!isRecord(obj)) throw new InvalidSpecError(label, ['(root): must be an object']);

  if (!object(obj)) {
    throw new InvalidSpecError(
      label,
      (object.errors ?? []).map((e) => describeAjvError(e, [])),
    );
  }
  const problems = [
    ...celRuleProblems(schema.properties!.spec!, obj.spec, ['spec']),
    ...duplicateKeyProblems(schema.properties!.spec!, obj.spec, ['spec']),
  ];
  if (problems.length > 0) throw new InvalidSpecError(label, problems);

  // A copy with only the fields the operator reads: managedFields and friends stay behind.
  const source = obj.metadata as Record<string, unknown>;
  const metadata = Object.fromEntries(
    METADATA_FIELDS.filter((field) => source[field] !== undefined).map((field) => [field, source[field]]),
  );
  const parsed: Record<string, unknown> = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata,
    spec: structuredClone(obj.spec),
  };
  // Only the operator writes status, and the API server checks it then. One that no longer fits
  // (written by an older operator) is dropped: the next reconcile writes a fresh one.
  if (obj.status !== undefined && status(obj.status)) parsed.status = structuredClone(obj.status);
  return parsed as unknown as Parsed<K>;
}

export function parseSecretSource(obj: unknown): SecretSource {
  return parse('SecretSource', obj);
}

export function parseSecretProvider(obj: unknown): SecretProvider {
  return parse('SecretProvider', obj);
}

export function parseClusterSecretProvider(obj: unknown): ClusterSecretProvider {
  return parse('ClusterSecretProvider', obj);
}
