// The AWS Secrets Manager provider (spec field `aws`): its descriptor, listed in src/providers/index.ts.
import type { AwsProvider } from '../../api/v1alpha1/types.generated.js';
import type { ProviderDescriptor } from '../descriptor.js';
import { ProviderNotAllowedError } from '../errors.js';
import type { ProviderFactory } from '../registry.js';
import { describeProvider } from '../types.js';
import { awsSpecSchema } from './schema.js';
import { awsReferencesDefaultNamespace, parseAwsSpec } from './spec.js';

export { parseAwsSpec, type AwsSettings } from './spec.js';

/** The `operation` label of each AWS call: the Secrets Manager calls (api.ts) and STS logins (sts.ts). */
const OPERATIONS = ['get', 'getMany', 'find', 'validate', 'write', 'login'] as const;
export type AwsOperation = (typeof OPERATIONS)[number];

export interface AwsClientOptions {
  /** Window of the get() micro-batcher (one BatchGetSecretValue per window); 0 turns it off. Default 25 ms. */
  batchWindowMs?: number;
  /** Per-request limit. Default 30 s. */
  requestTimeoutMs?: number;
  /** TCP/TLS connect limit. Default 5 s. */
  connectTimeoutMs?: number;
  /** Attempts per call including the SDK's own retries (throttling, 5xx). Default 3. */
  maxAttempts?: number;
  /** Largest number of secrets one find() returns. Default 1000. */
  maxFindResults?: number;
  /**
   * Let a namespaced SecretProvider without `auth` use the default chain, i.e. the operator's own
   * AWS identity. Off by default: anyone who may create a SecretProvider in a namespace could
   * otherwise read whatever the operator's identity can. ClusterSecretProviders may always.
   */
  allowDefaultChainForSecretProviders?: boolean;
}

export function awsProviderFactory(options: AwsClientOptions = {}): ProviderFactory<'aws', AwsProvider> {
  return {
    type: 'aws',
    prepare(spec, provider) {
      const subject = { provider: describeProvider(provider) };
      const settings = parseAwsSpec(spec, provider, subject);
      // Not in the schema: it depends on the kind of the object and on how the operator was started.
      if (
        provider.kind === 'SecretProvider' &&
        settings.auth.method === 'defaultChain' &&
        !options.allowDefaultChainForSecretProviders
      ) {
        throw new ProviderNotAllowedError(
          subject,
          "spec.aws.auth is required for a SecretProvider: without it the operator's own AWS identity " +
            'would be used (a ClusterSecretProvider may do that)',
        );
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
  type: 'aws',
  displayName: 'AWS Secrets Manager',
  schema: awsSpecSchema,
  operations: OPERATIONS,
  factory: awsProviderFactory,
};
