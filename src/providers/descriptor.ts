// A provider as the rest of the operator sees it: one descriptor per provider folder, listed once in
// src/providers/index.ts. That list feeds the SecretProvider/ClusterSecretProvider schemas (and so
// crds/ and the generated types), the registry and the metric labels.
//
// A descriptor module loads no backend SDK, because src/api imports the list: its factory loads the
// client code (and the SDK with it) on the first create(), see vault/index.ts.
import type { JSONSchemaProps } from '../api/v1alpha1/schema-builders.js';
import type { ProviderFactory } from './registry.js';

export interface ProviderDescriptor<Type extends string, Spec, Operation extends string> {
  /** The spec field that selects the provider (`spec.vault`); also the metrics' `provider` label and `status.backend`. */
  readonly type: Type;
  /** What it connects to, for the CRD descriptions, e.g. "Vault/OpenBao". */
  readonly displayName: string;
  /** The `spec.<type>` schema; `make manifests` makes the CRDs and the `Spec` type from it. */
  readonly schema: JSONSchemaProps;
  /** The `operation` label values this provider reports in secretsource_provider_calls_total. */
  readonly operations: readonly Operation[];
  /**
   * The factory the registry builds clients with. Absent while the spec field is part of the API but
   * the provider is not written yet (azure): such a provider is InvalidSpec, "not supported by this
   * build".
   */
  readonly factory?: () => ProviderFactory<Type, Spec>;
}
