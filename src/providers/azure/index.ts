// The Azure Key Vault provider (spec field `azure`): its descriptor, listed in src/providers/index.ts.
// spec.ts says which @azure/identity credential each auth method selects; create-client.ts builds it.
import type { AzureProvider } from '../../api/v1alpha1/types.generated.js';
import type { ProviderDescriptor } from '../descriptor.js';
import { resolveCredentialNamespace } from '../credentials.js';
import { ProviderNotAllowedError } from '../errors.js';
import type { ProviderFactory } from '../registry.js';
import { describeProvider } from '../types.js';
import type { AzureClientOptions } from './create-client.js';
import { AZURE_OPERATIONS, type AzureOperation } from './operations.js';
import { azureOperatorIdentity, azureSchema } from './schema.js';
import { azureCredentialRef, azureReferencesDefaultNamespace, parseAzureSpec } from './spec.js';

export type { AzureClientOptions, AzureOperation };
export { parseAzureSpec, type AzureSettings } from './spec.js';

export function azureProviderFactory(
  options: AzureClientOptions = {},
): ProviderFactory<'azure', AzureProvider> {
  return {
    type: 'azure',
    prepare(spec, provider) {
      const subject = { provider: describeProvider(provider) };
      const settings = parseAzureSpec(spec, subject);
      // Not in the CRD, which cannot see the kind: the admission policy refuses it too (schema.ts).
      if (provider.kind === 'SecretProvider' && settings.auth.method === 'managedIdentity') {
        throw new ProviderNotAllowedError(subject, azureOperatorIdentity.message);
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
  ...azureSchema,
  operations: AZURE_OPERATIONS,
  factory: azureProviderFactory,
};
