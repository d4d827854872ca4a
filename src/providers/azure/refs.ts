// What a remoteRef names in Key Vault. The path says which kind of object, in the shape of Key
// Vault's own URLs: `<name>` or `secrets/<name>` is a secret (for a certificate's name: its backing
// secret, the key pair as PEM or PKCS#12), `certificates/<name>` is a certificate's public part as
// PEM (its `cer`). Object names are 1-127 letters, digits and dashes, so the slash is unambiguous
// and nothing a user writes can reach another route of the vault.
import { InvalidRefError, type ErrorSubject } from '../errors.js';

export type ObjectKind = 'secret' | 'certificate';

export interface ObjectRef {
  kind: ObjectKind;
  name: string;
  /** A version id; undefined reads the latest version. */
  version?: string;
}

const OBJECT_NAME = /^[0-9A-Za-z-]{1,127}$/;
/** Key Vault's version ids are 32 hex digits; anything alphanumeric is accepted, nothing else is sent. */
const VERSION = /^[0-9A-Za-z]{1,64}$/;
const PREFIXES: Record<string, ObjectKind> = { secrets: 'secret', certificates: 'certificate' };

export function isObjectName(name: string): boolean {
  return OBJECT_NAME.test(name);
}

export function objectRefOf(path: string, version: string | undefined, subject: ErrorSubject): ObjectRef {
  const slash = path.indexOf('/');
  const kind = slash === -1 ? 'secret' : PREFIXES[path.slice(0, slash)];
  const name = slash === -1 ? path : path.slice(slash + 1);
  if (kind === undefined) {
    throw new InvalidRefError(
      subject,
      'a Key Vault path is <secret name>, secrets/<name> or certificates/<name>',
    );
  }
  if (!isObjectName(name)) {
    throw new InvalidRefError(subject, 'a Key Vault object name is 1-127 letters, digits and dashes');
  }
  if (version === undefined || version === '') return { kind, name };
  if (!VERSION.test(version)) {
    throw new InvalidRefError(subject, 'a Key Vault version is the 32-character id of a version');
  }
  return { kind, name, version };
}
