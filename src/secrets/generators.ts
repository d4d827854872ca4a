// New secret values for spec.generate: passwords with character classes, random bytes, and key
// pairs (RSA, ECDSA, Ed25519). Every value comes from node:crypto's CSPRNG; `randomInt` is
// injectable only so unit tests can check the character rules deterministically.
import { generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { SecretSpecError } from './errors.js';

export interface PasswordSpec {
  /** Total characters. */
  length: number;
  /** At least this many digits. */
  digits?: number;
  /** At least this many symbols. */
  symbols?: number;
  /** The symbols to draw from. */
  symbolCharacters?: string;
  /** No upper-case letters. */
  noUpper?: boolean;
}

export interface RandomBytesSpec {
  length: number;
  encoding?: 'base64' | 'base64url' | 'hex';
}

export interface KeyPairSpec {
  algorithm: 'RSA' | 'ECDSA' | 'Ed25519';
  /** RSA modulus bits. */
  bits?: number;
  /** ECDSA curve. */
  curve?: 'P-256' | 'P-384' | 'P-521';
  /** The public key's format: PEM (SPKI) or an OpenSSH authorized_keys line. */
  publicKeyFormat?: 'PEM' | 'OpenSSH';
}

export type GeneratorSpec =
  | { password: PasswordSpec; randomBytes?: undefined; keyPair?: undefined }
  | { randomBytes: RandomBytesSpec; password?: undefined; keyPair?: undefined }
  | { keyPair: KeyPairSpec; password?: undefined; randomBytes?: undefined };

/** What one generator made: the value, and for a key pair the public half. */
export interface Generated {
  value: Buffer;
  publicKey?: Buffer;
}

export const DEFAULT_SYMBOLS = '~!@#$%^&*()_+-={}[]:;<>,.?/';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

export type RandomInt = (max: number) => number;

export function generate(spec: GeneratorSpec, random: RandomInt = (max) => randomInt(max)): Generated {
  if (spec.password) return { value: Buffer.from(password(spec.password, random)) };
  if (spec.randomBytes) return { value: encodedBytes(spec.randomBytes) };
  return keyPair(spec.keyPair);
}

/** A password of `length` characters with at least `digits` digits and `symbols` symbols, shuffled. */
export function password(spec: PasswordSpec, random: RandomInt): string {
  const digits = spec.digits ?? 0;
  const symbols = spec.symbols ?? 0;
  const symbolSet = spec.symbolCharacters ?? DEFAULT_SYMBOLS;
  if (digits + symbols > spec.length) {
    throw new SecretSpecError(
      `generate.password: ${digits} digits and ${symbols} symbols do not fit in ${spec.length} characters`,
    );
  }
  if (symbols > 0 && symbolSet.length === 0) {
    throw new SecretSpecError('generate.password: symbols are asked for but symbolCharacters is empty');
  }
  const letters = LOWER + (spec.noUpper ? '' : UPPER);
  const pick = (set: string) => set[random(set.length)]!;
  const chars = [
    ...Array.from({ length: digits }, () => pick(DIGITS)),
    ...Array.from({ length: symbols }, () => pick(symbolSet)),
    ...Array.from({ length: spec.length - digits - symbols }, () => pick(letters + DIGITS + symbolSet)),
  ];
  // Fisher–Yates, so the required classes sit anywhere.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

function encodedBytes(spec: RandomBytesSpec): Buffer {
  const bytes = randomBytes(spec.length);
  // Backends that store text (Vault KV, JSON properties) need an encoding; base64 by default.
  return Buffer.from(bytes.toString(spec.encoding ?? 'base64'));
}

function keyPair(spec: KeyPairSpec): Generated {
  const { privateKey, publicKey } = newKeyPair(spec);
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const publicText =
    spec.publicKeyFormat === 'OpenSSH'
      ? `${openSshPublicKey(publicKey)}\n`
      : (publicKey.export({ format: 'pem', type: 'spki' }) as string);
  return { value: Buffer.from(privatePem), publicKey: Buffer.from(publicText) };
}

function newKeyPair(spec: KeyPairSpec): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (spec.algorithm) {
    case 'RSA':
      return generateKeyPairSync('rsa', { modulusLength: spec.bits ?? 3072 });
    case 'ECDSA':
      return generateKeyPairSync('ec', { namedCurve: spec.curve ?? 'P-256' });
    case 'Ed25519':
      return generateKeyPairSync('ed25519');
  }
}

/** The public key as an OpenSSH authorized_keys line (RFC 4253 §6.6, RFC 5656, RFC 8709). */
export function openSshPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const b = (text: string | undefined) => Buffer.from(text ?? '', 'base64url');
  let type: string;
  let fields: Buffer[];
  if (jwk.kty === 'RSA') {
    type = 'ssh-rsa';
    fields = [sshString(type), sshMpint(b(jwk.e)), sshMpint(b(jwk.n))];
  } else if (jwk.kty === 'OKP') {
    type = 'ssh-ed25519';
    fields = [sshString(type), sshString(b(jwk.x))];
  } else {
    const curve = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' }[jwk.crv ?? ''];
    if (!curve) throw new Error(`no OpenSSH name for curve ${jwk.crv}`);
    type = `ecdsa-sha2-${curve}`;
    const point = Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]);
    fields = [sshString(type), sshString(curve), sshString(point)];
  }
  return `${type} ${Buffer.concat(fields).toString('base64')}`;
}

function sshString(data: string | Buffer): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** A positive multiple-precision integer: big-endian, a leading zero when the top bit is set. */
function sshMpint(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return sshString(trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}
