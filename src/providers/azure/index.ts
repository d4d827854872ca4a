// The Azure Key Vault provider (spec field `azure`): part of the v1alpha1 API, not written yet (its
// test server is, docs/adr/0009). Its descriptor has the schema, so the CRDs accept spec.azure, and no
// factory, so such a provider is InvalidSpec: "provider type azure is not supported by this build".
import type { AzureProvider } from '../../api/v1alpha1/types.generated.js';
import type { ProviderDescriptor } from '../descriptor.js';
import { azureSpecSchema } from './schema.js';

export const azure: ProviderDescriptor<'azure', AzureProvider, never> = {
  type: 'azure',
  displayName: 'Azure Key Vault',
  schema: azureSpecSchema,
  operations: [],
};
