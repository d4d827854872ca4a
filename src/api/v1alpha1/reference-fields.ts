// Every field of the v1alpha1 API that names another Kubernetes object, found by walking the
// schemas, and for each SecretProvider credential reference the smallest spec that sets it (its
// provider's referenceSamples). `make manifests` writes the admission policy's reference list and
// the e2e table from these (admission-policy.ts, generate.ts), so a reference added to a provider's
// schema is refused across namespaces and tried by the isolation and admission tests without a
// hand-kept list; a reference that no sample sets stops `make manifests`.
import { PROVIDER_SCHEMAS } from './providers.js';
import { KINDS, type Kind } from './schema.js';
import { NAMESPACE_RULE, type Fields, type JSONSchemaProps } from './schema-builders.js';

export interface ReferenceField {
  /** Dotted path from the object, e.g. `spec.vault.auth.token.secretRef`; `[]` marks a list item. */
  path: string;
  /** The field has a `namespace` that follows the credential namespace rule. */
  namespaced: boolean;
}

/**
 * Objects with a string `name`: a reference to a Kubernetes object (a Secret, a ServiceAccount, a
 * ConfigMap, a provider, a workload). `spec.target` (the Secret written) is left to the
 * target-protection tests.
 */
export function referenceFields(kind: Kind): ReferenceField[] {
  const found: ReferenceField[] = [];
  const walk = (schema: JSONSchemaProps, path: string): void => {
    const properties = schema.properties ?? {};
    if (properties['name']?.type === 'string' && path !== 'spec.target') {
      const namespace = properties['namespace'];
      found.push({ path, namespaced: namespace?.description?.includes(NAMESPACE_RULE) ?? false });
    }
    for (const [key, child] of Object.entries(properties)) walk(child, `${path}.${key}`);
    if (schema.items) walk(schema.items, `${path}[]`);
  };
  walk(KINDS[kind].spec, 'spec');
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** The SecretProvider fields whose `namespace` the credential namespace rule governs. */
export function namespacedReferencePaths(): string[] {
  return referenceFields('SecretProvider')
    .filter((field) => field.namespaced)
    .map((field) => {
      if (field.path.includes('[]'))
        throw new Error(`${field.path}: a namespaced reference inside a list is not supported here`);
      return field.path;
    });
}

/** A SecretProvider spec (`{<type>: {...}}`) whose reference at `path` names `namespace`. */
export type ReferenceSpec = (namespace: string) => Fields;

/**
 * For each namespaced reference, the first sample of its provider that sets it, with the reference
 * pointed at the namespace given.
 */
export function namespacedReferenceSpecs(): Map<string, ReferenceSpec> {
  const specs = new Map<string, ReferenceSpec>();
  for (const path of namespacedReferencePaths()) {
    const [, type, ...rest] = path.split('.');
    const provider = PROVIDER_SCHEMAS.find((candidate) => candidate.type === type);
    const sample = provider?.referenceSamples.find((candidate) => isObject(at(candidate, rest)));
    if (sample === undefined) {
      throw new Error(
        `${path} names a namespace, but no referenceSamples entry of spec.${type} sets it: ` +
          `add one to src/providers/${type}/schema.ts`,
      );
    }
    specs.set(path, (namespace) => {
      const copy = structuredClone(sample);
      (at(copy, rest) as Fields)['namespace'] = namespace;
      return { [type!]: copy };
    });
  }
  return specs;
}

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function at(value: unknown, keys: readonly string[]): unknown {
  return keys.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), value);
}
