// The two STS calls that turn one identity into another: AssumeRole (signed with the source
// credentials the STS client was built with) and AssumeRoleWithWebIdentity (unsigned; the
// ServiceAccount token is the proof). Each is one 'login' call for metrics.
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  type Credentials,
  type STSClient,
} from '@aws-sdk/client-sts';
import { ProviderError, UnauthorizedError, UnavailableError, type ErrorSubject } from '../errors.js';
import type { OnProviderCall } from '../types.js';
import type { AwsOperation } from './operations.js';
import { awsError } from './error-map.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Undefined for long-lived keys. */
  expiration?: Date;
}

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  externalId?: string;
}

export interface WebIdentityRequest {
  roleArn: string;
  sessionName: string;
  webIdentityToken: string;
}

/** What the credential sources need from STS (faked in unit tests). */
export interface StsApi {
  assumeRole(request: AssumeRoleRequest, signal: AbortSignal): Promise<AwsCredentials>;
  assumeRoleWithWebIdentity(request: WebIdentityRequest, signal: AbortSignal): Promise<AwsCredentials>;
  close(): void;
}

export interface SdkStsApiOptions {
  provider: string;
  onCall: OnProviderCall<AwsOperation>;
}

export class SdkStsApi implements StsApi {
  readonly #client: STSClient;
  readonly #provider: string;
  readonly #onCall: OnProviderCall<AwsOperation>;

  constructor(client: STSClient, options: SdkStsApiOptions) {
    this.#client = client;
    this.#provider = options.provider;
    this.#onCall = options.onCall;
  }

  assumeRole(request: AssumeRoleRequest, signal: AbortSignal): Promise<AwsCredentials> {
    const command = new AssumeRoleCommand({
      RoleArn: request.roleArn,
      RoleSessionName: request.sessionName,
      ...(request.externalId === undefined ? {} : { ExternalId: request.externalId }),
    });
    return this.#login('AssumeRole', request.roleArn, signal, async () => {
      const output = await this.#client.send(command, { abortSignal: signal });
      return output.Credentials;
    });
  }

  assumeRoleWithWebIdentity(request: WebIdentityRequest, signal: AbortSignal): Promise<AwsCredentials> {
    const command = new AssumeRoleWithWebIdentityCommand({
      RoleArn: request.roleArn,
      RoleSessionName: request.sessionName,
      WebIdentityToken: request.webIdentityToken,
    });
    return this.#login('AssumeRoleWithWebIdentity', request.roleArn, signal, async () => {
      const output = await this.#client.send(command, { abortSignal: signal });
      return output.Credentials;
    });
  }

  close(): void {
    this.#client.destroy();
  }

  async #login(
    operation: string,
    roleArn: string,
    signal: AbortSignal,
    call: () => Promise<Credentials | undefined>,
  ): Promise<AwsCredentials> {
    const subject: ErrorSubject = { provider: this.#provider, path: roleArn };
    let credentials: Credentials | undefined;
    try {
      credentials = await call();
    } catch (error) {
      const typed = loginError(awsError(error, subject, signal), subject, operation);
      this.#onCall('aws', 'login', signal.aborted ? 'aborted' : statusOf(typed));
      throw typed;
    }
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
      this.#onCall('aws', 'login', 'Unavailable');
      throw new UnavailableError(subject, `${operation} returned no credentials`);
    }
    this.#onCall('aws', 'login', 'success');
    const result: AwsCredentials = {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
    };
    if (credentials.SessionToken) result.sessionToken = credentials.SessionToken;
    if (credentials.Expiration) result.expiration = credentials.Expiration;
    return result;
  }
}

/**
 * To the user every permanent STS failure is a failed login (a bad role ARN, a trust policy that
 * does not match, a wrong external ID), not a missing secret or a bad reference.
 */
function loginError(error: unknown, subject: ErrorSubject, operation: string): unknown {
  if (!(error instanceof ProviderError) || error.transient) return error;
  if (error.reason === 'AuthFailed') {
    // Rebuilt as a plain UnauthorizedError: never an AccessDeniedError (see error-map.ts).
    return new UnauthorizedError(subject, `${operation} was rejected: ${whatOf(error)}`);
  }
  return new UnauthorizedError(subject, `${operation} was rejected (${error.reason})`);
}

/** The message of a ProviderError without its "<provider>: " prefix and path suffix. */
function whatOf(error: ProviderError): string {
  let text = error.message;
  if (text.startsWith(`${error.provider}: `)) text = text.slice(error.provider.length + 2);
  const suffix = error.path === undefined ? '' : ` (path "${error.path}")`;
  return suffix !== '' && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
}

function statusOf(error: unknown): 'error' | ProviderError['reason'] {
  return error instanceof ProviderError ? error.reason : 'error';
}
