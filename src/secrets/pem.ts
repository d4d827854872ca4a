// PEM parsing and certificate ordering, shared by the kubernetes.io/tls
// builder and the template helpers. node:crypto does the X.509 and key work;
// this module only finds blocks and puts certificates in chain order.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { strictBase64 } from './decoding.js';
import { SecretSpecError } from './errors.js';

export interface PemBlock {
  label: string;
  der: Buffer;
  /** RFC 1421 headers (Proc-Type, DEK-Info): an OpenSSL-encrypted legacy key. */
  hasHeaders: boolean;
}

const BOUNDARY = /-----(BEGIN|END) ([A-Z0-9 ]*)-----/g;

/**
 * The PEM blocks in `text`, in order. Text between blocks is allowed
 * (RFC 7468); a block without its END, with a mismatched END or with a
 * body that is not base64 is an error naming `where` and the block number.
 */
export function parsePem(text: string, where: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let open: { label: string; bodyStart: number } | undefined;
  for (const boundary of text.matchAll(BOUNDARY)) {
    const [whole, kind, label] = boundary as unknown as [string, 'BEGIN' | 'END', string];
    const number = blocks.length + 1;
    if (kind === 'BEGIN') {
      if (open)
        throw new SecretSpecError(`${where}: malformed PEM: block ${number} (${open.label}) has no END line`);
      open = { label, bodyStart: boundary.index + whole.length };
      continue;
    }
    if (!open) throw new SecretSpecError(`${where}: malformed PEM: END ${label} without BEGIN`);
    if (label !== open.label) {
      throw new SecretSpecError(
        `${where}: malformed PEM: block ${number} begins ${open.label} but ends ${label}`,
      );
    }
    blocks.push(
      pemBody(
        text.slice(open.bodyStart, boundary.index),
        label,
        `${where}: malformed PEM: block ${number} (${label})`,
      ),
    );
    open = undefined;
  }
  if (open)
    throw new SecretSpecError(
      `${where}: malformed PEM: block ${blocks.length + 1} (${open.label}) has no END line`,
    );
  return blocks;
}

function pemBody(body: string, label: string, problem: string): PemBlock {
  let lines = body.split(/\r?\n/).map((line) => line.trim());
  let hasHeaders = false;
  const firstContent = lines.findIndex((line) => line !== '');
  if (firstContent >= 0 && lines[firstContent]!.includes(':')) {
    hasHeaders = true;
    const blank = lines.indexOf('', firstContent);
    lines = blank < 0 ? [] : lines.slice(blank);
  }
  const base64 = lines.join('');
  if (base64 === '') throw new SecretSpecError(`${problem} is empty`);
  const der = strictBase64(base64, 'Base64');
  if (der === undefined) throw new SecretSpecError(`${problem} is not base64`);
  return { label, der, hasHeaders };
}

/** A PEM block with the usual 64-character lines. */
export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export const isPrivateKeyLabel = (label: string): boolean => label.endsWith('PRIVATE KEY');

/** The certificates of `text` (other blocks are skipped); a block that is not X.509 is an error. */
export function parseCertificates(text: string, where: string): X509Certificate[] {
  return parsePem(text, where)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block, index) => {
      try {
        return new X509Certificate(block.der);
      } catch {
        throw new SecretSpecError(`${where}: certificate ${index + 1} is not a valid X.509 certificate`);
      }
    });
}

export interface OrderedCertificates {
  leaf: X509Certificate;
  /** Issuers of the leaf, nearest first, then certificates that are on no path, as given. */
  chain: X509Certificate[];
  /** Self-signed certificates other than the leaf (trust anchors, for ca.crt). */
  roots: X509Certificate[];
}

/** `child` names `parent` as issuer and carries its signature. */
export function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/**
 * Puts certificates in the order servers send them: the leaf, then its
 * issuers. The leaf is the certificate `key` belongs to, or (without a key)
 * the first certificate that issued none of the others.
 */
export function orderCertificates(
  certificates: readonly X509Certificate[],
  key?: KeyObject,
): OrderedCertificates | undefined {
  const leaf = key
    ? certificates.find((cert) => matchesKey(cert, key))
    : certificates.find((cert) => !certificates.some((other) => other !== cert && issuedBy(other, cert)));
  if (!leaf) return undefined;
  const chain: X509Certificate[] = [];
  const roots: X509Certificate[] = [];
  const used = new Set<X509Certificate>([leaf]);
  let current = leaf;
  for (;;) {
    if (issuedBy(current, current)) break;
    const issuer = certificates.find((cert) => !used.has(cert) && issuedBy(current, cert));
    if (!issuer) break;
    used.add(issuer);
    (issuedBy(issuer, issuer) ? roots : chain).push(issuer);
    current = issuer;
  }
  for (const cert of certificates) {
    if (used.has(cert)) continue;
    (issuedBy(cert, cert) ? roots : chain).push(cert);
  }
  return { leaf, chain, roots };
}

export function matchesKey(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

export const certificatesPem = (certificates: readonly X509Certificate[]): string =>
  certificates.map((cert) => toPem('CERTIFICATE', cert.raw)).join('');
