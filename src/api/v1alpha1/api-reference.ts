// docs/api.md, the API reference, rendered from the same schemas as the CRDs: one table per kind
// of every field of spec and status with its type, whether it is required, its description, and
// the cross-field rules (CEL) of each object. Pure, so crd.test.ts can fail when the file is stale.
import { ALL_KINDS, PLURALS, SHORT_NAMES } from './crd.js';
import { API_VERSION, KINDS, type JSONSchemaProps } from './schema.js';

interface Row {
  field: string;
  type: string;
  required: boolean;
  description: string;
}

function typeOf(schema: JSONSchemaProps): string {
  if (schema.type === 'array') return `[]${schema.items ? typeOf(schema.items) : 'any'}`;
  if (schema.type === 'object' && schema.additionalProperties && !schema.properties)
    return `map[string]${typeOf(schema.additionalProperties)}`;
  if (schema.enum) return schema.enum.map((value) => `\`${value}\``).join(' \\| ');
  return schema.format ? `${schema.type} (${schema.format})` : (schema.type ?? 'any');
}

function details(schema: JSONSchemaProps): string {
  const parts = [schema.description ?? ''];
  if (schema.pattern !== undefined) parts.push(`Pattern: \`${schema.pattern}\`.`);
  if (schema.maxLength !== undefined) parts.push(`At most ${schema.maxLength} characters.`);
  if (schema.maxItems !== undefined) parts.push(`At most ${schema.maxItems} items.`);
  const rules = schema['x-kubernetes-validations'] ?? schema.items?.['x-kubernetes-validations'] ?? [];
  for (const rule of rules) parts.push(`Rule: ${rule.message}.`);
  return parts.filter((part) => part !== '').join(' ');
}

/** Every field below `schema`, depth first, as dotted paths (`[]` for list items). */
function rows(schema: JSONSchemaProps, at: string): Row[] {
  const out: Row[] = [];
  const properties = schema.properties ?? schema.items?.properties ?? {};
  const required = schema.required ?? schema.items?.required ?? [];
  const prefix = schema.type === 'array' ? `${at}[]` : at;
  for (const name of Object.keys(properties).sort()) {
    const child = properties[name]!;
    const field = `${prefix}.${name}`;
    out.push({ field, type: typeOf(child), required: required.includes(name), description: details(child) });
    out.push(...rows(child, field));
  }
  return out;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(schema: JSONSchemaProps, root: string): string {
  const lines = ['| field | type | required | description |', '| --- | --- | --- | --- |'];
  for (const row of rows(schema, root)) {
    lines.push(
      `| \`${row.field}\` | ${row.type} | ${row.required ? 'yes' : ''} | ${cell(row.description)} |`,
    );
  }
  return lines.join('\n');
}

/** docs/api.md as it should be, before formatting. */
export function renderApiReference(generatedBy: string): string {
  const sections = ALL_KINDS.map((kind) => {
    const info = KINDS[kind];
    const objectRules = (info.spec['x-kubernetes-validations'] ?? []).map((rule) => `- ${rule.message}`);
    return [
      `## ${kind}`,
      info.description,
      `\`apiVersion: ${API_VERSION}\`, ${info.namespaced ? 'namespaced' : 'cluster-scoped'}; ` +
        `\`kubectl get ${PLURALS[kind]}\` (short name \`${SHORT_NAMES[kind].join('`, `')}\`).`,
      `### spec`,
      cell(info.spec.description ?? ''),
      ...(objectRules.length > 0 ? [`Rules:\n\n${objectRules.join('\n')}`] : []),
      table(info.spec, 'spec'),
      `### status`,
      `Written by the operator only. ${info.status.description ?? ''}`,
      table(info.status, 'status'),
    ].join('\n\n');
  });
  return [
    `<!-- ${generatedBy} -->`,
    '# API reference',
    `Group \`${API_VERSION}\`: ${ALL_KINDS.map((k) => `[${k}](#${k.toLowerCase()})`).join(', ')}. ` +
      'Defaults are applied by the operator, not by the API server (docs/adr/0006), so what a field ' +
      'says as "Default" never appears in the stored object. Rules are checked by the API server ' +
      '(CEL) and again by the operator.',
    ...sections,
    '',
  ].join('\n\n');
}
