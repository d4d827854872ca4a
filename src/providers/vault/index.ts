// The Vault / OpenBao provider (spec field `vault`): its descriptor, listed in src/providers/index.ts.
// Both servers speak the same HTTP API; nothing here is specific to one of them.
import type { VaultProvider } from '../../api/v1alpha1/types.generated.js';
import type { ProviderDescriptor } from '../descriptor.js';
import type { ProviderFactory } from '../registry.js';
import { describeProvider } from '../types.js';
import type { VaultClientOptions } from './create-client.js';
import { VAULT_OPERATIONS, type VaultOperation } from './operations.js';
import { vaultSchema } from './schema.js';
import { parseVaultSpec, vaultReferencesDefaultNamespace } from './spec.js';

export type { VaultClientOptions, VaultOperation };
export { parseVaultSpec, type VaultSettings } from './spec.js';

export function vaultProviderFactory(
  options: VaultClientOptions = {},
): ProviderFactory<'vault', VaultProvider> {
  return {
    type: 'vault',
    prepare(spec, provider) {
      const settings = parseVaultSpec(spec, { provider: describeProvider(provider) });
      return {
        referencesDefaultNamespace: vaultReferencesDefaultNamespace(settings),
        // No network call happens until the first use (login is lazy).
        create: async (context) =>
          (await import('./create-client.js')).createVaultClient(settings, context, options),
      };
    },
  };
}

export const vault: ProviderDescriptor<'vault', VaultProvider, VaultOperation> = {
  ...vaultSchema,
  operations: VAULT_OPERATIONS,
  factory: vaultProviderFactory,
};
