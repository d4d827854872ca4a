// A provider as the rest of the operator sees it: one descriptor per provider folder, listed once in
// src/providers/index.ts. It adds to the provider's piece of the API (its schema.ts, which src/api
// builds the CRDs from) what only the running operator needs: the factory and the metric labels.
// The list feeds the registry (src/cli/run.ts) and the metric labels (src/runtime/metrics.ts).
//
// A descriptor module loads no backend SDK: its factory loads the client code (and the SDK with it)
// on the first create(), see vault/index.ts, so `secretsource validate` and the tests that build a
// registry stay quick.
import type { ProviderSchema } from '../api/v1alpha1/schema-builders.js';
import type { ProviderFactory } from './registry.js';

export interface ProviderDescriptor<
  Type extends string,
  Spec,
  Operation extends string,
> extends ProviderSchema<Type> {
  /** The `operation` label values this provider reports in secretsource_provider_calls_total. */
  readonly operations: readonly Operation[];
  /** The factory the registry builds clients with. */
  readonly factory: () => ProviderFactory<Type, Spec>;
}
