// Reads a PKCS#12 (.p12/.pfx) bundle. node:crypto cannot open PKCS#12 (only
// tls.createSecureContext takes one, and it exposes neither key nor chain), so
// node-forge decrypts the container; the certificates and the key are handed
// to node:crypto as DER at once, so forge never decides what a key or a
// certificate means.
import { createPrivateKey, pbkdf2Sync, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { SecretSpecError } from './errors.js';

/**
 * Key-derivation work one bundle may ask for, summed over its MAC and every
 * encrypted part. OpenSSL and Windows write about 2048 iterations per part,
 * Java's keytool 10000; a hostile bundle asking for billions would stall the
 * operator's only thread. The PKCS#12 KDF runs in JavaScript (about 5 µs an
 * iteration); PBKDF2 runs in node:crypto and is allowed more.
 */
export const MAX_PKCS12_KDF_ITERATIONS = 200_000;
export const MAX_PBKDF2_ITERATIONS = 2_000_000;

export interface Pkcs12Contents {
  key: KeyObject;
  certificates: X509Certificate[];
}

type Kdf = (...args: never[]) => unknown;
interface KdfHooks {
  pkcs5: { pbkdf2: Kdf };
  pkcs12: { generateKey: Kdf };
  pbe: { generatePkcs12Key: Kdf };
}

/** `where` names the bundle's key in messages. */
export function readPkcs12(bundle: Buffer, password: string, where: string): Pkcs12Contents {
  let bags: forge.pkcs12.Bag[];
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bundle.toString('binary')), true);
    const pfx = withKdfBudget(() => forge.pkcs12.pkcs12FromAsn1(asn1, true, password));
    bags = pfx.safeContents.flatMap((contents) => contents.safeBags);
  } catch (error) {
    if (error instanceof SecretSpecError) throw new SecretSpecError(`${where}: ${error.message}`);
    const message = error instanceof Error ? error.message : '';
    if (/MAC could not be verified|decrypt/i.test(message)) {
      throw new SecretSpecError(`${where}: the PKCS#12 bundle cannot be opened with the given password`);
    }
    // forge's other messages describe the structure, but carry nothing we need to show.
    throw new SecretSpecError(`${where}: not a valid PKCS#12 bundle`);
  }

  const keys: KeyObject[] = [];
  const certificates: X509Certificate[] = [];
  for (const bag of bags) {
    if (bag.type === forge.pki.oids.certBag) {
      const asn1 = bag.asn1 ?? (bag.cert ? forge.pki.certificateToAsn1(bag.cert) : undefined);
      if (!asn1) continue;
      try {
        certificates.push(new X509Certificate(derOf(asn1)));
      } catch {
        throw new SecretSpecError(`${where}: the PKCS#12 bundle holds a certificate that is not valid X.509`);
      }
    } else if (bag.type === forge.pki.oids.keyBag || bag.type === forge.pki.oids.pkcs8ShroudedKeyBag) {
      // forge parses RSA keys itself and leaves other key types as ASN.1 PrivateKeyInfo.
      const asn1 =
        bag.asn1 ?? (bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : undefined);
      if (!asn1) continue;
      try {
        keys.push(createPrivateKey({ key: derOf(asn1), format: 'der', type: 'pkcs8' }));
      } catch {
        throw new SecretSpecError(`${where}: the PKCS#12 bundle holds a private key node:crypto cannot read`);
      }
    }
  }
  if (keys.length !== 1) {
    throw new SecretSpecError(
      `${where}: the PKCS#12 bundle must hold exactly one private key, it holds ${keys.length}`,
    );
  }
  if (certificates.length === 0)
    throw new SecretSpecError(`${where}: the PKCS#12 bundle holds no certificate`);
  return { key: keys[0]!, certificates };
}

function derOf(asn1: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/**
 * Runs `read` with forge's key-derivation functions metered, and PBKDF2 done
 * by node:crypto (forge's own is pure JavaScript, some 100 times slower). The
 * hooks are swapped only for the duration of this synchronous call, so no
 * other code can observe them.
 */
function withKdfBudget<T>(read: () => T): T {
  const hooks = forge as unknown as KdfHooks;
  const originals = {
    pbkdf2: hooks.pkcs5.pbkdf2,
    generateKey: hooks.pkcs12.generateKey,
    generatePkcs12Key: hooks.pbe.generatePkcs12Key,
  };
  const spent = { pkcs12: 0, pbkdf2: 0 };
  const charge = (kind: keyof typeof spent, iterations: unknown, budget: number): void => {
    const count = Number(iterations);
    spent[kind] += Number.isFinite(count) && count > 0 ? count : Infinity;
    if (spent[kind] > budget) {
      throw new SecretSpecError(`the PKCS#12 bundle asks for more than ${budget} key-derivation iterations`);
    }
  };
  const meteredPkcs12Kdf =
    (kdf: Kdf): Kdf =>
    (...args) => {
      charge('pkcs12', args[3], MAX_PKCS12_KDF_ITERATIONS);
      return kdf(...args);
    };
  hooks.pkcs5.pbkdf2 = ((
    password: string,
    salt: string,
    iterations: number,
    keyLength: number,
    md?: unknown,
  ) => {
    charge('pbkdf2', iterations, MAX_PBKDF2_ITERATIONS);
    const digest = (md as { algorithm?: unknown } | undefined)?.algorithm;
    if (typeof digest === 'string' && NATIVE_DIGESTS.has(digest)) {
      // forge treats both strings as binary strings; so does this.
      return pbkdf2Sync(
        Buffer.from(password, 'binary'),
        Buffer.from(salt, 'binary'),
        iterations,
        keyLength,
        digest,
      ).toString('binary');
    }
    return (originals.pbkdf2 as (...args: unknown[]) => unknown)(password, salt, iterations, keyLength, md);
  }) as Kdf;
  hooks.pkcs12.generateKey = meteredPkcs12Kdf(originals.generateKey);
  hooks.pbe.generatePkcs12Key = meteredPkcs12Kdf(originals.generatePkcs12Key);
  try {
    return read();
  } finally {
    hooks.pkcs5.pbkdf2 = originals.pbkdf2;
    hooks.pkcs12.generateKey = originals.generateKey;
    hooks.pbe.generatePkcs12Key = originals.generatePkcs12Key;
  }
}

const NATIVE_DIGESTS: ReadonlySet<string> = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512']);
