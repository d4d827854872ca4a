// Conventions every provider's spec.ts shares, for what the schema cannot express. The schema has
// checked the field types, required fields, enums, patterns and CEL rules at the edge (parse.ts).

/** An empty string in an optional field means "not set", so GitOps manifests may carry `field: ""`. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** A credential reference that names its namespace only when one is set: "" leaves it to the namespace rule. */
export function withNamespace<T extends object>(
  ref: T,
  namespace: string | undefined,
): T & { namespace?: string } {
  const set = nonEmpty(namespace);
  return set === undefined ? ref : { ...ref, namespace: set };
}

/**
 * An http(s) base URL, returned without a trailing slash. Checked on the parsed URL rather than by a
 * schema pattern: whether a string is a URL, and whether it carries a query, fragment or credentials,
 * is for the URL parser to say (percent-encoding, IPv6 literals, backslashes read as slashes), and a
 * pattern cannot follow it.
 */
export function httpBaseUrl(value: string, field: string, fail: (what: string) => never): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`${field} must be an http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${field} must be an http(s) URL`);
  if (url.search || url.hash || url.username || url.password) {
    fail(`${field} must not carry a query, fragment or credentials`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * A CA bundle given as PEM, or as base64-encoded PEM. Not a schema rule: telling the two apart means
 * decoding, and a CEL rule over a bundle of unbounded length would exceed the API server's cost
 * budget.
 */
export function pemBundle(value: string, field: string, fail: (what: string) => never): string {
  if (value.includes('-----BEGIN')) return value;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  if (decoded.includes('-----BEGIN')) return decoded;
  return fail(`${field} must be PEM (or base64-encoded PEM)`);
}
