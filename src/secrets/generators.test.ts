import { createPrivateKey, createPublicKey, randomInt } from 'node:crypto';
import { DEFAULT_SYMBOLS, generate, openSshPublicKey, password } from './generators.js';

const count = (text: string, set: string) => [...text].filter((c) => set.includes(c)).length;

describe('passwords', () => {
  test('length and at least the digits and symbols asked for, over many draws', () => {
    for (let i = 0; i < 200; i++) {
      const value = password({ length: 24, digits: 4, symbols: 3 }, randomInt);
      expect(value).toHaveLength(24);
      expect(count(value, '0123456789')).toBeGreaterThanOrEqual(4);
      expect(count(value, DEFAULT_SYMBOLS)).toBeGreaterThanOrEqual(3);
    }
  });

  test('noUpper and a symbol set of our own', () => {
    const value = password({ length: 40, symbols: 5, symbolCharacters: '-_', noUpper: true }, randomInt);
    expect(value).toMatch(/^[a-z0-9_-]{40}$/);
    expect(count(value, '-_')).toBeGreaterThanOrEqual(5);
  });

  test('the required characters are shuffled, not left at the front', () => {
    // A deterministic source: always index 0, so the digits are '0' and the letters 'a'. Without
    // the shuffle the two digits would lead.
    const value = password({ length: 8, digits: 2 }, () => 0);
    expect(value).toHaveLength(8);
    expect(count(value, '0')).toBe(2);
    expect(value.slice(0, 2)).not.toBe('00');
  });

  test('impossible rules are a clear error', () => {
    expect(() => password({ length: 4, digits: 3, symbols: 2 }, randomInt)).toThrow(
      'do not fit in 4 characters',
    );
    expect(() => password({ length: 8, symbols: 1, symbolCharacters: '' }, randomInt)).toThrow('empty');
  });

  test('two passwords differ', () => {
    const a = generate({ password: { length: 32 } }).value.toString();
    const b = generate({ password: { length: 32 } }).value.toString();
    expect(a).not.toBe(b);
  });
});

test('random bytes, encoded as text', () => {
  const base64 = generate({ randomBytes: { length: 32 } }).value.toString();
  expect(Buffer.from(base64, 'base64')).toHaveLength(32);
  expect(generate({ randomBytes: { length: 16, encoding: 'hex' } }).value.toString()).toMatch(
    /^[0-9a-f]{32}$/,
  );
});

describe('key pairs', () => {
  test.each([
    [{ algorithm: 'RSA' as const, bits: 2048 }, 'rsa'],
    [{ algorithm: 'ECDSA' as const, curve: 'P-384' as const }, 'ec'],
    [{ algorithm: 'Ed25519' as const }, 'ed25519'],
  ])('%o: a PKCS#8 private key and its SPKI public key', (keyPair, type) => {
    const { value, publicKey } = generate({ keyPair });
    const privateKey = createPrivateKey(value.toString());
    expect(privateKey.asymmetricKeyType).toBe(type);
    expect(value.toString()).toContain('BEGIN PRIVATE KEY');
    const derived = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' });
    expect(publicKey!.toString()).toBe(derived);
  });

  test.each([
    [{ algorithm: 'RSA' as const, bits: 2048 }, /^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+\n$/],
    [
      { algorithm: 'ECDSA' as const },
      /^ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY[A-Za-z0-9+/=]+\n$/,
    ],
    [{ algorithm: 'Ed25519' as const }, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/=]{43}\n$/],
  ])('%o: an OpenSSH public key line', (keyPair, shape) => {
    const { publicKey } = generate({ keyPair: { ...keyPair, publicKeyFormat: 'OpenSSH' } });
    expect(publicKey!.toString()).toMatch(shape);
  });

  test('the OpenSSH encoding of an RSA key carries e and n as the wire format says', () => {
    const { value } = generate({ keyPair: { algorithm: 'RSA', bits: 2048 } });
    const line = openSshPublicKey(createPublicKey(createPrivateKey(value.toString())));
    const blob = Buffer.from(line.split(' ')[1]!, 'base64');
    const read = (at: number) => {
      const length = blob.readUInt32BE(at);
      return { bytes: blob.subarray(at + 4, at + 4 + length), next: at + 4 + length };
    };
    const type = read(0);
    const e = read(type.next);
    const n = read(e.next);
    expect(type.bytes.toString()).toBe('ssh-rsa');
    expect(e.bytes.toString('hex')).toBe('010001');
    expect(n.bytes[0]).toBe(0); // the top bit of a 2048-bit modulus is set: a leading zero
    expect(n.bytes).toHaveLength(257);
    expect(n.next).toBe(blob.length);
  });
});
