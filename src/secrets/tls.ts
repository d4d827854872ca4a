// kubernetes.io/tls: tls.crt (leaf first, then its chain), tls.key (the
// leaf's private key) and ca.crt (trust anchors) from PEM or a PKCS#12
// bundle. An expired certificate is written and reported, not refused: the
// Secret mirrors the backend, and refusing would hide the backend's state
// behind a stale Secret while the status still has to say "expired".
import { createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { strictBase64 } from './decoding.js';
import { SecretSpecError } from './errors.js';
import {
  certificatesPem,
  isPrivateKeyLabel,
  issuedBy,
  orderCertificates,
  parseCertificates,
  parsePem,
  toPem,
  type PemBlock,
} from './pem.js';
import { readPkcs12 } from './pkcs12.js';

export const TLS_CERT_KEY = 'tls.crt';
export const TLS_PRIVATE_KEY_KEY = 'tls.key';
export const CA_CERT_KEY = 'ca.crt';
/** Input only: a PKCS#12 bundle, consumed and not written. */
export const PKCS12_KEY = 'tls.p12';
/** Input only: the bundle's password (empty when absent). */
export const PKCS12_PASSWORD_KEY = 'tls.p12.password';

export interface CertificateInfo {
  notBefore: Date;
  notAfter: Date;
  /** notAfter is in the past at `now`. */
  expired: boolean;
  /** notBefore is in the future at `now`. */
  notYetValid: boolean;
}

export interface TlsData {
  data: Map<string, Buffer>;
  certificate?: CertificateInfo;
}

export interface TlsOptions {
  now: Date;
  /** False for creationPolicy Merge: the keys we do not write may already be in the Secret. */
  requireKeys: boolean;
}

export function buildTlsData(input: ReadonlyMap<string, Buffer>, options: TlsOptions): TlsData {
  const data = new Map(input);
  const bundle = data.get(PKCS12_KEY);
  const hasPem = data.has(TLS_CERT_KEY) || data.has(TLS_PRIVATE_KEY_KEY);
  if (bundle !== undefined && hasPem) {
    throw new SecretSpecError(
      `kubernetes.io/tls: set either ${PKCS12_KEY} or ${TLS_CERT_KEY} and ${TLS_PRIVATE_KEY_KEY}, not both`,
    );
  }

  let key: KeyObject | undefined;
  let keyPem: string | undefined;
  let certificates: X509Certificate[] | undefined;
  let certSource = TLS_CERT_KEY;
  if (bundle !== undefined) {
    const password = data.get(PKCS12_PASSWORD_KEY)?.toString('utf8') ?? '';
    const contents = readPkcs12(derOrBase64(bundle), password, PKCS12_KEY);
    data.delete(PKCS12_KEY);
    data.delete(PKCS12_PASSWORD_KEY);
    key = contents.key;
    keyPem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
    certificates = contents.certificates;
    certSource = PKCS12_KEY;
  } else {
    const crt = data.get(TLS_CERT_KEY);
    const keyText = data.get(TLS_PRIVATE_KEY_KEY);
    if (options.requireKeys && crt === undefined) {
      throw new SecretSpecError(
        `kubernetes.io/tls needs ${TLS_CERT_KEY} and ${TLS_PRIVATE_KEY_KEY}, or ${PKCS12_KEY}`,
      );
    }
    let keyBlock: PemBlock | undefined;
    if (crt !== undefined) {
      const blocks = parsePem(crt.toString('utf8'), TLS_CERT_KEY);
      const keysInCrt = blocks.filter((block) => isPrivateKeyLabel(block.label));
      if (keysInCrt.length > 0) {
        // A combined cert+key file: move the key out, so tls.crt can be shared without it.
        if (keyText !== undefined) {
          throw new SecretSpecError(
            `${TLS_CERT_KEY} holds a private key while ${TLS_PRIVATE_KEY_KEY} is set too`,
          );
        }
        keyBlock = onlyKey(keysInCrt, TLS_CERT_KEY);
      }
      certificates = parseCertificates(crt.toString('utf8'), TLS_CERT_KEY);
      if (certificates.length === 0) throw new SecretSpecError(`${TLS_CERT_KEY} holds no certificate`);
    }
    if (keyText !== undefined) {
      keyBlock = onlyKey(
        parsePem(keyText.toString('utf8'), TLS_PRIVATE_KEY_KEY).filter((block) =>
          isPrivateKeyLabel(block.label),
        ),
        TLS_PRIVATE_KEY_KEY,
      );
    }
    if (keyBlock === undefined && options.requireKeys) {
      throw new SecretSpecError(`kubernetes.io/tls needs ${TLS_PRIVATE_KEY_KEY}`);
    }
    if (keyBlock !== undefined) {
      keyPem = toPem(keyBlock.label, keyBlock.der);
      key = readKey(keyBlock, keyPem);
    }
  }
  if (certificates === undefined) {
    // Merge with only tls.key (or only ca.crt): nothing to pair or order.
    if (keyPem !== undefined) data.set(TLS_PRIVATE_KEY_KEY, Buffer.from(keyPem, 'utf8'));
    caCertificates(data, []);
    return { data };
  }

  const ordered = orderCertificates(certificates, key);
  if (!ordered) {
    throw new SecretSpecError(
      key && certificates.length === 1
        ? `${TLS_PRIVATE_KEY_KEY} does not match the certificate in ${certSource}`
        : key
          ? `${TLS_PRIVATE_KEY_KEY} matches none of the ${certificates.length} certificates in ${certSource}`
          : `${certSource}: no certificate is the leaf of the others`,
    );
  }
  if (key && issuedAnother(ordered.leaf, certificates)) {
    // The key is a CA's (e.g. issuing_ca's key mapped to tls.key): writing it as the serving key,
    // with the real leaf listed after its own issuer, would be a broken chain and a leaked CA key.
    throw new SecretSpecError(
      `${TLS_PRIVATE_KEY_KEY} belongs to a CA certificate that issued another certificate in ${certSource}, not to the leaf`,
    );
  }
  data.set(TLS_CERT_KEY, Buffer.from(certificatesPem([ordered.leaf, ...ordered.chain]), 'utf8'));
  if (keyPem !== undefined) data.set(TLS_PRIVATE_KEY_KEY, Buffer.from(keyPem, 'utf8'));
  caCertificates(data, ordered.roots);

  const { validFromDate: notBefore, validToDate: notAfter } = ordered.leaf;
  const now = options.now.getTime();
  return {
    data,
    certificate: {
      notBefore,
      notAfter,
      expired: now > notAfter.getTime(),
      notYetValid: now < notBefore.getTime(),
    },
  };
}

/** Whether `cert` issued a certificate of the bundle other than itself (a duplicate of it does not count). */
function issuedAnother(cert: X509Certificate, certificates: readonly X509Certificate[]): boolean {
  return certificates.some((other) => other.fingerprint256 !== cert.fingerprint256 && issuedBy(other, cert));
}

/** ca.crt: the given CA certificates (validated) plus self-signed roots found in the bundle. */
function caCertificates(data: Map<string, Buffer>, roots: readonly X509Certificate[]): void {
  const given = data.get(CA_CERT_KEY);
  const cas = given === undefined ? [] : parseCertificates(given.toString('utf8'), CA_CERT_KEY);
  if (given !== undefined && cas.length === 0)
    throw new SecretSpecError(`${CA_CERT_KEY} holds no certificate`);
  const seen = new Set(cas.map((cert) => cert.fingerprint256));
  for (const root of roots) {
    if (!seen.has(root.fingerprint256)) cas.push(root);
    seen.add(root.fingerprint256);
  }
  if (cas.length > 0) data.set(CA_CERT_KEY, Buffer.from(certificatesPem(cas), 'utf8'));
}

function onlyKey(blocks: readonly PemBlock[], where: string): PemBlock {
  if (blocks.length === 0) throw new SecretSpecError(`${where} holds no private key`);
  if (blocks.length > 1)
    throw new SecretSpecError(`${where} holds ${blocks.length} private keys; it must hold one`);
  return blocks[0]!;
}

function readKey(block: PemBlock, pem: string): KeyObject {
  if (block.label === 'ENCRYPTED PRIVATE KEY' || block.hasHeaders) {
    throw new SecretSpecError(
      `${TLS_PRIVATE_KEY_KEY} is encrypted; store it unencrypted, or as ${PKCS12_KEY} with ${PKCS12_PASSWORD_KEY}`,
    );
  }
  try {
    return createPrivateKey(pem);
  } catch {
    throw new SecretSpecError(`${TLS_PRIVATE_KEY_KEY} is not a private key node:crypto can read`);
  }
}

/** A bundle fetched without `decoding: Base64` still arrives as base64 text; DER never parses as such. */
function derOrBase64(bundle: Buffer): Buffer {
  if (bundle[0] === 0x30) return bundle;
  return strictBase64(bundle.toString('latin1').replace(/[\t\n\r ]/g, ''), 'Base64') ?? bundle;
}
