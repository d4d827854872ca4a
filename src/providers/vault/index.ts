// The Vault / OpenBao provider (spec field `vault`): its descriptor, listed in src/providers/index.ts.
// Both servers speak the same HTTP API; nothing here is specific to one of them.
import type { VaultProvider } from '../../api/v1alpha1/types.generated.js';
import type { ProviderDescriptor } from '../descriptor.js';
import type { ProviderFactory } from '../registry.js';
import { describeProvider } from '../types.js';
import { vaultSpecSchema } from './schema.js';
import { parseVaultSpec, vaultReferencesDefaultNamespace } from './spec.js';

export { parseVaultSpec, type VaultSettings } from './spec.js';

/**
 * The `operation` label of each Vault call (api.ts): KV reads and writes, logins, lookup-self,
 * renew-self, and dynamic secrets: issuing credentials, renewing and revoking their leases.
 */
const OPERATIONS = [
  'read',
  'write',
  'login',
  'lookup',
  'renew',
  'issue',
  'renew_lease',
  'revoke_lease',
] as const;
export type VaultOperation = (typeof OPERATIONS)[number];

export interface VaultClientOptions {
  /** Per-request socket inactivity limit. Default 30 s. */
  requestTimeoutMs?: number;
  /** Fraction of a token's TTL after which it is renewed or replaced. Default 2/3. */
  refreshFraction?: number;
}

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
  type: 'vault',
  displayName: 'Vault/OpenBao',
  schema: vaultSpecSchema,
  operations: OPERATIONS,
  factory: vaultProviderFactory,
};
