// The fingerprint of what a managed Secret holds (type + data), stored in the
// Secret's content-hash annotation and in the SecretSource's status.syncedHash,
// so drift is detectable and a refresh that fetched the same values writes
// nothing. It is an HMAC under a key only the operator holds (kept in a Secret
// in its own namespace), bound to the target Secret's namespace and name:
// whoever can read status — the aggregated view role can — learns nothing about
// the values, not even whether two Secrets hold the same ones. An unsalted hash
// would let a reader test guesses offline (a 6-digit PIN falls in under a second).
import { createHmac } from 'node:crypto';

export type SecretData = ReadonlyMap<string, Buffer>;

export const FINGERPRINT_PREFIX = 'hmac-sha256:';
/** Shortest key accepted: the HMAC's own block of security. */
export const MIN_FINGERPRINT_KEY_BYTES = 32;

export interface FingerprintTarget {
  namespace: string;
  name: string;
}

export class ContentFingerprint {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length < MIN_FINGERPRINT_KEY_BYTES) {
      throw new Error(`the fingerprint key must hold at least ${MIN_FINGERPRINT_KEY_BYTES} bytes`);
    }
    this.#key = Buffer.from(key);
  }

  of(target: FingerprintTarget, type: string, data: SecretData): string {
    const mac = createHmac('sha256', this.#key);
    // Length-prefixing keeps ("a","bc") and ("ab","c") from colliding.
    const field = (text: string) => mac.update(`${Buffer.byteLength(text)}:${text}\0`);
    field(target.namespace);
    field(target.name);
    field(type);
    for (const key of [...data.keys()].sort()) {
      const value = data.get(key)!;
      field(key);
      mac.update(`${value.length}:`);
      mac.update(value);
    }
    return FINGERPRINT_PREFIX + mac.digest('hex');
  }

  /** The fingerprint of `keys` of a Secret as the API server returns it (data base64-encoded). */
  ofLive(
    target: FingerprintTarget,
    secret: { type?: string; data?: Record<string, string> },
    keys: Iterable<string>,
  ): string {
    return this.of(target, secret.type ?? 'Opaque', liveData(secret, keys));
  }
}

/** `keys` of a live Secret's data, decoded; keys it does not hold are left out. */
export function liveData(secret: { data?: Record<string, string> }, keys: Iterable<string>): SecretData {
  const data = new Map<string, Buffer>();
  for (const key of keys) {
    const value = secret.data?.[key];
    if (value !== undefined) data.set(key, Buffer.from(value, 'base64'));
  }
  return data;
}

export function isFingerprint(stamp: string | undefined): boolean {
  return stamp?.startsWith(FINGERPRINT_PREFIX) ?? false;
}
