import { createPrivateKey, X509Certificate } from 'node:crypto';
import { SecretSpecError } from './errors.js';
import { certificatesPem, issuedBy, orderCertificates, parseCertificates, parsePem, toPem } from './pem.js';
import { makeCertificate, makeChain } from './test-pki.js';

const chain = makeChain();
const x509 = (pem: string): X509Certificate => new X509Certificate(pem);

test('parsePem finds every block in order, ignoring text between blocks', () => {
  const text = `subject=leaf\n${chain.leaf.certPem}\nsome notes\n${chain.leaf.keyPem}${chain.root.certPem}`;
  expect(parsePem(text, 'tls.crt').map((block) => block.label)).toEqual([
    'CERTIFICATE',
    'PRIVATE KEY',
    'CERTIFICATE',
  ]);
});

test('toPem writes 64-character lines that parse back to the same DER', () => {
  const der = x509(chain.leaf.certPem).raw;
  const pem = toPem('CERTIFICATE', der);
  expect(pem.split('\n').every((line) => line.length <= 64)).toBe(true);
  expect(parsePem(pem, 'x')[0]!.der.equals(der)).toBe(true);
});

test.each([
  ['block 1 (CERTIFICATE) has no END line', '-----BEGIN CERTIFICATE-----\nMIIB\n'],
  [
    'block 1 begins CERTIFICATE but ends PRIVATE KEY',
    '-----BEGIN CERTIFICATE-----\nMIIB\n-----END PRIVATE KEY-----\n',
  ],
  ['END CERTIFICATE without BEGIN', '-----END CERTIFICATE-----\n'],
  [
    'block 1 (CERTIFICATE) is not base64',
    '-----BEGIN CERTIFICATE-----\n%%%notbase64%%%\n-----END CERTIFICATE-----\n',
  ],
  ['block 1 (CERTIFICATE) is empty', '-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n'],
  [
    'block 1 (A) has no END line',
    '-----BEGIN A-----\n-----BEGIN B-----\nAAAA\n-----END B-----\n-----END A-----\n',
  ],
])('malformed PEM: %s', (problem, text) => {
  expect(() => parsePem(text, 'tls.crt')).toThrow(SecretSpecError);
  expect(() => parsePem(text, 'tls.crt')).toThrow(`tls.crt: malformed PEM: ${problem}`);
});

test('a CERTIFICATE block that is not X.509 is refused by number', () => {
  const garbage = toPem('CERTIFICATE', Buffer.from('definitely not DER'));
  expect(() => parseCertificates(chain.leaf.certPem + garbage, 'ca.crt')).toThrow(
    'ca.crt: certificate 2 is not a valid X.509 certificate',
  );
});

test('legacy encrypted keys are recognised by their headers', () => {
  const body = chain.leaf.keyPem.split('\n').slice(1, -2).join('\n');
  const legacy = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${body}\n-----END RSA PRIVATE KEY-----\n`;
  expect(parsePem(legacy, 'tls.key')[0]!.hasHeaders).toBe(true);
});

test('orderCertificates puts the leaf first and its issuers after, whatever the input order', () => {
  const certs = [chain.root, chain.leaf, chain.intermediate].map((c) => x509(c.certPem));
  const ordered = orderCertificates(certs)!;
  expect(ordered.leaf.subject).toContain('leaf.test');
  expect(ordered.chain.map((c) => c.subject)).toEqual([expect.stringContaining('Intermediate')]);
  expect(ordered.roots.map((c) => c.subject)).toEqual([expect.stringContaining('Root')]);
});

test('with a key, the leaf is the certificate the key belongs to', () => {
  const certs = [chain.root, chain.intermediate, chain.leaf].map((c) => x509(c.certPem));
  const ordered = orderCertificates(certs, createPrivateKey(chain.intermediate.keyPem))!;
  expect(ordered.leaf.subject).toContain('Intermediate');
  expect(
    orderCertificates(certs, createPrivateKey(makeCertificate({ commonName: 'other' }).keyPem)),
  ).toBeUndefined();
});

test('certificates on no path stay, after the chain', () => {
  const stranger = makeCertificate({ commonName: 'stranger', issuer: chain.root });
  const certs = [chain.leaf, chain.intermediate, stranger].map((c) => x509(c.certPem));
  const ordered = orderCertificates(certs)!;
  // Two certificates issue nothing here: the first one given is the leaf.
  expect(ordered.leaf.subject).toContain('leaf.test');
  expect(ordered.chain.map((c) => c.subject)).toEqual([
    expect.stringContaining('Intermediate'),
    expect.stringContaining('stranger'),
  ]);
});

test('issuedBy checks names and the signature', () => {
  const impostor = makeCertificate({ commonName: 'Test Intermediate CA', isCa: true });
  expect(issuedBy(x509(chain.leaf.certPem), x509(chain.intermediate.certPem))).toBe(true);
  expect(issuedBy(x509(chain.leaf.certPem), x509(impostor.certPem))).toBe(false);
});

test('certificatesPem concatenates normalised blocks', () => {
  const pem = certificatesPem([x509(chain.leaf.certPem), x509(chain.root.certPem)]);
  expect(parseCertificates(pem, 'x').map((c) => c.fingerprint256)).toEqual(
    [chain.leaf, chain.root].map((c) => x509(c.certPem).fingerprint256),
  );
});
