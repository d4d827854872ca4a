// Where a client's AWS credentials come from:
//   secretRef     an access key read from a Kubernetes Secret (through ScopedCredentials)
//   webIdentity   a TokenRequest token for a ServiceAccount exchanged with AssumeRoleWithWebIdentity
//                 (what IRSA does, without a projected token file in the operator's pod)
//   defaultChain  nothing set: the AWS SDK's default chain (env, shared files, ECS/EKS, IMDS)
// and, with `role` set, AssumeRole on top (with the external ID and the session name).
import type { ScopedCredentials } from '../credentials.js';
import { CredentialsUnavailableError } from '../errors.js';
import type { ProviderClock, ProviderLogger } from '../types.js';
import { AwsCredentialSession, type AwsCredentialProvider } from './session.js';
import type { AwsSettings } from './spec.js';
import type { AwsCredentials, StsApi } from './sts.js';

/** Lifetime of the ServiceAccount tokens we request; used at once, so the API server's minimum. */
export const SERVICE_ACCOUNT_TOKEN_SECONDS = 600;

export interface AwsAuthOptions {
  settings: AwsSettings;
  credentials: ScopedCredentials;
  clock: ProviderClock;
  logger: ProviderLogger;
  /** Provider description for messages and logs. */
  provider: string;
  /**
   * An STS API whose calls are signed with `source`; undefined means the SDK's default chain (and
   * needs no credentials for AssumeRoleWithWebIdentity, which is unsigned).
   */
  makeSts(source: AwsCredentialProvider | undefined): StsApi;
}

export interface AwsAuth {
  /** For the Secrets Manager client; undefined leaves it to the SDK's default chain. */
  readonly credentials: AwsCredentialProvider | undefined;
  /** How the credentials are obtained, for logs: e.g. 'webIdentity+assumeRole'. */
  readonly description: string;
  close(): void;
}

export function createAwsAuth(options: AwsAuthOptions): AwsAuth {
  const { settings } = options;
  const closers: Array<() => void> = [];
  const session = (source: string, load: (signal: AbortSignal) => Promise<AwsCredentials>) => {
    const created = new AwsCredentialSession({
      load,
      clock: options.clock,
      logger: options.logger,
      provider: options.provider,
      source,
    });
    closers.push(() => created.close());
    return created;
  };
  const sts = (source: AwsCredentialProvider | undefined): StsApi => {
    const api = options.makeSts(source);
    closers.push(() => api.close());
    return api;
  };

  let base: AwsCredentialProvider | undefined;
  const auth = settings.auth;
  switch (auth.method) {
    case 'defaultChain':
      base = undefined;
      break;
    case 'secretRef':
      base = session('secretRef', (signal) => readAccessKey(options, signal)).provider;
      break;
    case 'webIdentity': {
      const identitySts = sts(undefined);
      base = session('webIdentity', async (signal) => {
        const { token } = await options.credentials.serviceAccountToken(
          auth.serviceAccountRef,
          auth.audiences,
          SERVICE_ACCOUNT_TOKEN_SECONDS,
          signal,
        );
        return identitySts.assumeRoleWithWebIdentity(
          { roleArn: auth.roleArn, sessionName: settings.sessionName, webIdentityToken: token },
          signal,
        );
      }).provider;
      break;
    }
  }

  let credentials = base;
  const role = settings.role;
  if (role) {
    const roleSts = sts(base);
    credentials = session('assumeRole', (signal) =>
      roleSts.assumeRole(
        {
          roleArn: role.arn,
          sessionName: settings.sessionName,
          ...(role.externalId === undefined ? {} : { externalId: role.externalId }),
        },
        signal,
      ),
    ).provider;
  }

  return {
    credentials,
    description: role ? `${auth.method}+assumeRole` : auth.method,
    close: () => {
      for (const close of closers.splice(0)) close();
    },
  };
}

async function readAccessKey(options: AwsAuthOptions, signal: AbortSignal): Promise<AwsCredentials> {
  const { settings } = options;
  if (settings.auth.method !== 'secretRef') throw new Error('unreachable: not a secretRef auth');
  const ref = settings.auth.secretRef;
  const read = async (key: string): Promise<string> => {
    const { value } = await options.credentials.secretKey(
      ref.namespace === undefined
        ? { name: ref.name, key }
        : { name: ref.name, namespace: ref.namespace, key },
      signal,
    );
    const text = value.toString('utf8').trim();
    if (text === '') {
      throw new CredentialsUnavailableError(
        { provider: options.provider, path: `Secret ${ref.name}` },
        `key "${key}" of the credentials Secret is empty`,
      );
    }
    return text;
  };
  const [accessKeyId, secretAccessKey, sessionToken] = await Promise.all([
    read(ref.accessKeyIdKey),
    read(ref.secretAccessKeyKey),
    ref.sessionTokenKey === undefined ? Promise.resolve(undefined) : read(ref.sessionTokenKey),
  ]);
  return sessionToken === undefined
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId, secretAccessKey, sessionToken };
}
