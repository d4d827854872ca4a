// A vault: its name, tenant, base URL and objects, and how its objects look on
// the wire (bundle and item JSON as the Key Vault REST API shapes them).
import { CertificateStore, type CertificateEntry, type CertificateVersion } from './certificates.js';
import { SecretStore, type SecretEntry, type SecretVersion } from './secrets-store.js';

export class Vault {
  readonly secrets: SecretStore;
  readonly certificates: CertificateStore;

  constructor(
    readonly name: string,
    readonly tenantId: string,
    /** `https://<name>.vault.<domain>:<port>`: the prefix of every id this vault hands out. */
    readonly baseUrl: string,
    private readonly retentionDays: number,
    now: () => number,
  ) {
    this.secrets = new SecretStore(retentionDays, now);
    this.certificates = new CertificateStore(this.secrets, `${baseUrl}/keys`, now);
  }

  get recoveryLevel(): string {
    return this.retentionDays === 90 ? 'Recoverable+Purgeable' : 'CustomizedRecoverable+Purgeable';
  }

  #attributes(a: SecretVersion['attributes'] | CertificateVersion['attributes']): Record<string, unknown> {
    return {
      enabled: a.enabled,
      ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
      ...(a.exp !== undefined ? { exp: a.exp } : {}),
      created: a.created,
      updated: a.updated,
      recoveryLevel: this.recoveryLevel,
      recoverableDays: this.retentionDays,
    };
  }

  secretBundle(entry: SecretEntry, version: SecretVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: version.value } : {}),
      id: `${this.baseUrl}/secrets/${entry.name}/${version.version}`,
      ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
      attributes: this.#attributes(version.attributes),
      tags: version.tags ?? {},
      ...(version.keyId ? { kid: version.keyId, managed: true } : {}),
    };
  }

  /** A list item: never a value. `versioned` = an item of "list versions" (its id names the version). */
  secretItem(entry: SecretEntry, version: SecretVersion, versioned: boolean): Record<string, unknown> {
    return {
      id: `${this.baseUrl}/secrets/${entry.name}${versioned ? `/${version.version}` : ''}`,
      ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
      attributes: this.#attributes(version.attributes),
      tags: version.tags ?? {},
      ...(version.keyId ? { managed: true } : {}),
    };
  }

  #deletedFields(entry: SecretEntry): Record<string, unknown> {
    return {
      recoveryId: `${this.baseUrl}/deletedsecrets/${entry.name}`,
      deletedDate: entry.deleted?.deletedDate,
      scheduledPurgeDate: entry.deleted?.scheduledPurgeDate,
    };
  }

  deletedSecretBundle(entry: SecretEntry): Record<string, unknown> {
    return { ...this.#deletedFields(entry), ...this.secretBundle(entry, entry.versions.at(-1)!, false) };
  }

  deletedSecretItem(entry: SecretEntry): Record<string, unknown> {
    return { ...this.#deletedFields(entry), ...this.secretItem(entry, entry.versions.at(-1)!, false) };
  }

  certificatePolicy(entry: CertificateEntry, version: CertificateVersion): Record<string, unknown> {
    return {
      id: `${this.baseUrl}/certificates/${entry.name}/policy`,
      key_props: {
        exportable: true,
        kty: version.keyType,
        ...(version.keySize ? { key_size: version.keySize } : {}),
        ...(version.curve ? { crv: version.curve } : {}),
        reuse_key: false,
      },
      secret_props: { contentType: version.contentType },
      x509_props: {
        subject: version.subject,
        ...(version.dnsNames.length ? { sans: { dns_names: version.dnsNames } } : {}),
        validity_months: version.validityMonths,
      },
      lifetime_actions: [{ trigger: { lifetime_percentage: 80 }, action: { action_type: 'EmailContacts' } }],
      issuer: { name: 'Unknown' },
      attributes: { enabled: true, created: entry.policyCreated, updated: entry.policyCreated },
    };
  }

  certificateBundle(entry: CertificateEntry, version: CertificateVersion): Record<string, unknown> {
    return {
      id: `${this.baseUrl}/certificates/${entry.name}/${version.version}`,
      kid: `${this.baseUrl}/keys/${entry.name}/${version.version}`,
      sid: `${this.baseUrl}/secrets/${entry.name}/${version.version}`,
      x5t: version.x5t,
      cer: version.der.toString('base64'),
      attributes: this.#attributes(version.attributes),
      tags: version.tags ?? {},
      policy: this.certificatePolicy(entry, version),
    };
  }

  certificateItem(
    entry: CertificateEntry,
    version: CertificateVersion,
    versioned: boolean,
  ): Record<string, unknown> {
    return {
      id: `${this.baseUrl}/certificates/${entry.name}${versioned ? `/${version.version}` : ''}`,
      x5t: version.x5t,
      attributes: this.#attributes(version.attributes),
      tags: version.tags ?? {},
    };
  }
}
