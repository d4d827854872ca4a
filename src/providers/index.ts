// Every provider the operator knows, one line each: the one registration point. The list feeds the
// provider spec schemas (src/api/v1alpha1/schema.ts, so crds/ and the generated types), the registry
// (src/cli/run.ts) and the metric labels (src/runtime/metrics.ts). Adding a provider: README.md.
import { aws } from './aws/index.js';
import { azure } from './azure/index.js';
import type { ProviderFactory } from './registry.js';
import { vault } from './vault/index.js';

export const PROVIDERS = [vault, aws, azure] as const;

/** A spec field that names a backend: `vault`, `aws`, `azure`. */
export type ProviderType = (typeof PROVIDERS)[number]['type'];
/** An `operation` label value of secretsource_provider_calls_total. */
export type ProviderOperation = (typeof PROVIDERS)[number]['operations'][number];

/** The spec fields that name a backend; exactly one is set on a provider. */
export const PROVIDER_TYPES: readonly ProviderType[] = PROVIDERS.map((provider) => provider.type);

/** A factory for each provider this build has, for the registry. */
export function providerFactories(): ProviderFactory[] {
  return PROVIDERS.flatMap((provider) => (provider.factory ? [provider.factory()] : []));
}
