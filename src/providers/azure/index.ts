// The Azure Key Vault provider (spec field `azure`): its descriptor, listed in src/providers/index.ts.
// spec.ts says which @azure/identity credential each auth method selects; create-client.ts builds it.
import type { AzureProvider } from '../../api/v1alpha1/types.generated.js';
import type { ProviderDescriptor } from '../descriptor.js';
import { resolveCredentialNamespace } from '../credentials.js';
import { ProviderNotAllowedError } from '../errors.js';
import type { ProviderFactory } from '../registry.js';
import { describeProvider } from '../types.js';
import { azureSpecSchema } from './schema.js';
import { azureCredentialRef, azureReferencesDefaultNamespace, parseAzureSpec } from './spec.js';

export { parseAzureSpec, type AzureSettings } from './spec.js';

/**
 * The `operation` label of each Azure call (api.ts, auth.ts): secret reads, certificate reads, the
 * listing pages of find and validate, setSecret, and Entra ID token requests.
 */
const OPERATIONS = ['get', 'getCertificate', 'find', 'validate', 'write', 'login'] as const;
export type AzureOperation = (typeof OPERATIONS)[number];

export interface AzureClientOptions {
  /** Retries of one Key Vault call by the SDK (429 after Retry-After, 5xx, network). Default 2. */
  maxRetries?: number;
  /** Largest number of secrets one find() returns. Default 1000. */
  maxFindResults?: number;
  /**
   * Let a namespaced SecretProvider use managedIdentity, i.e. the operator's own Azure identity. Off
   * by default: anyone who may create a SecretProvider in a namespace could otherwise read whatever
   * the operator's identity can. ClusterSecretProviders may always.
   */
  allowManagedIdentityForSecretProviders?: boolean;
}

export function azureProviderFactory(
  options: AzureClientOptions = {},
): ProviderFactory<'azure', AzureProvider> {
  return {
    type: 'azure',
    prepare(spec, provider) {
      const subject = { provider: describeProvider(provider) };
      const settings = parseAzureSpec(spec, subject);
      // Not in the schema: it depends on the kind of the object and on how the operator was started.
      if (
        provider.kind === 'SecretProvider' &&
        settings.auth.method === 'managedIdentity' &&
        !options.allowManagedIdentityForSecretProviders
      ) {
        throw new ProviderNotAllowedError(
          subject,
          "spec.azure.auth.managedIdentity is the operator's own Azure identity: only a ClusterSecretProvider may use it",
        );
      }
      // The namespace rule, now rather than at the first token request: the client is lazy, and a
      // read it refused for its path (a Key Vault name) would hide that the provider may not be used.
      const ref = azureCredentialRef(settings);
      if (provider.kind === 'SecretProvider' && ref !== undefined) {
        resolveCredentialNamespace({
          providerKind: provider.kind,
          providerNamespace: provider.namespace,
          refNamespace: ref.namespace,
          provider: subject.provider,
          what: ref.what,
        });
      }
      return {
        referencesDefaultNamespace: azureReferencesDefaultNamespace(settings),
        // No network call happens until the first use (the token is obtained lazily).
        create: async (context) =>
          (await import('./create-client.js')).createAzureClient(settings, context, options),
      };
    },
  };
}

export const azure: ProviderDescriptor<'azure', AzureProvider, AzureOperation> = {
  type: 'azure',
  displayName: 'Azure Key Vault',
  schema: azureSpecSchema,
  operations: OPERATIONS,
  factory: azureProviderFactory,
};
