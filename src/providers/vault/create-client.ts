// Builds a Vault / OpenBao client. Loaded by the factory in index.ts on the first create(), so the
// descriptor loads no HTTP client code.
import { InvalidSpecError } from '../errors.js';
import type { ProviderContext } from '../registry.js';
import { describeProvider, type ProviderClient } from '../types.js';
import { VaultApi } from './api.js';
import { createAuthMethod } from './auth.js';
import { VaultProviderClient } from './client.js';
import { VaultSession } from './session.js';
import type { VaultSettings } from './spec.js';

/** Builds a client; no network call happens until the first use (login is lazy). */
export interface VaultClientOptions {
  /** Per-request socket inactivity limit. Default 30 s. */
  requestTimeoutMs?: number;
  /** Fraction of a token's TTL after which it is renewed or replaced. Default 2/3. */
  refreshFraction?: number;
}

export async function createVaultClient(
  settings: VaultSettings,
  context: ProviderContext,
  options: VaultClientOptions = {},
): Promise<ProviderClient> {
  const provider = describeProvider(context.provider);
  const ca = settings.caBundle ?? (settings.caRef ? await loadCa(settings, context) : undefined);
  const api = new VaultApi({
    server: settings.server,
    provider,
    onCall: context.onCall,
    now: () => context.clock.now(),
    ...(settings.namespace ? { namespace: settings.namespace } : {}),
    ...(ca ? { ca } : {}),
    ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}),
  });
  const session = new VaultSession({
    auth: createAuthMethod(settings.auth, api, context.credentials),
    api,
    clock: context.clock,
    logger: context.logger,
    provider,
    ...(options.refreshFraction ? { refreshFraction: options.refreshFraction } : {}),
  });
  return new VaultProviderClient(
    api,
    session,
    { mount: settings.mount, kvVersion: settings.kvVersion },
    context.clock,
  );
}

async function loadCa(settings: VaultSettings, context: ProviderContext): Promise<string> {
  const ref = settings.caRef!;
  const { value } = await context.credentials.secretKey(ref, context.signal);
  const pem = value.toString('utf8');
  if (!pem.includes('-----BEGIN')) {
    throw new InvalidSpecError(
      { provider: describeProvider(context.provider), path: `Secret ${ref.name}` },
      `key "${ref.key}" of the caRef Secret is not a PEM bundle`,
    );
  }
  return pem;
}
