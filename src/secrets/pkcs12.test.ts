import { randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { SecretSpecError } from './errors.js';
import { matchesKey } from './pem.js';
import { MAX_PKCS12_KDF_ITERATIONS, readPkcs12 } from './pkcs12.js';
import { makeChain, makeOpensslBundle, makePkcs12 } from './test-pki.js';

const chain = makeChain();
const password = randomBytes(12).toString('hex');

test.each(['aes256', '3des'] as const)('reads a %s bundle: one key and every certificate', (algorithm) => {
  const bundle = makePkcs12(chain.leaf, [chain.intermediate, chain.root], password, algorithm);
  const { key, certificates } = readPkcs12(bundle, password, 'tls.p12');
  expect(certificates).toHaveLength(3);
  expect(certificates.some((cert) => matchesKey(cert, key))).toBe(true);
  const leafDer = new X509Certificate(chain.leaf.certPem).raw;
  expect(certificates.some((cert) => cert.raw.equals(leafDer))).toBe(true);
});

test.each(['ec', 'rsa'] as const)(
  'reads an OpenSSL 3 default bundle with an %s key; certificates come out byte for byte',
  (keyType) => {
    const made = makeOpensslBundle({ keyType, password });
    const { key, certificates } = readPkcs12(made.bundle, password, 'tls.p12');
    expect(key.asymmetricKeyType).toBe(keyType);
    expect(certificates).toHaveLength(1);
    expect(certificates[0]!.raw.equals(new X509Certificate(made.certPem).raw)).toBe(true);
  },
);

test('an empty password is a password like any other', () => {
  const { certificates } = readPkcs12(makePkcs12(chain.leaf, [], ''), '', 'tls.p12');
  expect(certificates).toHaveLength(1);
});

test('a wrong password says so, without the password', () => {
  const bundle = makePkcs12(chain.leaf, [], password);
  const wrong = randomBytes(8).toString('hex');
  expect(() => readPkcs12(bundle, wrong, 'tls.p12')).toThrow(
    new SecretSpecError('tls.p12: the PKCS#12 bundle cannot be opened with the given password'),
  );
});

test.each([
  ['random bytes', randomBytes(300)],
  ['a DER prefix cut short', makePkcs12(makeChain().leaf, [], 'x').subarray(0, 100)],
  ['an empty value', Buffer.alloc(0)],
])('%s is not a PKCS#12 bundle', (_name, bundle) => {
  expect(() => readPkcs12(bundle, '', 'tls.p12')).toThrow(SecretSpecError);
  expect(() => readPkcs12(bundle, '', 'tls.p12')).toThrow(/^tls\.p12: /);
});

test('a bundle asking for too many key-derivation iterations is refused at once', () => {
  const made = makeOpensslBundle({ keyType: 'ec', password, iterations: 65536 });
  // Same-length INTEGER: 65536 (02 03 010000) becomes 8388607 (02 03 7fffff) everywhere.
  const hostile = Buffer.from(made.bundle.toString('hex').replaceAll('0203010000', '02037fffff'), 'hex');
  // Count the iterations that reach forge's key-derivation functions: the budget is charged
  // before each derivation runs, so the refusal costs none of the hostile ones.
  const hooks = forge as unknown as Record<'pkcs12' | 'pbe', Record<string, (...args: unknown[]) => unknown>>;
  const kdfs = [
    [hooks.pkcs12, 'generateKey'],
    [hooks.pbe, 'generatePkcs12Key'],
  ] as const;
  const originals = kdfs.map(([owner, name]) => owner[name]!);
  let derived = 0;
  kdfs.forEach(([owner, name], i) => {
    owner[name] = (...args: unknown[]) => {
      derived += Number(args[3]);
      return originals[i]!(...args);
    };
  });
  try {
    expect(() => readPkcs12(hostile, password, 'tls.p12')).toThrow(
      `tls.p12: the PKCS#12 bundle asks for more than ${MAX_PKCS12_KDF_ITERATIONS} key-derivation iterations`,
    );
    expect(derived).toBe(0);
    // The counter does see derivations: an ordinary bundle costs some.
    readPkcs12(makePkcs12(chain.leaf, [], password), password, 'tls.p12');
    expect(derived).toBeGreaterThan(0);
  } finally {
    kdfs.forEach(([owner, name], i) => (owner[name] = originals[i]!));
  }
  // The hooks are restored: an ordinary bundle still opens.
  expect(readPkcs12(makePkcs12(chain.leaf, [], password), password, 'tls.p12').certificates).toHaveLength(1);
});
