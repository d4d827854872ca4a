// Compact JWS (RS256 only: what Entra ID issues and what the Kubernetes API
// server signs ServiceAccount tokens with by default).
import { createSign, createVerify, type KeyObject } from 'node:crypto';
import { isObject, type JsonObject } from './http.js';

export interface DecodedJwt {
  readonly header: JsonObject;
  readonly payload: JsonObject;
  readonly signingInput: string;
  readonly signature: Buffer;
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** The parts of a compact JWS, or undefined when it is not one. Verifies nothing. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header: unknown = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    const payload: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return undefined;
  }
}

export function signRs256(header: JsonObject, payload: JsonObject, key: KeyObject): string {
  const signingInput = `${base64url(JSON.stringify({ ...header, alg: 'RS256', typ: 'JWT' }))}.${base64url(
    JSON.stringify(payload),
  )}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(key);
  return `${signingInput}.${base64url(signature)}`;
}

export function verifyRs256(jwt: DecodedJwt, key: KeyObject): boolean {
  if (jwt.header.alg !== 'RS256') return false;
  return createVerify('RSA-SHA256').update(jwt.signingInput).verify(key, jwt.signature);
}

export function stringClaim(payload: JsonObject, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' ? value : undefined;
}

export function numberClaim(payload: JsonObject, name: string): number | undefined {
  const value = payload[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `aud` may be one string or an array of strings (RFC 7519 §4.1.3). */
export function audiences(payload: JsonObject): string[] {
  const aud = payload.aud;
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}
