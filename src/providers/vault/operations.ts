// The `operation` labels of secretsource_provider_calls_total for vault: a leaf that the descriptor
// (index.ts) and the modules making the calls both import, so neither imports the other.
/**
 * The `operation` label of each Vault call (api.ts): KV reads and writes, logins, lookup-self,
 * renew-self, and dynamic secrets: issuing credentials, renewing and revoking their leases.
 */
export const VAULT_OPERATIONS = [
  'read',
  'write',
  'login',
  'lookup',
  'renew',
  'issue',
  'renew_lease',
  'revoke_lease',
] as const;
export type VaultOperation = (typeof VAULT_OPERATIONS)[number];
