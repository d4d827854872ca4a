// Where a client's AWS credentials come from:
//   secretRef     an access key read from a Kubernetes Secret (through ScopedCredentials)
//   webIdentity   a TokenRequest token for a ServiceAccount exchanged with AssumeRoleWithWebIdentity
//                 (what IRSA does, without a projected token file in the operator's pod)
//   defaultChain  nothing set: the AWS SDK's default chain (env, shared files, ECS/EKS, IMDS)
// and, with `role` set, AssumeRole on top (with the external ID and the session name).
//
// Each source is a RefreshingCredential (../refreshing-credential.ts), so credentials are loaded once
// and replaced before they expire instead of a load (and an STS call) per reconcile:
// - long-lived keys (no expiration) are loaded once; the client cache rebuilds the client when the
//   credentials Secret changes;
// - temporary credentials are replaced once a third of their lifetime, and at least 5 minutes (the
//   window the AWS SDK itself treats as "about to expire"), is left; they count as expired 30 s early;
// - a failed refresh keeps the current credentials while they are valid and is retried after a pause
//   of at least 5 s.
// A 403 from Secrets Manager is left to the client cache, which rebuilds the client (and so reloads).
import { SERVICE_ACCOUNT_TOKEN_SECONDS, type ScopedCredentials } from '../credentials.js';
import { CredentialsUnavailableError, UnavailableError } from '../errors.js';
import { RefreshingCredential } from '../refreshing-credential.js';
import type { ProviderClock, ProviderLogger } from '../types.js';
import type { AwsSettings } from './spec.js';
import type { AwsCredentials, StsApi } from './sts.js';

/** What the SDK calls to get credentials (an AwsCredentialIdentityProvider). */
export type AwsCredentialProvider = () => Promise<AwsCredentials>;

const REFRESH = { minMarginMs: 5 * 60_000, expirySkewMs: 30_000, minRetryMs: 5_000 } as const;

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
  /** One credential source; `source` names it in logs: secretRef, webIdentity, assumeRole. */
  const session = (
    source: string,
    load: (signal: AbortSignal) => Promise<AwsCredentials>,
  ): AwsCredentialProvider => {
    const credential = new RefreshingCredential<AwsCredentials>({
      ...REFRESH,
      fetch: async (_current, signal) => {
        const loaded = await load(signal);
        const expiresAt = loaded.expiration?.getTime();
        options.logger.debug(
          {
            provider: options.provider,
            source,
            ...(loaded.expiration ? { expiresAt: loaded.expiration.toISOString() } : {}),
          },
          'AWS credentials loaded',
        );
        return expiresAt === undefined ? { value: loaded } : { value: loaded, expiresAt };
      },
      clock: options.clock,
      logger: options.logger,
      name: 'AWS credentials',
      logFields: { provider: options.provider, source },
      closedReason: () =>
        new UnavailableError({ provider: options.provider }, 'the AWS client was closed; retry'),
    });
    closers.push(() => credential.close());
    // The SDK asks for every request, without a signal: close() ends its wait.
    return () => credential.get();
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
      base = session('secretRef', (signal) => readAccessKey(options, signal));
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
      });
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
    );
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
