// The building blocks of the v1alpha1 schemas: the JSONSchemaProps subset, named types, CEL rules
// with their TypeScript twins, small builders, the credential references every provider uses and
// the shape of a provider's piece of the API (ProviderSchema).
// Each provider's piece (src/providers/<type>/schema.ts) imports this module and nothing else, so
// src/api can assemble the CRDs from those pieces without loading any provider code (ADR 0017).
//
// The rules every schema built here keeps are in schema.ts.

/**
 * A provider's piece of the v1alpha1 API: what src/api needs to know of a backend to build the CRDs,
 * the types and the admission policy, and nothing that builds a client. Each provider folder's
 * schema.ts exports one; src/api/v1alpha1/providers.ts lists them.
 */
export interface ProviderSchema<Type extends string = string> {
  /** The spec field that selects the provider (`spec.vault`); also `status.backend`. */
  readonly type: Type;
  /** What it connects to, for the CRD descriptions, e.g. "Vault/OpenBao". */
  readonly displayName: string;
  /** The `spec.<type>` schema; `make manifests` makes the CRDs and the TypeScript type from it. */
  readonly schema: JSONSchemaProps;
  /**
   * Small valid `spec.<type>` objects that, between them, set every credential reference of the
   * schema (a reference whose `namespace` follows NAMESPACE_RULE). `make manifests` finds those
   * references by walking the schema and writes, for each, the first sample that sets it, pointed
   * at a namespace (e2e/support/reference-specs.ts); it fails on a reference no sample sets.
   */
  readonly referenceSamples: readonly Fields[];
  /** How a spec borrows the operator's own cloud identity, if the backend has a way to. */
  readonly operatorIdentity?: OperatorIdentity;
}

/**
 * A spec that uses the operator's own cloud identity (AWS's default chain, Azure's managed
 * identity): only a ClusterSecretProvider may, because anyone who may create a SecretProvider in a
 * namespace could otherwise read whatever that identity can. The admission policy refuses it
 * (config/admission/provider_namespace.yaml, generated from `when`) and the provider's factory
 * refuses it again, with the same message, for objects admitted without the policy.
 */
export interface OperatorIdentity {
  /** CEL that is true when the spec field at CEL path `spec` (e.g. `object.spec.aws`) uses it. */
  readonly when: (spec: string) => string;
  /** Why it is refused and what to do instead; names the field. */
  readonly message: string;
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps these schemas use. */
export interface JSONSchemaProps {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  enum?: readonly string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: readonly string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  'x-kubernetes-validations'?: readonly ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: readonly string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

/** One `x-kubernetes-validations` entry. */
export interface ValidationRule {
  rule: string;
  message: string;
  fieldPath?: string;
}

// ---------------------------------------------------------------------------------------------
// Names for the generated TypeScript types, and the code twin of every CEL rule. Both are kept
// beside the schema objects rather than in them, so the CRDs carry neither.

export interface TypeName {
  name: string;
  /** The canonical schema of that type: the first one built, with a description of the type itself. */
  canonical: JSONSchemaProps;
}

const typeNames = new WeakMap<JSONSchemaProps, TypeName>();
const ruleChecks = new WeakMap<ValidationRule, (self: never) => boolean>();

/** The TypeScript type name a schema node was built as, if it was built by a named factory. */
export function typeNameOf(schema: JSONSchemaProps): TypeName | undefined {
  return typeNames.get(schema);
}

/** Names a schema built outside `namedType` (a whole object) as the TypeScript type `tag.name`. */
export function tagTypeName(schema: JSONSchemaProps, tag: TypeName): void {
  typeNames.set(schema, tag);
}

/** The TypeScript twin of a CEL rule; undefined only for a rule not built with `celRule`. */
export function ruleCheckOf(rule: ValidationRule): ((self: unknown) => boolean) | undefined {
  return ruleChecks.get(rule) as ((self: unknown) => boolean) | undefined;
}

/**
 * A CEL rule and the same rule in TypeScript. The check runs after the schema validated the
 * shape, so `self` has the schema's type (an object node is a plain object, a string node a string).
 */
export function celRule<Self>(
  rule: string,
  message: string,
  check: (self: Self) => boolean,
  fieldPath?: string,
): ValidationRule {
  const entry: ValidationRule = fieldPath === undefined ? { rule, message } : { rule, message, fieldPath };
  ruleChecks.set(entry, check as (self: never) => boolean);
  return entry;
}

/**
 * A factory for a reusable schema that becomes one named TypeScript type. Each use gets its own
 * description (what the field means where it is used); the type gets `typeDescription`.
 */
export function namedType(
  name: string,
  typeDescription: string,
  build: (description: string) => JSONSchemaProps,
): (description: string) => JSONSchemaProps {
  const canonical = build(typeDescription);
  const tag: TypeName = { name, canonical };
  typeNames.set(canonical, tag);
  return (description) => {
    const schema = build(description);
    typeNames.set(schema, tag);
    return schema;
  };
}

export type Fields = Record<string, unknown>;

/** CEL `has(self.field)`: the field is present (the schema has no nullable fields). */
export const has = (self: Fields, field: string): boolean => self[field] !== undefined;
const count = (self: Fields, fields: readonly string[]): number => fields.filter((f) => has(self, f)).length;
/** CEL for "exactly one of" / "at most one of", written without iterating anything. */
const celCount = (fields: readonly string[]): string =>
  fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(' + ');

export function exactlyOneOf(fields: readonly string[], message: string): ValidationRule {
  return celRule<Fields>(`${celCount(fields)} == 1`, message, (self) => count(self, fields) === 1);
}

export function atMostOneOf(fields: readonly string[], message: string): ValidationRule {
  return celRule<Fields>(`${celCount(fields)} <= 1`, message, (self) => count(self, fields) <= 1);
}

/** "a, b or c": lists in messages and descriptions. */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)!}`;
}

// ---------------------------------------------------------------------------------------------
// Small builders

export const string = (
  description: string,
  extra: Omit<JSONSchemaProps, 'type' | 'description'> = {},
): JSONSchemaProps => ({
  description,
  type: 'string',
  ...extra,
});

export const boolean = (description: string): JSONSchemaProps => ({ description, type: 'boolean' });

export const object = (
  description: string,
  properties: Record<string, JSONSchemaProps>,
  extra: Omit<JSONSchemaProps, 'type' | 'description' | 'properties'> = {},
): JSONSchemaProps => ({ description, type: 'object', properties, ...extra });

export const list = (
  description: string,
  items: JSONSchemaProps,
  maxItems: number,
  extra: Omit<JSONSchemaProps, 'type' | 'description' | 'items' | 'maxItems'> = {},
): JSONSchemaProps => ({ description, type: 'array', items, maxItems, ...extra });

export const stringMap = (description: string): JSONSchemaProps => ({
  description,
  type: 'object',
  additionalProperties: { type: 'string' },
});

export const enumOf = (description: string, values: readonly string[]): JSONSchemaProps => ({
  description,
  type: 'string',
  enum: values,
});

export const dateTime = (description: string): JSONSchemaProps =>
  string(description, { format: 'date-time' });

export const generation = (description: string): JSONSchemaProps => ({
  description,
  type: 'integer',
  format: 'int64',
  minimum: 0,
});

// Kubernetes object names (DNS-1123 subdomain) and Secret data keys.
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const SECRET_KEY = '^[-._a-zA-Z0-9]+$';

export const objectName = (description: string): JSONSchemaProps =>
  string(description, { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN });
export const namespaceName = (description: string): JSONSchemaProps =>
  string(description, { maxLength: 63, pattern: `^$|${DNS_LABEL}` });
export const secretDataKey = (description: string): JSONSchemaProps =>
  string(description, { minLength: 1, maxLength: 253, pattern: SECRET_KEY });

/** Go-style duration as Kubernetes users write them: 1h, 30m, 1h30m, 45s, 500ms, 1.5h. */
export const NAMESPACE_RULE =
  'A SecretProvider may only name its own namespace (the default). For a ClusterSecretProvider the default is the namespace of the SecretSource being synced.';

// ---------------------------------------------------------------------------------------------
// Credential references every provider uses

export const secretKeyRef = namedType('SecretKeySelector', 'A key of a Kubernetes Secret.', (description) =>
  object(
    description,
    {
      name: objectName('Name of the Secret.'),
      key: secretDataKey('Key within the Secret data.'),
      namespace: namespaceName(`Namespace of the Secret. ${NAMESPACE_RULE}`),
    },
    { required: ['name', 'key'] },
  ),
);

export const serviceAccountRef = namedType(
  'ServiceAccountSelector',
  'A Kubernetes ServiceAccount.',
  (description) =>
    object(
      description,
      {
        name: objectName('Name of the ServiceAccount.'),
        namespace: namespaceName(`Namespace of the ServiceAccount. ${NAMESPACE_RULE}`),
      },
      { required: ['name'] },
    ),
);

export const audiences = (description: string): JSONSchemaProps =>
  list(description, string('An audience.', { minLength: 1, maxLength: 253 }), 16);
