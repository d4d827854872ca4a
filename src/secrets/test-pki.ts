// Test support, not used by the operator: throwaway certificates made at test
// time, so no private key is ever committed. node:crypto makes the keys (fast,
// native); node-forge signs the certificates and writes PKCS#12 bundles, since
// node:crypto has no certificate builder.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

export interface TestCertificate {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

export interface CertificateOptions {
  commonName: string;
  issuer?: TestCertificate;
  isCa?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

const DAY = 24 * 60 * 60 * 1000;

export function makeCertificate(options: CertificateOptions): TestCertificate {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 30 * DAY);
  const subject = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : subject);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: options.isCa ?? false },
    { name: 'subjectKeyIdentifier' },
    options.isCa
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
  ];
  if (options.issuer) {
    extensions.push({
      name: 'authorityKeyIdentifier',
      keyIdentifier: options.issuer.cert.generateSubjectKeyIdentifier().getBytes(),
    });
  }
  cert.setExtensions(extensions);
  signWithNodeCrypto(cert, options.issuer?.keyPem ?? keyPem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem, cert, key };
}

/**
 * What forge's cert.sign does, with the RSA signature from node:crypto: forge's
 * big-number code takes seconds per signature inside jest's module sandbox.
 */
function signWithNodeCrypto(cert: forge.pki.Certificate, signerKeyPem: string): void {
  const oid = forge.pki.oids['sha256WithRSAEncryption']!;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  // getTBSCertificate is public in forge but missing from its type declarations.
  const tbs = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert);
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  (cert as { tbsCertificate?: forge.asn1.Asn1 }).tbsCertificate = tbs;
  cert.signature = sign('sha256', der, createPrivateKey(signerKeyPem)).toString('binary');
}

export interface TestChain {
  root: TestCertificate;
  intermediate: TestCertificate;
  leaf: TestCertificate;
}

export function makeChain(leafOptions: Partial<CertificateOptions> = {}): TestChain {
  const root = makeCertificate({ commonName: 'Test Root CA', isCa: true });
  const intermediate = makeCertificate({ commonName: 'Test Intermediate CA', isCa: true, issuer: root });
  const leaf = makeCertificate({ commonName: 'leaf.test', issuer: intermediate, ...leafOptions });
  return { root, intermediate, leaf };
}

/** A PKCS#12 bundle as forge writes it (3DES or AES, SHA-1 MAC). */
export function makePkcs12(
  leaf: TestCertificate,
  chain: readonly TestCertificate[],
  password: string,
  algorithm: '3des' | 'aes256' = 'aes256',
): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(leaf.key, [leaf.cert, ...chain.map((c) => c.cert)], password, {
    algorithm,
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** Fails with what is missing when there is no openssl on the PATH (README: a prerequisite). */
function requireOpenssl(): void {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('openssl is not on the PATH: the README lists it as a prerequisite of the tests');
  }
}

export interface OpensslBundle {
  certPem: string;
  keyPem: string;
  bundle: Buffer;
}

/**
 * A self-signed certificate (EC P-256 or RSA) and a PKCS#12 bundle in OpenSSL
 * 3's default format (PBES2/AES-256, PBKDF2-SHA256, SHA-256 MAC), made by the
 * openssl command in a temporary directory that is removed afterwards.
 */
export function makeOpensslBundle(options: {
  keyType: 'ec' | 'rsa';
  password: string;
  iterations?: number;
}): OpensslBundle {
  requireOpenssl();
  const dir = mkdtempSync(join(tmpdir(), 'secretsource-pki-'));
  try {
    const run = (args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    };
    const keyArgs = options.keyType === 'ec' ? ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['rsa:2048'];
    run(
      ['req', '-x509', '-newkey', ...keyArgs, '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem'].concat([
        '-subj',
        `/CN=${options.keyType}.test`,
        '-days',
        '2',
      ]),
    );
    writeFileSync(join(dir, 'pass'), options.password);
    run(
      [
        'pkcs12',
        '-export',
        '-inkey',
        'key.pem',
        '-in',
        'cert.pem',
        '-out',
        'bundle.p12',
        '-passout',
        'file:pass',
      ].concat(options.iterations ? ['-iter', String(options.iterations)] : []),
    );
    return {
      certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'),
      bundle: readFileSync(join(dir, 'bundle.p12')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
