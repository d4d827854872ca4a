// The public face of the v1alpha1 API: constants, types, parsing at the edge and defaults.
export * from './names.js';
export {
  CREATION_POLICIES,
  DECODINGS,
  DELETION_POLICIES,
  DUPLICATE_KEYS_POLICIES,
  FORBIDDEN_SECRET_TYPES,
  MAX_LAST_FORCE_SYNC_LENGTH,
  PROVIDER_KINDS,
  REFRESH_POLICIES,
  RESTART_KINDS,
} from './schema.js';
export { CATEGORY, buildCrd, buildCrds, type CustomResourceDefinition } from './crd.js';
export {
  InvalidSpecError,
  parseClusterSecretProvider,
  parseSecretProvider,
  parseSecretSource,
} from './parse.js';
export {
  DEFAULT_DUPLICATE_KEYS,
  DEFAULT_LEASE_RENEW_FRACTION,
  DEFAULT_REFRESH_INTERVAL,
  DEFAULT_SECRET_TYPE,
  resolveSecretSourceSpec,
  type DeepReadonly,
  type DuplicateKeysPolicy,
  type ResolvedDataFrom,
  type ResolvedDataItem,
  type ResolvedDynamic,
  type ResolvedLease,
  type ResolvedRefresh,
  type ResolvedSecretSourceSpec,
  type ResolvedTarget,
} from './defaults.js';
export type * from './types.generated.js';
