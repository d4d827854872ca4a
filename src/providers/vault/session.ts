// One Vault token per client, kept alive by a RefreshingCredential (../refreshing-credential.ts:
// fetched once, refreshed at 2/3 of its TTL by a timer or the first call past that point, a failed
// refresh retried after a pause) instead of a login per reconcile. What is Vault's own:
// - a refresh renews the token (renew-self) when it is renewable, else logs in again; a renewal Vault
//   rejects falls back to a login;
// - a renewal that no longer extends the token much (max TTL reached) makes the next refresh a login;
// - a token that never expires (ttl 0, e.g. a root token) is never refreshed;
// - a 403 on a call is checked with lookup-self: if the token itself is dead, log in again and retry
//   once; if the token is fine, the policy denies the path and the error stands.
import { raceAbort } from '../../kube/abort.js';
import { UnauthorizedError } from '../errors.js';
import { RefreshingCredential, type IssuedCredential } from '../refreshing-credential.js';
import type { ProviderClock, ProviderLogger } from '../types.js';
import type { VaultRequester } from './api.js';
import { lookupSelf, renewSelf, type VaultAuthMethod, type VaultToken } from './auth.js';

export interface VaultSessionOptions {
  auth: VaultAuthMethod;
  api: VaultRequester;
  clock: ProviderClock;
  logger: ProviderLogger;
  /** Provider description for logs. */
  provider: string;
  /** Fraction of a token's TTL after which it is renewed or replaced. Default 2/3. */
  refreshFraction?: number;
  /** Lower bound between refresh attempts, so a nearly expired token causes no storm. Default 1 s. */
  minRefreshIntervalMs?: number;
}

interface HeldToken {
  token: string;
  renewable: boolean;
  /** TTL right after login, to notice renewals capped by the max TTL. */
  loginTtlMs: number;
}

export class VaultSession {
  readonly #auth: VaultAuthMethod;
  readonly #api: VaultRequester;
  readonly #clock: ProviderClock;
  readonly #logger: ProviderLogger;
  readonly #provider: string;
  readonly #closed = new AbortController();
  readonly #credential: RefreshingCredential<HeldToken>;
  #probe: { token: string; rejected: Promise<boolean> } | undefined;

  constructor(options: VaultSessionOptions) {
    this.#auth = options.auth;
    this.#api = options.api;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#provider = options.provider;
    this.#credential = new RefreshingCredential({
      fetch: (current, signal) => this.#renewOrLogin(current, signal),
      clock: options.clock,
      logger: options.logger,
      name: 'Vault token',
      logFields: { provider: options.provider, auth: options.auth.method },
      ...(options.refreshFraction === undefined ? {} : { refreshFraction: options.refreshFraction }),
      minRetryMs: options.minRefreshIntervalMs ?? 1_000,
      closedReason: () => new Error('Vault session closed'),
    });
  }

  /** A valid token, logging in when there is none. */
  async token(signal: AbortSignal): Promise<string> {
    return (await this.#credential.get(signal)).token;
  }

  /** Runs a call with the token; a dead token is replaced and the call retried once. */
  async withToken<T>(signal: AbortSignal, call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.token(signal);
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      if (!(await raceAbort(this.#rejected(token), signal))) throw error;
      if (this.#credential.peek()?.token === token) this.#credential.invalidate();
      const fresh = await this.token(signal);
      if (fresh === token) throw error;
      return call(fresh);
    }
  }

  /** An authenticated no-op (lookup-self), for the provider's Ready condition. */
  async validate(signal: AbortSignal): Promise<void> {
    await this.withToken(signal, (token) => lookupSelf(this.#api, token, signal));
  }

  close(): void {
    this.#closed.abort(new Error('Vault session closed'));
    this.#credential.close();
  }

  async #renewOrLogin(
    current: HeldToken | undefined,
    signal: AbortSignal,
  ): Promise<IssuedCredential<HeldToken>> {
    if (current?.renewable) {
      try {
        return this.#issued(await renewSelf(this.#api, current.token, signal), current);
      } catch (error) {
        // A rejected token needs a new login; anything else is retried later with the current token.
        if (signal.aborted || !(error instanceof UnauthorizedError)) throw error;
      }
    }
    return this.#issued(await this.#auth.login(signal));
  }

  #issued(token: VaultToken, renewedFrom?: HeldToken): IssuedCredential<HeldToken> {
    const ttlMs = token.ttlSeconds * 1000;
    const loginTtlMs = renewedFrom ? renewedFrom.loginTtlMs : ttlMs;
    // Renewals capped by the token's max TTL shrink; replace such a token by a login in time.
    const renewable = token.renewable && !(renewedFrom && ttlMs < loginTtlMs / 2);
    this.#logger.debug(
      {
        provider: this.#provider,
        auth: this.#auth.method,
        ttlSeconds: token.ttlSeconds,
        renewed: !!renewedFrom,
      },
      renewedFrom ? 'Vault token renewed' : 'Vault login succeeded',
    );
    const value: HeldToken = { token: token.token, renewable, loginTtlMs };
    return ttlMs > 0 ? { value, expiresAt: this.#clock.now() + ttlMs } : { value };
  }

  /** Whether Vault rejects the token itself (rather than the path); one probe per token at a time. */
  #rejected(token: string): Promise<boolean> {
    if (this.#credential.peek()?.token !== token) return Promise.resolve(true);
    if (this.#probe?.token !== token) {
      const rejected = lookupSelf(this.#api, token, this.#closed.signal).then(
        () => false,
        (error: unknown) => error instanceof UnauthorizedError,
      );
      this.#probe = { token, rejected };
      void rejected.finally(() => {
        if (this.#probe?.rejected === rejected) this.#probe = undefined;
      });
    }
    return this.#probe.rejected;
  }
}
