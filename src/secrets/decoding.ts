// How a fetched value is decoded before it is stored or handed to templates
// (spec.data[].decoding, spec.dataFrom[].decoding).
import type { Decoding } from '../api/v1alpha1/index.js';
import { SecretSpecError } from './errors.js';

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;
const WHITESPACE = /[\t\n\r ]/g;

/**
 * Decodes `value` as `decoding` says. `where` names the value in errors
 * (e.g. `data[0] (key "password")`); the value itself is never shown.
 */
export function decodeValue(value: Buffer, decoding: Decoding, where: string): Buffer {
  switch (decoding) {
    case 'None':
      return value;
    case 'Base64':
    case 'Base64URL': {
      // Explicit decoding tolerates the line breaks of wrapped base64 (PEM bodies, `base64` output).
      const decoded = strictBase64(value.toString('latin1').replace(WHITESPACE, ''), decoding);
      if (decoded === undefined) {
        throw new SecretSpecError(
          `${where}: the value is not valid ${decoding === 'Base64' ? 'base64' : 'base64url'}`,
        );
      }
      return decoded;
    }
    case 'Auto': {
      // Auto is strict on purpose: only padded, canonical base64 is decoded, so fewer plain
      // passwords are taken for base64 ("abc" stays; "abcd" would still be decoded).
      const text = value.toString('latin1');
      if (text.length % 4 !== 0) return value;
      return strictBase64(text, 'Base64') ?? strictBase64(text, 'Base64URL') ?? value;
    }
    default: {
      const unknown: never = decoding;
      throw new SecretSpecError(`${where}: unknown decoding ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * The bytes `text` encodes, or undefined unless it is canonical base64 in the
 * given alphabet (padding optional, no stray bits). Buffer.from alone would
 * skip invalid characters and accept nearly anything.
 */
export function strictBase64(text: string, alphabet: 'Base64' | 'Base64URL'): Buffer | undefined {
  if (text.length === 0) return Buffer.alloc(0);
  if (!(alphabet === 'Base64' ? STANDARD : URL_SAFE).test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  if (text.length !== unpadded.length && text.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(unpadded, alphabet === 'Base64' ? 'base64' : 'base64url');
  const again = decoded.toString(alphabet === 'Base64' ? 'base64' : 'base64url').replace(/=+$/, '');
  return again === unpadded ? decoded : undefined;
}
