// The well-known names of the v1alpha1 API and of what the operator writes: the group and version,
// the kinds and their plurals, the labels and annotations on Secrets, workloads and SecretSources,
// the finalizer, and the field managers. One declaration each, imported wherever the name is used
// (src/, e2e/support, bench/), so a name cannot drift between the writer and a reader. The values
// are part of the v1alpha1 contract: a Secret, a status or a managedFields entry written by any
// earlier version carries them, so changing one needs an ADR. This module imports nothing.

export const GROUP = 'secretsource.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** The prefix of every label, annotation, finalizer and field manager the operator owns. */
const PREFIX = `${GROUP}/`;

export type Kind = 'SecretSource' | 'SecretProvider' | 'ClusterSecretProvider';
export const KIND_SECRET_SOURCE = 'SecretSource';
export const KIND_SECRET_PROVIDER = 'SecretProvider';
export const KIND_CLUSTER_SECRET_PROVIDER = 'ClusterSecretProvider';
export const ALL_KINDS: readonly Kind[] = [
  KIND_SECRET_SOURCE,
  KIND_SECRET_PROVIDER,
  KIND_CLUSTER_SECRET_PROVIDER,
];

export const PLURALS: Readonly<Record<Kind, string>> = {
  SecretSource: 'secretsources',
  SecretProvider: 'secretproviders',
  ClusterSecretProvider: 'clustersecretproviders',
};

/** On a Secret the operator writes: the label its informer selects managed Secrets by. */
export const MANAGED_LABEL = `${PREFIX}managed`;
/** On a Secret: the SecretSource (by name, same namespace) that owns it as a whole. */
export const SOURCE_ANNOTATION = `${PREFIX}source`;
/**
 * On a Secret: the keyed fingerprint of its content (as status.syncedHash records it); on a
 * restart target's pod template: the fingerprint of the content it was rolled for. The name says
 * "hash" for the v1alpha1 contract; what it holds is a fingerprint (docs/adr/0019).
 */
export const FINGERPRINT_ANNOTATION = `${PREFIX}content-hash`;
/** On a Secret: when its SecretSource last rotated its spec.generate values (RFC 3339). */
export const ROTATED_AT_ANNOTATION = `${PREFIX}rotated-at`;
/** On a SecretSource: any new value syncs it now. */
export const FORCE_SYNC_ANNOTATION = `${PREFIX}force-sync`;
/** On a SecretSource whose deletion must release or delete its Secret first. */
export const FINALIZER = `${PREFIX}finalizer`;

/**
 * The field manager of the operator's writes to its own objects (finalizers, status) and, before
 * each SecretSource had its own, of every Secret apply (docs/adr/0010).
 */
export const OPERATOR_FIELD_MANAGER = 'secretsource-operator';
/** The manager every Secret apply used before each SecretSource had its own (docs/adr/0010). */
export const LEGACY_SECRET_FIELD_MANAGER = OPERATOR_FIELD_MANAGER;
/** A SecretSource applies its Secret as `secretsource.dev/<its name>` (src/secrets/field-manager.ts). */
export const SECRET_FIELD_MANAGER_PREFIX = PREFIX;
/** reportingController of the Events the operator records. */
export const REPORTING_CONTROLLER = `${PREFIX}operator`;
/** The operator's name: app.kubernetes.io/name of what it creates, its ServiceAccount, its Lease. */
export const OPERATOR_NAME = 'secretsource-operator';
/** The namespace config/default installs the operator into (its Lease and fingerprint key live there). */
export const OPERATOR_NAMESPACE = 'secretsource-system';
