// Every field of the v1alpha1 API that names another Kubernetes object, found by walking the
// schemas (src/api/v1alpha1/schema.ts), so the isolation and admission tests cover a field added
// later or fail: each test keeps a table of how to try each field, and the table must list exactly
// the fields found here.
import { KINDS, type JSONSchemaProps, type Kind } from '../../src/api/v1alpha1/schema.js';
import { NAMESPACE_RULE } from '../../src/api/v1alpha1/schema-builders.js';

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
    if (schema.items && !Array.isArray(schema.items)) walk(schema.items as JSONSchemaProps, `${path}[]`);
  };
  walk(KINDS[kind].spec, 'spec');
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** Sets `value` at a dotted path (no list items) in a nested object, creating the objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}
