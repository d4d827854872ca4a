// Secret data keys follow the API server's rule for ConfigMap and Secret keys,
// checked here so a bad key is reported with where it came from instead of
// as a rejected write.

export const MAX_SECRET_KEY_LENGTH = 253;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Why `key` cannot be a Secret data key, or undefined when it can. */
export function secretKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'is empty';
  if (key.length > MAX_SECRET_KEY_LENGTH) return `is longer than ${MAX_SECRET_KEY_LENGTH} characters`;
  if (!SECRET_KEY.test(key)) return 'may only hold letters, digits, "-", "_" and "."';
  if (key === '.' || key === '..') return 'must not be "." or ".."';
  if (key.startsWith('..')) return 'must not start with ".."';
  return undefined;
}

/** A key for messages: quoted, and cut short so a hostile key cannot flood a status. */
export function quoteKey(key: string): string {
  const shown = key.length > 64 ? `${key.slice(0, 61)}...` : key;
  return JSON.stringify(shown);
}
