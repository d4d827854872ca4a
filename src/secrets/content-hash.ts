// The content hash identifies what a managed Secret holds (type + data). It is
// stored in the Secret's annotation and the SecretSource's status, so a
// refresh that fetched the same values writes nothing, and a Secret whose live
// data no longer hashes to it was edited by hand (drift) and is repaired.
import { createHash } from 'node:crypto';

export type SecretData = ReadonlyMap<string, Buffer>;

export function contentHash(type: string, data: SecretData): string {
  const hash = createHash('sha256');
  hash.update(`type\0${type}\0`);
  for (const key of [...data.keys()].sort()) {
    const value = data.get(key)!;
    // Length-prefixing keeps ("a","bc") and ("ab","c") from hashing alike.
    hash.update(`${key.length}:${key}\0${value.length}:`);
    hash.update(value);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** The content hash of a Secret as the API server returns it (data base64-encoded). */
export function liveContentHash(secret: { type?: string; data?: Record<string, string> }): string {
  const data = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(secret.data ?? {})) data.set(key, Buffer.from(value, 'base64'));
  return contentHash(secret.type ?? 'Opaque', data);
}
