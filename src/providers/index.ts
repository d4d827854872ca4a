// Every provider the operator knows, one line each: the one registration point of the running
// operator. The list feeds the registry (src/cli/run.ts and the other commands); only the CLI imports
// it, because it reaches every factory and, through them, every client. The API is built from the providers' schema leaves instead
// (src/api/v1alpha1/providers.ts). Adding a provider: README.md.
import type { ProviderType } from '../api/v1alpha1/providers.js';
import { aws } from './aws/index.js';
import { azure } from './azure/index.js';
import type { ProviderFactory } from './registry.js';
import { vault } from './vault/index.js';

export const PROVIDERS = [vault, aws, azure] as const;

export type { ProviderType };

// Every provider the API has (src/api/v1alpha1/providers.ts) has a descriptor here: a type error
// naming the missing provider otherwise. (A descriptor the API lacks does not compile either:
// providerFactories() returns factories of the API's types only.)
type WithoutDescriptor = Exclude<ProviderType, (typeof PROVIDERS)[number]['type']>;
const everyProviderHasADescriptor: [WithoutDescriptor] extends [never] ? true : WithoutDescriptor = true;
void everyProviderHasADescriptor;

/** A factory for each provider, for the registry. */
export function providerFactories(): ProviderFactory[] {
  return PROVIDERS.map((provider) => provider.factory());
}
