// The `operation` labels of secretsource_provider_calls_total for azure: a leaf that the descriptor
// (index.ts) and the modules making the calls both import, so neither imports the other.
/**
 * The `operation` label of each Azure call (api.ts, auth.ts): secret reads, certificate reads, the
 * listing pages of find and validate, setSecret, and Entra ID token requests.
 */
export const AZURE_OPERATIONS = ['get', 'getCertificate', 'find', 'validate', 'write', 'login'] as const;
export type AzureOperation = (typeof AZURE_OPERATIONS)[number];
