// Certificate import as Key Vault does it: a PEM file (PKCS#8 key plus
// certificates) or a base64 PKCS#12, chosen by the policy's
// secret_props.contentType (PKCS#12 when absent, as the service assumes).
// Each import is a new version of the certificate and of its backing secret,
// which answers GET /secrets/{name} with the key and the chain.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { KeyVaultError, badParameter, certificateNotFound } from './errors.js';
import { deletedButRecoverable, newVersionId, type SecretStore } from './secrets-store.js';

export const PEM_CONTENT_TYPE = 'application/x-pem-file';
export const PKCS12_CONTENT_TYPE = 'application/x-pkcs12';
export type CertificateContentType = typeof PEM_CONTENT_TYPE | typeof PKCS12_CONTENT_TYPE;

export interface ImportRequest {
  readonly value: string;
  readonly password?: string;
  readonly contentType: CertificateContentType;
  readonly enabled?: boolean;
  readonly tags?: Record<string, string>;
}

export interface CertificateVersion {
  readonly version: string;
  /** DER of the leaf certificate: what the bundle's `cer` carries. */
  readonly der: Buffer;
  readonly x5t: string;
  readonly subject: string;
  readonly dnsNames: readonly string[];
  readonly keyType: 'RSA' | 'EC';
  readonly keySize?: number;
  readonly curve?: string;
  readonly validityMonths: number;
  readonly attributes: { enabled: boolean; nbf: number; exp: number; created: number; updated: number };
  readonly tags?: Record<string, string>;
  readonly contentType: CertificateContentType;
}

export interface CertificateEntry {
  readonly name: string;
  readonly versions: CertificateVersion[];
  readonly policyCreated: number;
}

/** What a parsed import yields: the key, the leaf and the rest of the chain, and the backing secret value. */
interface ParsedCertificate {
  readonly leaf: X509Certificate;
  readonly privateKey: KeyObject;
  readonly secretValue: string;
}

const OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const OID_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const OID_KEY_BAG = '1.2.840.113549.1.12.10.1.1';

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

function pemBlocks(text: string, label: string): string[] {
  const re = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g');
  return text.match(re) ?? [];
}

function leafOf(certs: X509Certificate[], key: KeyObject): X509Certificate {
  const leaf = certs.find((c) => c.checkPrivateKey(key));
  if (!leaf) throw badParameter('No certificate in the content matches its private key.');
  return leaf;
}

function parsePem(text: string, password: string | undefined): ParsedCertificate {
  const certPems = pemBlocks(text, 'CERTIFICATE');
  if (certPems.length === 0)
    throw badParameter('The specified PEM X.509 certificate content is in an unexpected format.');
  if (pemBlocks(text, 'RSA PRIVATE KEY').length || pemBlocks(text, 'EC PRIVATE KEY').length)
    throw badParameter('The private key must be in PKCS#8 format (BEGIN PRIVATE KEY).');
  const keyPem = pemBlocks(text, 'PRIVATE KEY')[0] ?? pemBlocks(text, 'ENCRYPTED PRIVATE KEY')[0];
  if (!keyPem) throw badParameter('The PEM content has no private key.');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: keyPem, ...(password ? { passphrase: password } : {}) });
  } catch {
    throw badParameter('The private key could not be read (wrong password or corrupt key).');
  }
  const certs = certPems.map((p) => new X509Certificate(p));
  const leaf = leafOf(certs, privateKey);
  // The backing secret holds the key (unencrypted PKCS#8) and the chain, leaf first.
  const chain = [leaf, ...certs.filter((c) => c !== leaf)];
  const keyOut = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { leaf, privateKey, secretValue: keyOut + chain.map((c) => c.toString()).join('') };
}

function parsePkcs12(base64: string, password: string | undefined): ParsedCertificate {
  const der = Buffer.from(base64, 'base64');
  if (der.length === 0 || der.toString('base64') !== base64.replace(/\s+/g, ''))
    throw badParameter('The specified PKCS#12 content is not valid base64.');
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))),
      password ?? '',
    );
  } catch {
    throw badParameter(
      'The specified PKCS#12 X.509 certificate content can not be read. Please check the password.',
    );
  }
  const bags = (oid: string): forge.pkcs12.Bag[] => p12.getBags({ bagType: oid })[oid] ?? [];
  const certs = bags(OID_CERT_BAG)
    .map((b) => b.cert)
    .filter((c): c is forge.pki.Certificate => c !== undefined);
  const keyBags = [...bags(OID_SHROUDED_KEY_BAG), ...bags(OID_KEY_BAG)];
  const forgeKey = keyBags.find((b) => b.key)?.key;
  if (!forgeKey || certs.length === 0)
    throw badParameter('The PKCS#12 content needs a certificate and its private key.');
  const privateKey = createPrivateKey(forge.pki.privateKeyToPem(forgeKey));
  const x509s = certs.map((c) => new X509Certificate(forge.pki.certificateToPem(c)));
  const leaf = leafOf(x509s, privateKey);
  const ordered = [certs[x509s.indexOf(leaf)]!, ...certs.filter((_c, i) => x509s[i] !== leaf)];
  // Key Vault hands the PFX back without a password: here the empty one, which every reader accepts.
  const out = forge.pkcs12.toPkcs12Asn1(forgeKey, ordered, '', {
    generateLocalKeyId: true,
    algorithm: '3des',
  });
  const secretValue = Buffer.from(forge.asn1.toDer(out).getBytes(), 'binary').toString('base64');
  return { leaf, privateKey, secretValue };
}

function months(from: Date, to: Date): number {
  return Math.max(1, Math.round((to.getTime() - from.getTime()) / (30.44 * 86_400_000)));
}

export class CertificateStore {
  readonly #entries = new Map<string, CertificateEntry>();

  constructor(
    private readonly secrets: SecretStore,
    private readonly keyIdBase: string,
    private readonly now: () => number,
  ) {}

  import(name: string, request: ImportRequest): { entry: CertificateEntry; version: CertificateVersion } {
    const backing = this.secrets.entry(name);
    if (backing?.deleted) throw deletedButRecoverable('Certificate', backing.name);
    if (backing && !backing.managedByCertificate)
      throw new KeyVaultError(
        409,
        'Conflict',
        `A secret named ${backing.name} already exists in this vault.`,
      );
    const parsed =
      request.contentType === PEM_CONTENT_TYPE
        ? parsePem(request.value, request.password)
        : parsePkcs12(request.value, request.password);
    const { leaf, privateKey } = parsed;
    const details = privateKey.asymmetricKeyDetails ?? {};
    const nbf = Math.floor(new Date(leaf.validFrom).getTime() / 1000);
    const exp = Math.floor(new Date(leaf.validTo).getTime() / 1000);
    const now = this.now();
    const version = newVersionId();
    const key = name.toLowerCase();
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { name, versions: [], policyCreated: now };
      this.#entries.set(key, entry);
    }
    const created: CertificateVersion = {
      version,
      der: Buffer.from(leaf.raw),
      x5t: Buffer.from(leaf.fingerprint.replaceAll(':', ''), 'hex').toString('base64url'),
      subject: leaf.subject.split('\n').join(', '),
      dnsNames: (leaf.subjectAltName ?? '')
        .split(', ')
        .filter((s) => s.startsWith('DNS:'))
        .map((s) => s.slice(4)),
      keyType: privateKey.asymmetricKeyType === 'ec' ? 'EC' : 'RSA',
      ...(details.modulusLength ? { keySize: details.modulusLength } : {}),
      ...(details.namedCurve ? { curve: CURVES[details.namedCurve] ?? details.namedCurve } : {}),
      validityMonths: months(new Date(leaf.validFrom), new Date(leaf.validTo)),
      attributes: { enabled: request.enabled ?? true, nbf, exp, created: now, updated: now },
      ...(request.tags ? { tags: request.tags } : {}),
      contentType: request.contentType,
    };
    entry.versions.push(created);
    this.secrets.setForCertificate(
      entry.name,
      version,
      {
        value: parsed.secretValue,
        contentType: request.contentType,
        enabled: created.attributes.enabled,
        nbf,
        exp,
        ...(request.tags ? { tags: request.tags } : {}),
      },
      `${this.keyIdBase}/${entry.name}/${version}`,
    );
    return { entry, version: created };
  }

  get(name: string, version = ''): { entry: CertificateEntry; version: CertificateVersion } {
    const entry = this.#entries.get(name.toLowerCase());
    if (!entry || this.secrets.entry(name)?.deleted) throw certificateNotFound(name);
    if (!version) return { entry, version: entry.versions.at(-1)! };
    const found = entry.versions.find((v) => v.version === version.toLowerCase());
    if (!found) throw certificateNotFound(`${name}/${version}`);
    return { entry, version: found };
  }

  list(): CertificateEntry[] {
    return [...this.#entries.values()]
      .filter((e) => !this.secrets.entry(e.name)?.deleted)
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }
}
