// The providers the v1alpha1 API has, one line each: every entry is a provider folder's schema.ts,
// a leaf that imports only schema-builders.ts, so the CRDs, the generated types and the admission
// policy are built from them without loading any client, SDK or auth code (ADR 0017). The
// descriptors that add factories and metric operations (src/providers/index.ts) must name the same
// types: the compiler checks it there.
import { awsSchema } from '../../providers/aws/schema.js';
import { azureSchema } from '../../providers/azure/schema.js';
import { vaultSchema } from '../../providers/vault/schema.js';

export const PROVIDER_SCHEMAS = [vaultSchema, awsSchema, azureSchema] as const;

/** A spec field that names a backend: `vault`, `aws`, `azure`. */
export type ProviderType = (typeof PROVIDER_SCHEMAS)[number]['type'];

/** The spec fields that name a backend, in the order of the list; exactly one is set on a provider. */
export const PROVIDER_TYPES: readonly ProviderType[] = PROVIDER_SCHEMAS.map((provider) => provider.type);
