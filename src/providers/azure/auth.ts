// Entra ID tokens for a Key Vault client. The spec's auth method picks the @azure/identity
// credential (spec.ts lists which); this module wraps it in the one refreshing-credential
// mechanism (../refreshing-credential.ts), so a token is obtained once and replaced at 2/3 of its
// lifetime (at least 5 minutes before it expires), not per reconcile and not per request:
//   servicePrincipal.secretRef       the client secret is read from its Secret on the first token
//   servicePrincipal.certificateRef  the PEM certificate and key, likewise
//   workloadIdentity                 every token fetch requests a fresh ServiceAccount token
//                                    (TokenRequest, audience api://AzureADTokenExchange by default)
//                                    and presents it as the client assertion
//   managedIdentity                  the machine's identity endpoint (IMDS, App Service, ...)
// The client cache rebuilds the client when a credential Secret changes or the vault answers 401.
//
// Tenants: Key Vault's challenge names the vault's tenant and the SDK passes it to getToken. It is
// not forwarded: the credential asks its own tenant (spec.azure.tenantId) and nothing else, so
// `additionallyAllowedTenants` is never needed. A vault whose challenge names another tenant's GUID
// is refused here with a message naming both, instead of a token of that tenant being requested.
import { SERVICE_ACCOUNT_TOKEN_SECONDS, type ScopedCredentials } from '../credentials.js';
import {
  CredentialsUnavailableError,
  failedCallStatus,
  UnauthorizedError,
  UnavailableError,
  type ErrorSubject,
} from '../errors.js';
import { RefreshingCredential } from '../refreshing-credential.js';
import type { OnProviderCall, ProviderClock, ProviderLogger } from '../types.js';
import type { AzureOperation } from './operations.js';
import { azureError } from './error-map.js';
import type { AzureAuthSettings, AzureSettings } from './spec.js';

/** An Entra access token, as @azure/core-auth's AccessToken. */
export interface EntraToken {
  token: string;
  expiresOnTimestamp: number;
}

/** The part of @azure/core-auth's TokenCredential the SDK calls. */
export interface TokenSource {
  getToken(
    scopes: string | string[],
    options?: { abortSignal?: AbortSignal; tenantId?: string },
  ): Promise<EntraToken | null>;
}

/** Options every @azure/identity credential gets (tlsOptions carries spec.azure.caBundle). */
export interface IdentityOptions {
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  tlsOptions?: { ca: string };
}

/** The @azure/identity constructors, injected so unit tests fake them and this module loads no SDK. */
export interface IdentitySdk {
  clientSecret(tenantId: string, clientId: string, secret: string, options: IdentityOptions): TokenSource;
  clientCertificate(tenantId: string, clientId: string, pem: string, options: IdentityOptions): TokenSource;
  clientAssertion(
    tenantId: string,
    clientId: string,
    assertion: () => Promise<string>,
    options: IdentityOptions,
  ): TokenSource;
  managedIdentity(clientId: string | undefined): TokenSource;
}

const REFRESH = { minMarginMs: 5 * 60_000, expirySkewMs: 30_000, minRetryMs: 5_000 } as const;

export interface EntraAuthOptions {
  settings: AzureSettings;
  credentials: ScopedCredentials;
  sdk: IdentitySdk;
  clock: ProviderClock;
  logger: ProviderLogger;
  onCall: OnProviderCall<AzureOperation>;
  /** Provider description for messages and logs. */
  provider: string;
}

/** A TokenCredential for the Key Vault SDK clients; one refreshing token per scope. */
export class EntraAuth implements TokenSource {
  readonly #options: EntraAuthOptions;
  readonly #tokens = new Map<string, RefreshingCredential<EntraToken>>();
  readonly #closed = new AbortController();
  #source: Promise<TokenSource> | undefined;

  constructor(options: EntraAuthOptions) {
    this.#options = options;
  }

  /** How tokens are obtained, for logs. */
  get description(): string {
    return this.#options.settings.auth.method;
  }

  async getToken(
    scopes: string | string[],
    options: { abortSignal?: AbortSignal; tenantId?: string } = {},
  ): Promise<EntraToken> {
    const scope = [scopes].flat().join(' ');
    const tenant = this.#options.settings.tenantId;
    if (options.tenantId !== undefined && tenant !== undefined && !sameTenant(options.tenantId, tenant)) {
      throw new UnauthorizedError(
        this.#subject(),
        `the vault belongs to tenant ${safeId(options.tenantId)}, not to spec.azure.tenantId ${tenant}`,
      );
    }
    let token = this.#tokens.get(scope);
    if (!token) {
      token = this.#session(scope);
      this.#tokens.set(scope, token);
    }
    return token.get(options.abortSignal);
  }

  close(): void {
    if (!this.#closed.signal.aborted) this.#closed.abort(this.#closedError());
    for (const token of this.#tokens.values()) token.close();
    this.#tokens.clear();
  }

  #session(scope: string): RefreshingCredential<EntraToken> {
    const { clock, logger, provider } = this.#options;
    return new RefreshingCredential<EntraToken>({
      ...REFRESH,
      fetch: async (_current, signal) => {
        const token = await this.#fetch(scope, signal);
        logger.debug(
          { provider, auth: this.description, expiresAt: new Date(token.expiresOnTimestamp).toISOString() },
          'Entra ID token obtained',
        );
        return { value: token, expiresAt: token.expiresOnTimestamp };
      },
      clock,
      logger,
      name: 'Entra ID token',
      logFields: { provider, auth: this.description },
      closedReason: () => this.#closedError(),
    });
  }

  async #fetch(scope: string, signal: AbortSignal): Promise<EntraToken> {
    const source = await this.#sourceOnce(signal);
    let token: EntraToken | null;
    try {
      token = await source.getToken(scope, { abortSignal: signal });
    } catch (error) {
      const typed = azureError(error, this.#subject(), signal);
      this.#options.onCall('azure', 'login', failedCallStatus(typed, signal));
      throw typed;
    }
    this.#options.onCall('azure', 'login', 'success');
    if (!token) throw new UnavailableError(this.#subject(), 'Entra ID returned no token');
    return token;
  }

  /** The credential, built on the first token fetch; a failed build is tried again on the next. */
  #sourceOnce(signal: AbortSignal): Promise<TokenSource> {
    if (!this.#source) {
      this.#source = this.#build(this.#options.settings.auth, signal);
      this.#source.catch(() => (this.#source = undefined));
    }
    return this.#source;
  }

  async #build(auth: AzureAuthSettings, signal: AbortSignal): Promise<TokenSource> {
    const { sdk, settings, credentials } = this.#options;
    const identity: IdentityOptions = {
      authorityHost: settings.authorityHost,
      disableInstanceDiscovery: settings.disableInstanceDiscovery,
      ...(settings.caBundle === undefined ? {} : { tlsOptions: { ca: settings.caBundle } }),
    };
    // The schema requires tenantId for every method but managedIdentity.
    const tenant = (): string => settings.tenantId ?? '';
    switch (auth.method) {
      case 'clientSecret': {
        const secret = await this.#readKey(auth.secretRef, 'client secret', signal);
        return sdk.clientSecret(tenant(), auth.clientId, secret, identity);
      }
      case 'clientCertificate': {
        const pem = await this.#readKey(auth.certificateRef, 'client certificate', signal);
        if (
          !/-----BEGIN CERTIFICATE-----/.test(pem) ||
          !/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(pem)
        ) {
          throw new CredentialsUnavailableError(
            { provider: this.#options.provider, path: `Secret ${auth.certificateRef.name}` },
            `key "${auth.certificateRef.key}" must hold a PEM certificate and its unencrypted private key`,
          );
        }
        return sdk.clientCertificate(tenant(), auth.clientId, pem, identity);
      }
      case 'workloadIdentity':
        return sdk.clientAssertion(
          tenant(),
          auth.clientId,
          async () => {
            const { token } = await credentials.serviceAccountToken(
              auth.serviceAccountRef,
              auth.audiences,
              SERVICE_ACCOUNT_TOKEN_SECONDS,
              this.#closed.signal,
            );
            return token;
          },
          identity,
        );
      case 'managedIdentity':
        return sdk.managedIdentity(auth.clientId);
    }
  }

  async #readKey(
    ref: { name: string; key: string; namespace?: string },
    what: string,
    signal: AbortSignal,
  ): Promise<string> {
    const { value } = await this.#options.credentials.secretKey(ref, signal);
    const text = value.toString('utf8').trim();
    if (text === '') {
      throw new CredentialsUnavailableError(
        { provider: this.#options.provider, path: `Secret ${ref.name}` },
        `key "${ref.key}" of the ${what} Secret is empty`,
      );
    }
    return text;
  }

  #subject(): ErrorSubject {
    return { provider: this.#options.provider };
  }

  #closedError(): Error {
    return new UnavailableError(this.#subject(), 'the Azure client was closed; retry');
  }
}

const GUID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/** A tenant may be named by its GUID or a domain; only two different GUIDs are surely different tenants. */
function sameTenant(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase() || !GUID.test(a) || !GUID.test(b);
}

/** A tenant id from a challenge, for a message: a GUID or a domain name, nothing else. */
function safeId(value: string): string {
  return /^[A-Za-z0-9.-]{1,253}$/.test(value) ? value : '(unreadable)';
}
