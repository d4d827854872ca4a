// Reading provider spec fields at the edge, shared by every provider's spec parser: each failure
// goes through the caller's `fail`, which names the provider and the field, never a value.
export function objectAt(
  raw: unknown,
  where: string,
  fail: (what: string) => never,
): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`${where} must be an object`);
  return raw as Record<string, unknown>;
}

export function stringAt(
  object: Record<string, unknown>,
  field: string,
  fail: (what: string) => never,
  options: { required: true; where?: string },
): string;
export function stringAt(
  object: Record<string, unknown>,
  field: string,
  fail: (what: string) => never,
  options?: { required?: false; where?: string },
): string | undefined;
export function stringAt(
  object: Record<string, unknown>,
  field: string,
  fail: (what: string) => never,
  options: { required?: boolean; where?: string } = {},
): string | undefined {
  const value = object[field];
  const name = options.where ? `${options.where}.${field}` : field;
  if (value === undefined || value === null) {
    return options.required ? fail(`${name} is required`) : undefined;
  }
  if (typeof value !== 'string') return fail(`${name} must be a string`);
  if (options.required && value === '') return fail(`${name} must not be empty`);
  return value;
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
