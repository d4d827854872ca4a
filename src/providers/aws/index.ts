// The AWS Secrets Manager provider (spec field `aws`): its descriptor, listed in src/providers/index.ts.
import type { AwsProvider } from '../../api/v1alpha1/types.generated.js';
import type { ProviderDescriptor } from '../descriptor.js';
import { ProviderNotAllowedError } from '../errors.js';
import type { ProviderFactory } from '../registry.js';
import { describeProvider } from '../types.js';
import type { AwsClientOptions } from './create-client.js';
import { AWS_OPERATIONS, type AwsOperation } from './operations.js';
import { awsOperatorIdentity, awsSchema } from './schema.js';
import { awsReferencesDefaultNamespace, parseAwsSpec } from './spec.js';

export type { AwsClientOptions, AwsOperation };
export { parseAwsSpec, type AwsSettings } from './spec.js';

export function awsProviderFactory(options: AwsClientOptions = {}): ProviderFactory<'aws', AwsProvider> {
  return {
    type: 'aws',
    prepare(spec, provider) {
      const subject = { provider: describeProvider(provider) };
      const settings = parseAwsSpec(spec, provider, subject);
      // Not in the CRD, which cannot see the kind: the admission policy refuses it too (schema.ts).
      if (provider.kind === 'SecretProvider' && settings.auth.method === 'defaultChain') {
        throw new ProviderNotAllowedError(subject, awsOperatorIdentity.message);
      }
      return {
        referencesDefaultNamespace: awsReferencesDefaultNamespace(settings),
        // No network call happens until the first use (credentials load lazily).
        create: async (context) =>
          (await import('./create-client.js')).createAwsClient(settings, context, options),
      };
    },
  };
}

export const aws: ProviderDescriptor<'aws', AwsProvider, AwsOperation> = {
  ...awsSchema,
  operations: AWS_OPERATIONS,
  factory: awsProviderFactory,
};
