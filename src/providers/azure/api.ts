// The Key Vault calls the provider makes, on @azure/keyvault-secrets (and @azure/keyvault-certificates
// for a certificate's public part): each call counted for metrics, given the caller's AbortSignal,
// and every failure turned into a typed error naming only the object. The SDK clients are reached
// through the narrow interfaces below, so unit tests fake them and this module loads no SDK.
import { failedCallStatus, ProviderError, type ErrorSubject } from '../errors.js';
import type { OnProviderCall } from '../types.js';
import { azureError } from './error-map.js';
import type { AzureOperation } from './operations.js';

/** One secret version as Key Vault returned it. */
export interface SecretBundle {
  name: string;
  version?: string;
  value?: string;
  contentType?: string;
  enabled?: boolean;
  notBefore?: Date;
  expiresOn?: Date;
}

/** A listed secret: never its value. */
export interface SecretItem {
  name: string;
  enabled?: boolean;
  notBefore?: Date;
  expiresOn?: Date;
  tags: Readonly<Record<string, string>>;
}

/** A certificate version's public part. */
export interface CertificateBundle {
  name: string;
  version?: string;
  /** DER of the leaf certificate. */
  cer?: Uint8Array;
  enabled?: boolean;
  notBefore?: Date;
  expiresOn?: Date;
}

/** What the provider client needs from Key Vault (faked in unit tests). */
export interface KeyVaultApi {
  /** Provider description for error messages. */
  readonly provider: string;
  getSecret(name: string, version: string | undefined, signal: AbortSignal): Promise<SecretBundle>;
  getCertificate(name: string, version: string | undefined, signal: AbortSignal): Promise<CertificateBundle>;
  /** The vault's secrets, one page (one call) at a time. */
  listSecrets(
    operation: 'find' | 'validate',
    pageSize: number,
    signal: AbortSignal,
  ): AsyncIterable<SecretItem[]>;
  setSecret(name: string, value: string, signal: AbortSignal): Promise<void>;
  close(): void;
}

// The parts of the SDK clients we use (SecretClient, CertificateClient), structurally.
interface SdkSecretProperties {
  name: string;
  version?: string | undefined;
  contentType?: string | undefined;
  enabled?: boolean | undefined;
  notBefore?: Date | undefined;
  expiresOn?: Date | undefined;
  tags?: Record<string, string> | undefined;
}

export interface SdkSecretClient {
  getSecret(
    name: string,
    options: { version?: string; abortSignal: AbortSignal },
  ): Promise<{ name: string; value?: string | undefined; properties: SdkSecretProperties }>;
  setSecret(name: string, value: string, options: { abortSignal: AbortSignal }): Promise<unknown>;
  listPropertiesOfSecrets(options: { abortSignal: AbortSignal }): {
    byPage(settings: { maxPageSize: number }): AsyncIterableIterator<SdkSecretProperties[]>;
  };
}

export interface SdkCertificateClient {
  getCertificate(
    name: string,
    options: { abortSignal: AbortSignal },
  ): Promise<{ name: string; cer?: Uint8Array | undefined; properties: SdkCertificateProperties }>;
  getCertificateVersion(
    name: string,
    version: string,
    options: { abortSignal: AbortSignal },
  ): Promise<{ name: string; cer?: Uint8Array | undefined; properties: SdkCertificateProperties }>;
}

interface SdkCertificateProperties {
  version?: string | undefined;
  enabled?: boolean | undefined;
  notBefore?: Date | undefined;
  expiresOn?: Date | undefined;
}

export interface SdkKeyVaultApiOptions {
  provider: string;
  onCall: OnProviderCall<AzureOperation>;
  /** Built on the first certificates/ read, so a provider that reads none never loads that SDK. */
  certificates: () => Promise<SdkCertificateClient>;
  now: () => number;
  onClose?: () => void;
}

export class SdkKeyVaultApi implements KeyVaultApi {
  readonly #secrets: SdkSecretClient;
  readonly #options: SdkKeyVaultApiOptions;
  #certificates: Promise<SdkCertificateClient> | undefined;

  constructor(secrets: SdkSecretClient, options: SdkKeyVaultApiOptions) {
    this.#secrets = secrets;
    this.#options = options;
  }

  get provider(): string {
    return this.#options.provider;
  }

  async getSecret(name: string, version: string | undefined, signal: AbortSignal): Promise<SecretBundle> {
    const path = version === undefined ? name : `${name}/${version}`;
    const secret = await this.#send('get', signal, path, () =>
      this.#secrets.getSecret(
        name,
        version === undefined ? { abortSignal: signal } : { version, abortSignal: signal },
      ),
    );
    const bundle: SecretBundle = { name: secret.name, ...validityOf(secret.properties) };
    if (secret.value !== undefined) bundle.value = secret.value;
    if (secret.properties.version !== undefined) bundle.version = secret.properties.version;
    if (secret.properties.contentType !== undefined) bundle.contentType = secret.properties.contentType;
    return bundle;
  }

  async getCertificate(
    name: string,
    version: string | undefined,
    signal: AbortSignal,
  ): Promise<CertificateBundle> {
    const path = `certificates/${version === undefined ? name : `${name}/${version}`}`;
    const certificate = await this.#send('getCertificate', signal, path, async () => {
      this.#certificates ??= this.#options.certificates();
      const client = await this.#certificates;
      return version === undefined
        ? client.getCertificate(name, { abortSignal: signal })
        : client.getCertificateVersion(name, version, { abortSignal: signal });
    });
    const bundle: CertificateBundle = { name: certificate.name, ...validityOf(certificate.properties) };
    if (certificate.cer !== undefined) bundle.cer = certificate.cer;
    if (certificate.properties.version !== undefined) bundle.version = certificate.properties.version;
    return bundle;
  }

  async *listSecrets(
    operation: 'find' | 'validate',
    pageSize: number,
    signal: AbortSignal,
  ): AsyncIterable<SecretItem[]> {
    const pages = this.#secrets
      .listPropertiesOfSecrets({ abortSignal: signal })
      .byPage({ maxPageSize: pageSize });
    for (;;) {
      const page = await this.#send(operation, signal, undefined, () => pages.next());
      if (page.done === true) return;
      yield page.value.map((item) => {
        return { name: item.name, tags: { ...item.tags }, ...validityOf(item) };
      });
    }
  }

  async setSecret(name: string, value: string, signal: AbortSignal): Promise<void> {
    await this.#send('write', signal, name, () =>
      this.#secrets.setSecret(name, value, { abortSignal: signal }),
    );
  }

  close(): void {
    this.#options.onClose?.();
  }

  async #send<T>(
    operation: AzureOperation,
    signal: AbortSignal,
    path: string | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const subject: ErrorSubject =
      path === undefined ? { provider: this.provider } : { provider: this.provider, path };
    try {
      const output = await call();
      this.#options.onCall('azure', operation, 'success');
      return output;
    } catch (error) {
      const typed = azureError(error, subject, signal, this.#options.now);
      // A ProviderError here came from our own token credential: no Key Vault request was answered.
      if (!(error instanceof ProviderError))
        this.#options.onCall('azure', operation, failedCallStatus(typed, signal));
      throw typed;
    }
  }
}

function validityOf(
  properties: SdkCertificateProperties,
): Pick<SecretBundle, 'enabled' | 'notBefore' | 'expiresOn'> {
  const validity: Pick<SecretBundle, 'enabled' | 'notBefore' | 'expiresOn'> = {};
  if (properties.enabled !== undefined) validity.enabled = properties.enabled;
  if (properties.notBefore !== undefined) validity.notBefore = properties.notBefore;
  if (properties.expiresOn !== undefined) validity.expiresOn = properties.expiresOn;
  return validity;
}
