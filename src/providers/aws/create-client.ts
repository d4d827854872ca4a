// Builds an AWS Secrets Manager client. Loaded by the factory in index.ts on the first create(), so
// the descriptor loads no AWS SDK.
//
// Endpoints: Secrets Manager uses spec.aws.endpoint when set. Otherwise, and always for STS, the SDK's
// own resolution applies: the regional endpoint, or AWS_ENDPOINT_URL_SECRETS_MANAGER /
// AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL in the operator's environment (e.g. for VPC endpoints).
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { ProviderContext } from '../registry.js';
import { describeProvider, type ProviderClient } from '../types.js';
import { SdkSecretsManagerApi } from './api.js';
import { createAwsAuth } from './auth.js';
import { AwsProviderClient } from './client.js';
import type { AwsSettings } from './spec.js';
import { SdkStsApi } from './sts.js';

/** Builds a client; no network call happens until the first use (credentials load lazily). */
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
}

export function createAwsClient(
  settings: AwsSettings,
  context: ProviderContext,
  options: AwsClientOptions = {},
): ProviderClient {
  const provider = describeProvider(context.provider);
  const common = {
    region: settings.region,
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? 5_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      throwOnRequestTimeout: true,
    },
  };
  const auth = createAwsAuth({
    settings,
    credentials: context.credentials,
    clock: context.clock,
    logger: context.logger,
    provider,
    makeSts: (source) =>
      new SdkStsApi(new STSClient({ ...common, ...(source ? { credentials: source } : {}) }), {
        provider,
        onCall: context.onCall,
      }),
  });
  const api = new SdkSecretsManagerApi(
    new SecretsManagerClient({
      ...common,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(auth.credentials ? { credentials: auth.credentials } : {}),
    }),
    { provider, onCall: context.onCall },
  );
  context.logger.debug({ provider, auth: auth.description, region: settings.region }, 'AWS client built');
  return new AwsProviderClient(api, {
    clock: context.clock,
    logger: context.logger,
    ...(options.batchWindowMs === undefined ? {} : { batchWindowMs: options.batchWindowMs }),
    ...(options.maxFindResults === undefined ? {} : { maxFindResults: options.maxFindResults }),
    onClose: () => {
      api.close();
      auth.close();
    },
  });
}
