// Builds an Azure Key Vault client. Loaded by the factory in index.ts on the first create(), so the
// descriptor loads no Azure SDK; @azure/keyvault-certificates loads on the
// first certificates/ read.
//
// Every SDK safety check stays on: challenge-resource verification (the vault's host must end with
// the challenge resource's host), TLS verification (caBundle replaces the trust store, it never
// turns it off), and the credential only ever asks its own tenant (auth.ts).
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
} from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { ProviderContext } from '../registry.js';
import { describeProvider, type ProviderClient } from '../types.js';
import { SdkKeyVaultApi, type SdkCertificateClient } from './api.js';
import { EntraAuth, type IdentitySdk } from './auth.js';
import { AzureProviderClient } from './client.js';
import type { AzureSettings } from './spec.js';

/** @azure/identity's credentials, selected by spec.azure.auth (spec.ts). */
const identitySdk: IdentitySdk = {
  clientSecret: (tenantId, clientId, secret, options) =>
    new ClientSecretCredential(tenantId, clientId, secret, options),
  clientCertificate: (tenantId, clientId, pem, options) =>
    new ClientCertificateCredential(tenantId, clientId, { certificate: pem }, options),
  clientAssertion: (tenantId, clientId, assertion, options) =>
    new ClientAssertionCredential(tenantId, clientId, assertion, options),
  managedIdentity: (clientId) =>
    clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId }),
};

/** Builds a client; no network call happens until the first use. */
export interface AzureClientOptions {
  /** Retries of one Key Vault call by the SDK (429 after Retry-After, 5xx, network). Default 2. */
  maxRetries?: number;
  /** Largest number of secrets one find() returns. Default 1000. */
  maxFindResults?: number;
}

export function createAzureClient(
  settings: AzureSettings,
  context: ProviderContext,
  options: AzureClientOptions = {},
): ProviderClient {
  const provider = describeProvider(context.provider);
  const auth = new EntraAuth({
    settings,
    credentials: context.credentials,
    sdk: identitySdk,
    clock: context.clock,
    logger: context.logger,
    onCall: context.onCall,
    provider,
  });
  const sdkOptions = {
    retryOptions: { maxRetries: options.maxRetries ?? 2 },
    ...(settings.caBundle === undefined ? {} : { tlsOptions: { ca: settings.caBundle } }),
  };
  const certificates = async (): Promise<SdkCertificateClient> => {
    const { CertificateClient } = await import('@azure/keyvault-certificates');
    return new CertificateClient(settings.vaultUrl, auth, sdkOptions);
  };
  const api = new SdkKeyVaultApi(new SecretClient(settings.vaultUrl, auth, sdkOptions), {
    provider,
    onCall: context.onCall,
    certificates,
    now: () => context.clock.now(),
    onClose: () => auth.close(),
  });
  context.logger.debug(
    { provider, auth: auth.description, vaultUrl: settings.vaultUrl },
    'Azure client built',
  );
  return new AzureProviderClient(api, {
    clock: context.clock,
    versionValidity: settings.versionValidity,
    ...(options.maxFindResults === undefined ? {} : { maxFindResults: options.maxFindResults }),
    onClose: () => api.close(),
  });
}
