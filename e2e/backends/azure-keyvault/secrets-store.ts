// One vault's secrets in memory: every version, soft delete with a retention
// date, recover and purge. Names are case-insensitive and kept as first
// written, as Key Vault keeps them. A restart loses everything (tests re-seed).
import { randomBytes } from 'node:crypto';
import { KeyVaultError, deletedSecretNotFound, secretNotFound } from './errors.js';

export interface SecretAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  readonly created: number;
  updated: number;
}

export interface SecretVersion {
  readonly version: string;
  readonly value: string;
  contentType?: string;
  tags?: Record<string, string>;
  readonly attributes: SecretAttributes;
  /** For the secret that backs a certificate: the backing key's id (`kid`). */
  readonly keyId?: string;
}

export interface SecretEntry {
  readonly name: string;
  /** Oldest first; the last one is what "get latest" answers. */
  readonly versions: SecretVersion[];
  /** Set when a certificate owns this secret: the secrets API cannot change it. */
  readonly managedByCertificate: boolean;
  deleted?: { readonly deletedDate: number; readonly scheduledPurgeDate: number };
}

export interface SecretInput {
  readonly value: string;
  readonly contentType?: string;
  readonly tags?: Record<string, string>;
  readonly enabled?: boolean;
  readonly nbf?: number;
  readonly exp?: number;
}

export interface SecretPatch {
  readonly contentType?: string;
  readonly tags?: Record<string, string>;
  readonly enabled?: boolean;
  readonly nbf?: number;
  readonly exp?: number;
}

/** Secret names: 1-127 letters, digits and dashes (Key Vault's object-name rule). */
export const OBJECT_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export const newVersionId = (): string => randomBytes(16).toString('hex');

export class SecretStore {
  readonly #entries = new Map<string, SecretEntry>();

  constructor(
    private readonly retentionDays: number,
    private readonly now: () => number,
  ) {}

  set(name: string, input: SecretInput): SecretVersion {
    this.#refuseManaged(name);
    return this.#addVersion(name, input, false);
  }

  /** A certificate's backing secret changes only with its certificate (here: never through the secrets API). */
  #refuseManaged(name: string): void {
    const existing = this.#entries.get(name.toLowerCase());
    if (existing?.managedByCertificate && !existing.deleted)
      throw new KeyVaultError(
        409,
        'Conflict',
        `Secret ${existing.name} backs a certificate of the same name; change it through the certificates API.`,
      );
  }

  /** A new version of the secret that backs certificate `name` (written by certificate import). */
  setForCertificate(name: string, version: string, input: SecretInput, keyId: string): SecretVersion {
    return this.#addVersion(name, input, true, version, keyId);
  }

  #addVersion(
    name: string,
    input: SecretInput,
    managed: boolean,
    version = newVersionId(),
    keyId?: string,
  ): SecretVersion {
    const key = name.toLowerCase();
    let entry = this.#entries.get(key);
    if (entry?.deleted) throw deletedButRecoverable('Secret', entry.name);
    if (!entry) {
      entry = { name, versions: [], managedByCertificate: managed };
      this.#entries.set(key, entry);
    }
    const now = this.now();
    const created: SecretVersion = {
      version,
      value: input.value,
      ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      attributes: {
        enabled: input.enabled ?? true,
        ...(input.nbf !== undefined ? { nbf: input.nbf } : {}),
        ...(input.exp !== undefined ? { exp: input.exp } : {}),
        created: now,
        updated: now,
      },
      ...(keyId ? { keyId } : {}),
    };
    entry.versions.push(created);
    return created;
  }

  /** The entry and version (latest when `version` is empty); 404 for a deleted or unknown secret. */
  get(name: string, version = ''): { entry: SecretEntry; version: SecretVersion } {
    const entry = this.#live(name);
    if (!version) return { entry, version: entry.versions.at(-1)! };
    const found = entry.versions.find((v) => v.version === version.toLowerCase());
    if (!found) throw secretNotFound(`${name}/${version}`);
    return { entry, version: found };
  }

  list(): SecretEntry[] {
    return [...this.#entries.values()]
      .filter((e) => !e.deleted)
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  update(name: string, version: string, patch: SecretPatch): { entry: SecretEntry; version: SecretVersion } {
    const found = this.get(name, version);
    const v = found.version;
    if (patch.contentType !== undefined) v.contentType = patch.contentType;
    if (patch.tags !== undefined) v.tags = patch.tags;
    if (patch.enabled !== undefined) v.attributes.enabled = patch.enabled;
    if (patch.nbf !== undefined) v.attributes.nbf = patch.nbf;
    if (patch.exp !== undefined) v.attributes.exp = patch.exp;
    v.attributes.updated = this.now();
    return found;
  }

  delete(name: string): SecretEntry {
    this.#refuseManaged(name);
    const entry = this.#live(name);
    const now = this.now();
    entry.deleted = { deletedDate: now, scheduledPurgeDate: now + this.retentionDays * 86_400 };
    return entry;
  }

  getDeleted(name: string): SecretEntry {
    const entry = this.#entries.get(name.toLowerCase());
    if (!entry?.deleted) throw deletedSecretNotFound(name);
    return entry;
  }

  listDeleted(): SecretEntry[] {
    return [...this.#entries.values()]
      .filter((e) => e.deleted)
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  purge(name: string): void {
    this.getDeleted(name);
    this.#entries.delete(name.toLowerCase());
  }

  recover(name: string): SecretEntry {
    const entry = this.getDeleted(name);
    delete entry.deleted;
    return entry;
  }

  /** Certificate delete/recover/purge move the backing secret along with the certificate. */
  entry(name: string): SecretEntry | undefined {
    return this.#entries.get(name.toLowerCase());
  }

  #live(name: string): SecretEntry {
    const entry = this.#entries.get(name.toLowerCase());
    if (!entry || entry.deleted) throw secretNotFound(name);
    return entry;
  }
}

export const deletedButRecoverable = (kind: 'Secret' | 'Certificate', name: string): KeyVaultError =>
  new KeyVaultError(
    409,
    'Conflict',
    `${kind} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${kind.toLowerCase()} can only be recovered or purged.`,
    'ObjectIsDeletedButRecoverable',
  );
