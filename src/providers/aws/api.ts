// The Secrets Manager calls the provider makes, on the AWS SDK: each call counted for metrics, given
// the caller's AbortSignal, and every failure turned into a typed error naming only the secret id.
import {
  CreateSecretCommand,
  BatchGetSecretValueCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  type FilterNameStringType,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { failedCallStatus, ProviderError, type ErrorSubject } from '../errors.js';
import type { OnProviderCall } from '../types.js';
import { AccessDeniedError, awsError } from './error-map.js';
import type { AwsOperation } from './operations.js';
import type { VersionSelector } from './refs.js';

/** One secret version as Secrets Manager returned it. */
export interface SecretPayload {
  name?: string;
  arn?: string;
  versionId?: string;
  secretString?: string;
  secretBinary?: Uint8Array;
}

export interface BatchItemError {
  secretId: string;
  /** The AWS error code (never the message: it may quote input). */
  code?: string;
}

export interface BatchResult {
  values: SecretPayload[];
  errors: BatchItemError[];
}

export interface ListFilter {
  key: 'name' | 'tag-key' | 'tag-value';
  values: string[];
}

export interface ListedSecret {
  name: string;
  arn?: string;
  tags: Record<string, string>;
}

export interface ListPage {
  secrets: ListedSecret[];
  nextToken?: string;
}

export type SecretWrite = { secretString: string } | { secretBinary: Uint8Array };

/**
 * A BatchGetSecretValue call failed as a whole. Each secret of the batch gets its own error naming
 * only itself, so no SecretSource's status names another's secrets.
 */
export class BatchCallFailed extends Error {
  constructor(
    readonly errorFor: (secretId: string) => ProviderError,
    /** The identity may not call BatchGetSecretValue (it may still call GetSecretValue). */
    readonly accessDenied: boolean,
  ) {
    super('BatchGetSecretValue failed');
    this.name = 'BatchCallFailed';
  }
}

/** What the provider client needs from Secrets Manager (faked in unit tests). */
export interface SecretsManagerApi {
  /** Provider description for error messages. */
  readonly provider: string;
  getSecretValue(secretId: string, selector: VersionSelector, signal: AbortSignal): Promise<SecretPayload>;
  /** At most 20 ids, current versions only; follows NextToken. Throws BatchCallFailed. */
  batchGetSecretValue(secretIds: string[], signal: AbortSignal): Promise<BatchResult>;
  listSecrets(
    request: { filters: ListFilter[]; maxResults: number; nextToken?: string },
    operation: 'find' | 'validate',
    signal: AbortSignal,
  ): Promise<ListPage>;
  putSecretValue(secretId: string, value: SecretWrite, signal: AbortSignal): Promise<void>;
  createSecret(name: string, value: SecretWrite, signal: AbortSignal): Promise<void>;
  close(): void;
}

export interface SdkSecretsManagerApiOptions {
  /** Provider description for error messages. */
  provider: string;
  onCall: OnProviderCall<AwsOperation>;
}

export class SdkSecretsManagerApi implements SecretsManagerApi {
  readonly #client: SecretsManagerClient;
  readonly #provider: string;
  readonly #onCall: OnProviderCall<AwsOperation>;

  constructor(client: SecretsManagerClient, options: SdkSecretsManagerApiOptions) {
    this.#client = client;
    this.#provider = options.provider;
    this.#onCall = options.onCall;
  }

  get provider(): string {
    return this.#provider;
  }

  async getSecretValue(
    secretId: string,
    selector: VersionSelector,
    signal: AbortSignal,
  ): Promise<SecretPayload> {
    const command = new GetSecretValueCommand({
      SecretId: secretId,
      ...('versionId' in selector ? { VersionId: selector.versionId } : { VersionStage: selector.stage }),
    });
    const output = await this.#send('get', signal, this.#subject(secretId), () =>
      this.#client.send(command, { abortSignal: signal }),
    );
    return payloadOf(output);
  }

  async batchGetSecretValue(secretIds: string[], signal: AbortSignal): Promise<BatchResult> {
    const result: BatchResult = { values: [], errors: [] };
    let nextToken: string | undefined;
    do {
      const command = new BatchGetSecretValueCommand({
        SecretIdList: secretIds,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      });
      let output;
      try {
        output = await this.#client.send(command, { abortSignal: signal });
      } catch (error) {
        const probe = awsError(error, this.#subject(''), signal);
        if (!(error instanceof ProviderError))
          this.#onCall('aws', 'getMany', failedCallStatus(probe, signal));
        if (signal.aborted) throw signal.reason;
        throw new BatchCallFailed(
          (secretId) => awsError(error, this.#subject(secretId)) as ProviderError,
          probe instanceof AccessDeniedError,
        );
      }
      this.#onCall('aws', 'getMany', 'success');
      for (const entry of output.SecretValues ?? []) result.values.push(payloadOf(entry));
      for (const entry of output.Errors ?? []) {
        if (entry.SecretId === undefined) continue;
        result.errors.push(
          entry.ErrorCode === undefined
            ? { secretId: entry.SecretId }
            : { secretId: entry.SecretId, code: entry.ErrorCode },
        );
      }
      nextToken = output.NextToken;
    } while (nextToken);
    return result;
  }

  async listSecrets(
    request: { filters: ListFilter[]; maxResults: number; nextToken?: string },
    operation: 'find' | 'validate',
    signal: AbortSignal,
  ): Promise<ListPage> {
    const command = new ListSecretsCommand({
      MaxResults: request.maxResults,
      IncludePlannedDeletion: false,
      ...(request.filters.length === 0
        ? {}
        : {
            Filters: request.filters.map((filter) => ({
              Key: filter.key as FilterNameStringType,
              Values: filter.values,
            })),
          }),
      ...(request.nextToken === undefined ? {} : { NextToken: request.nextToken }),
    });
    const output = await this.#send(operation, signal, this.#subject(undefined), () =>
      this.#client.send(command, { abortSignal: signal }),
    );
    const page: ListPage = {
      secrets: (output.SecretList ?? []).flatMap((entry): ListedSecret[] => {
        if (entry.Name === undefined) return [];
        const tags: Record<string, string> = {};
        for (const tag of entry.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
        return [
          entry.ARN === undefined ? { name: entry.Name, tags } : { name: entry.Name, arn: entry.ARN, tags },
        ];
      }),
    };
    if (output.NextToken) page.nextToken = output.NextToken;
    return page;
  }

  async putSecretValue(secretId: string, value: SecretWrite, signal: AbortSignal): Promise<void> {
    const command = new PutSecretValueCommand({
      SecretId: secretId,
      ...('secretString' in value
        ? { SecretString: value.secretString }
        : { SecretBinary: value.secretBinary }),
    });
    await this.#send('write', signal, this.#subject(secretId), () =>
      this.#client.send(command, { abortSignal: signal }),
    );
  }

  /** CreateSecret: the first version of a secret that does not exist yet. */
  async createSecret(name: string, value: SecretWrite, signal: AbortSignal): Promise<void> {
    const command = new CreateSecretCommand({
      Name: name,
      ...('secretString' in value
        ? { SecretString: value.secretString }
        : { SecretBinary: value.secretBinary }),
    });
    await this.#send('write', signal, this.#subject(name), () =>
      this.#client.send(command, { abortSignal: signal }),
    );
  }

  close(): void {
    this.#client.destroy();
  }

  #subject(secretId: string | undefined): ErrorSubject {
    return secretId === undefined || secretId === ''
      ? { provider: this.#provider }
      : { provider: this.#provider, path: secretId };
  }

  async #send<T>(
    operation: AwsOperation,
    signal: AbortSignal,
    subject: ErrorSubject,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      const output = await call();
      this.#onCall('aws', operation, 'success');
      return output;
    } catch (error) {
      const typed = awsError(error, subject, signal);
      // A ProviderError here came from our own credential provider: no request left, so no call to count.
      if (!(error instanceof ProviderError)) this.#onCall('aws', operation, failedCallStatus(typed, signal));
      throw typed;
    }
  }
}

function payloadOf(output: {
  Name?: string | undefined;
  ARN?: string | undefined;
  VersionId?: string | undefined;
  SecretString?: string | undefined;
  SecretBinary?: Uint8Array | undefined;
}): SecretPayload {
  const payload: SecretPayload = {};
  if (output.Name !== undefined) payload.name = output.Name;
  if (output.ARN !== undefined) payload.arn = output.ARN;
  if (output.VersionId !== undefined) payload.versionId = output.VersionId;
  if (output.SecretString !== undefined) payload.secretString = output.SecretString;
  if (output.SecretBinary !== undefined) payload.secretBinary = output.SecretBinary;
  return payload;
}
