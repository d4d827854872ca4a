// The three ways to get a Vault token: a token from a Secret, Kubernetes auth (a TokenRequest token
// for a ServiceAccount), and AppRole. Each `login` returns a fresh token and its lifetime.
import { SERVICE_ACCOUNT_TOKEN_SECONDS, type ScopedCredentials } from '../credentials.js';
import { ProviderError, UnauthorizedError, UnavailableError } from '../errors.js';
import { isDocument } from '../property.js';
import type { VaultRequester } from './api.js';
import type { VaultAuthSettings } from './spec.js';

export interface VaultToken {
  token: string;
  /** 0 for a token that never expires (a root token). */
  ttlSeconds: number;
  renewable: boolean;
}

export interface VaultAuthMethod {
  readonly method: VaultAuthSettings['method'];
  login(signal: AbortSignal): Promise<VaultToken>;
}

export function createAuthMethod(
  settings: VaultAuthSettings,
  api: VaultRequester,
  credentials: ScopedCredentials,
): VaultAuthMethod {
  switch (settings.method) {
    case 'token':
      return {
        method: 'token',
        async login(signal) {
          const { value } = await credentials.secretKey(settings.secretRef, signal);
          const token = value.toString('utf8').trim();
          if (token === '') {
            throw new UnauthorizedError(
              { provider: api.provider, path: `Secret ${settings.secretRef.name}` },
              `key "${settings.secretRef.key}" of the token Secret is empty`,
            );
          }
          const self = await lookupSelf(api, token, signal);
          return { token, ...self };
        },
      };
    case 'kubernetes':
      return {
        method: 'kubernetes',
        async login(signal) {
          const { token: jwt } = await credentials.serviceAccountToken(
            settings.serviceAccountRef,
            settings.audiences,
            SERVICE_ACCOUNT_TOKEN_SECONDS,
            signal,
          );
          return loginAt(api, `auth/${settings.mountPath}/login`, { role: settings.role, jwt }, signal);
        },
      };
    case 'appRole':
      return {
        method: 'appRole',
        async login(signal) {
          const { value } = await credentials.secretKey(settings.secretRef, signal);
          const secretId = value.toString('utf8').trim();
          return loginAt(
            api,
            `auth/${settings.path}/login`,
            { role_id: settings.roleId, secret_id: secretId },
            signal,
          );
        },
      };
  }
}

async function loginAt(
  api: VaultRequester,
  path: string,
  body: Record<string, string>,
  signal: AbortSignal,
): Promise<VaultToken> {
  let response: unknown;
  try {
    response = await api.request('login', { method: 'POST', path, body }, signal);
  } catch (error) {
    // Vault answers a bad role, secret-id or JWT with 400 or 403, a missing auth mount with 404: to
    // the user all of these are a failed login, not a missing secret.
    if (error instanceof ProviderError && !error.transient) {
      throw new UnauthorizedError(api.subject(path), `login rejected (${error.reason})`);
    }
    throw error;
  }
  return parseAuth(api, path, response);
}

/** The remaining lifetime of a token; a rejected token is an UnauthorizedError. */
export async function lookupSelf(
  api: VaultRequester,
  token: string,
  signal: AbortSignal,
): Promise<{ ttlSeconds: number; renewable: boolean }> {
  const path = 'auth/token/lookup-self';
  const body = await api.request('lookup', { method: 'GET', path, token }, signal);
  const data = isDocument(body) && isDocument(body.data) ? body.data : undefined;
  if (!data || typeof data.ttl !== 'number')
    throw new UnavailableError(api.subject(path), 'unexpected lookup-self response');
  return { ttlSeconds: data.ttl, renewable: data.renewable === true };
}

export async function renewSelf(
  api: VaultRequester,
  token: string,
  signal: AbortSignal,
): Promise<VaultToken> {
  const path = 'auth/token/renew-self';
  const body = await api.request('renew', { method: 'POST', path, token, body: {} }, signal);
  return parseAuth(api, path, body);
}

function parseAuth(api: VaultRequester, path: string, body: unknown): VaultToken {
  const auth = isDocument(body) && isDocument(body.auth) ? body.auth : undefined;
  if (!auth || typeof auth.client_token !== 'string' || auth.client_token === '') {
    throw new UnavailableError(api.subject(path), 'the response carries no token');
  }
  return {
    token: auth.client_token,
    ttlSeconds: typeof auth.lease_duration === 'number' ? auth.lease_duration : 0,
    renewable: auth.renewable === true,
  };
}
