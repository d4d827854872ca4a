import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { SecretSpecError } from './errors.js';
import { parseCertificates } from './pem.js';
import { makeCertificate, makeChain, makeOpensslBundle, makePkcs12 } from './test-pki.js';
import {
  buildTlsData,
  CA_CERT_KEY,
  PKCS12_KEY,
  PKCS12_PASSWORD_KEY,
  TLS_CERT_KEY,
  TLS_PRIVATE_KEY_KEY,
} from './tls.js';

const DAY = 24 * 60 * 60 * 1000;
const now = new Date();
const chain = makeChain();
const b = (text: string): Buffer => Buffer.from(text, 'utf8');
const fingerprints = (pem: Buffer | undefined): string[] =>
  parseCertificates(pem?.toString('utf8') ?? '', 'x').map((cert) => cert.fingerprint256);
const fp = (pem: string): string => new X509Certificate(pem).fingerprint256;
const build = (entries: [string, Buffer][], requireKeys = true) =>
  buildTlsData(new Map(entries), { now, requireKeys });
const sameKey = (pem: Buffer | undefined, expected: string): boolean =>
  pem !== undefined &&
  createPrivateKey(pem.toString('utf8'))
    .export({ type: 'pkcs8', format: 'der' })
    .equals(createPrivateKey(expected).export({ type: 'pkcs8', format: 'der' }));

test('PEM: the leaf goes first and its chain after, the root to ca.crt, whatever the input order', () => {
  const { data, certificate } = build([
    [TLS_CERT_KEY, b(chain.root.certPem + chain.intermediate.certPem + chain.leaf.certPem)],
    [TLS_PRIVATE_KEY_KEY, b(chain.leaf.keyPem)],
  ]);
  expect(fingerprints(data.get(TLS_CERT_KEY))).toEqual([
    fp(chain.leaf.certPem),
    fp(chain.intermediate.certPem),
  ]);
  expect(fingerprints(data.get(CA_CERT_KEY))).toEqual([fp(chain.root.certPem)]);
  expect(sameKey(data.get(TLS_PRIVATE_KEY_KEY), chain.leaf.keyPem)).toBe(true);
  expect(certificate?.notAfter.getTime()).toBe(new X509Certificate(chain.leaf.certPem).validToDate.getTime());
  expect(certificate?.expired).toBe(false);
});

test('a given ca.crt is kept, and roots found in tls.crt join it once', () => {
  const otherCa = makeCertificate({ commonName: 'Other CA', isCa: true });
  const { data } = build([
    [TLS_CERT_KEY, b(chain.leaf.certPem + chain.intermediate.certPem + chain.root.certPem)],
    [TLS_PRIVATE_KEY_KEY, b(chain.leaf.keyPem)],
    [CA_CERT_KEY, b(otherCa.certPem + chain.root.certPem)],
  ]);
  expect(fingerprints(data.get(CA_CERT_KEY))).toEqual([fp(otherCa.certPem), fp(chain.root.certPem)]);
});

test('no CA present: no ca.crt', () => {
  const selfSigned = makeCertificate({ commonName: 'self.test' });
  const { data } = build([
    [TLS_CERT_KEY, b(selfSigned.certPem)],
    [TLS_PRIVATE_KEY_KEY, b(selfSigned.keyPem)],
  ]);
  expect(data.has(CA_CERT_KEY)).toBe(false);
  expect(fingerprints(data.get(TLS_CERT_KEY))).toEqual([fp(selfSigned.certPem)]);
});

test('a key that does not match the certificate is refused', () => {
  const other = makeCertificate({ commonName: 'other.test' });
  expect(() =>
    build([
      [TLS_CERT_KEY, b(chain.leaf.certPem)],
      [TLS_PRIVATE_KEY_KEY, b(other.keyPem)],
    ]),
  ).toThrow(new SecretSpecError('tls.key does not match the certificate in tls.crt'));
  expect(() =>
    build([
      [TLS_CERT_KEY, b(chain.leaf.certPem + chain.intermediate.certPem)],
      [TLS_PRIVATE_KEY_KEY, b(other.keyPem)],
    ]),
  ).toThrow('tls.key matches none of the 2 certificates in tls.crt');
});

test("a CA's key with the certificates it issued is refused, not written as the leaf's", () => {
  expect(() =>
    build([
      [TLS_CERT_KEY, b(chain.leaf.certPem + chain.intermediate.certPem)],
      [TLS_PRIVATE_KEY_KEY, b(chain.intermediate.keyPem)],
    ]),
  ).toThrow(
    new SecretSpecError(
      'tls.key belongs to a CA certificate that issued another certificate in tls.crt, not to the leaf',
    ),
  );
});

test('an expired certificate is written and reported with its notAfter', () => {
  const expired = makeCertificate({
    commonName: 'expired.test',
    notBefore: new Date(now.getTime() - 30 * DAY),
    notAfter: new Date(now.getTime() - DAY),
  });
  const { data, certificate } = build([
    [TLS_CERT_KEY, b(expired.certPem)],
    [TLS_PRIVATE_KEY_KEY, b(expired.keyPem)],
  ]);
  expect(data.has(TLS_CERT_KEY)).toBe(true);
  expect(certificate?.expired).toBe(true);
  expect(certificate?.notYetValid).toBe(false);
  expect(Math.abs(certificate!.notAfter.getTime() - (now.getTime() - DAY))).toBeLessThan(1000);
});

test('a certificate not valid yet is reported as such', () => {
  const future = makeCertificate({
    commonName: 'future.test',
    notBefore: new Date(now.getTime() + DAY),
    notAfter: new Date(now.getTime() + 30 * DAY),
  });
  const { certificate } = build([
    [TLS_CERT_KEY, b(future.certPem)],
    [TLS_PRIVATE_KEY_KEY, b(future.keyPem)],
  ]);
  expect(certificate).toMatchObject({ expired: false, notYetValid: true });
});

test('a combined cert+key tls.crt is split: the key moves to tls.key', () => {
  const { data } = build([[TLS_CERT_KEY, b(chain.leaf.keyPem + chain.leaf.certPem)]]);
  expect(sameKey(data.get(TLS_PRIVATE_KEY_KEY), chain.leaf.keyPem)).toBe(true);
  expect(data.get(TLS_CERT_KEY)!.toString('utf8')).not.toContain('PRIVATE KEY');
  expect(() =>
    build([
      [TLS_CERT_KEY, b(chain.leaf.keyPem + chain.leaf.certPem)],
      [TLS_PRIVATE_KEY_KEY, b(chain.leaf.keyPem)],
    ]),
  ).toThrow('tls.crt holds a private key while tls.key is set too');
});

test.each([
  ['nothing', [] as [string, Buffer][], 'kubernetes.io/tls needs tls.crt and tls.key, or tls.p12'],
  [
    'no key',
    [[TLS_CERT_KEY, b(chain.leaf.certPem)]] as [string, Buffer][],
    'kubernetes.io/tls needs tls.key',
  ],
  [
    'no certificate',
    [
      [TLS_CERT_KEY, b('just text')],
      [TLS_PRIVATE_KEY_KEY, b(chain.leaf.keyPem)],
    ] as [string, Buffer][],
    'tls.crt holds no certificate',
  ],
  [
    'malformed PEM',
    [
      [TLS_CERT_KEY, b(chain.leaf.certPem.slice(0, 200))],
      [TLS_PRIVATE_KEY_KEY, b(chain.leaf.keyPem)],
    ] as [string, Buffer][],
    'tls.crt: malformed PEM: block 1 (CERTIFICATE) has no END line',
  ],
  [
    'two keys',
    [
      [TLS_CERT_KEY, b(chain.leaf.certPem)],
      [TLS_PRIVATE_KEY_KEY, b(chain.leaf.keyPem + chain.root.keyPem)],
    ] as [string, Buffer][],
    'tls.key holds 2 private keys; it must hold one',
  ],
  [
    'an encrypted key',
    [
      [TLS_CERT_KEY, b(chain.leaf.certPem)],
      [
        TLS_PRIVATE_KEY_KEY,
        b(
          createPrivateKey(chain.leaf.keyPem).export({
            type: 'pkcs8',
            format: 'pem',
            cipher: 'aes-256-cbc',
            passphrase: randomBytes(8).toString('hex'),
          }) as string,
        ),
      ],
    ] as [string, Buffer][],
    'tls.key is encrypted; store it unencrypted, or as tls.p12 with tls.p12.password',
  ],
  [
    'a key that is not a key',
    [
      [TLS_CERT_KEY, b(chain.leaf.certPem)],
      [TLS_PRIVATE_KEY_KEY, b('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')],
    ] as [string, Buffer][],
    'tls.key is not a private key node:crypto can read',
  ],
  [
    'both PEM and PKCS#12',
    [
      [TLS_CERT_KEY, b(chain.leaf.certPem)],
      [PKCS12_KEY, makePkcs12(chain.leaf, [], '')],
    ] as [string, Buffer][],
    'kubernetes.io/tls: set either tls.p12 or tls.crt and tls.key, not both',
  ],
  [
    'a ca.crt without certificates',
    [
      [TLS_CERT_KEY, b(chain.leaf.certPem)],
      [TLS_PRIVATE_KEY_KEY, b(chain.leaf.keyPem)],
      [CA_CERT_KEY, b('none here')],
    ] as [string, Buffer][],
    'ca.crt holds no certificate',
  ],
])('refused: %s', (_name, entries, message) => {
  expect(() => build(entries)).toThrow(new SecretSpecError(message));
});

test('PKCS#12: tls.crt, tls.key (PKCS#8) and ca.crt come from the bundle, which is not written', () => {
  const password = randomBytes(10).toString('hex');
  const bundle = makePkcs12(chain.leaf, [chain.root, chain.intermediate], password);
  const { data, certificate } = build([
    [PKCS12_KEY, bundle],
    [PKCS12_PASSWORD_KEY, b(password)],
    ['extra', b('kept')],
  ]);
  expect([...data.keys()].sort()).toEqual([CA_CERT_KEY, 'extra', TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY]);
  expect(fingerprints(data.get(TLS_CERT_KEY))).toEqual([
    fp(chain.leaf.certPem),
    fp(chain.intermediate.certPem),
  ]);
  expect(fingerprints(data.get(CA_CERT_KEY))).toEqual([fp(chain.root.certPem)]);
  expect(data.get(TLS_PRIVATE_KEY_KEY)!.toString('utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  expect(sameKey(data.get(TLS_PRIVATE_KEY_KEY), chain.leaf.keyPem)).toBe(true);
  expect(certificate?.expired).toBe(false);
});

test('PKCS#12 fetched as base64 text (no decoding set) is read all the same', () => {
  const bundle = makePkcs12(chain.leaf, [], '');
  const { data } = build([[PKCS12_KEY, b(bundle.toString('base64'))]]);
  expect(fingerprints(data.get(TLS_CERT_KEY))).toEqual([fp(chain.leaf.certPem)]);
});

test('PKCS#12 with an EC key from OpenSSL 3', () => {
  const password = randomBytes(10).toString('hex');
  const made = makeOpensslBundle({ keyType: 'ec', password });
  const { data } = build([
    [PKCS12_KEY, made.bundle],
    [PKCS12_PASSWORD_KEY, b(password)],
  ]);
  expect(fingerprints(data.get(TLS_CERT_KEY))).toEqual([fp(made.certPem)]);
  expect(sameKey(data.get(TLS_PRIVATE_KEY_KEY), made.keyPem)).toBe(true);
});

test('merge mode: the keys we write are checked, the ones we do not are not required', () => {
  expect(build([], false).data.size).toBe(0);
  const onlyCert = build([[TLS_CERT_KEY, b(chain.intermediate.certPem + chain.leaf.certPem)]], false);
  expect(fingerprints(onlyCert.data.get(TLS_CERT_KEY))).toEqual([
    fp(chain.leaf.certPem),
    fp(chain.intermediate.certPem),
  ]);
  expect(onlyCert.certificate).toBeDefined();
  expect(() => build([[TLS_PRIVATE_KEY_KEY, b('not a key')]], false)).toThrow('tls.key holds no private key');
});
