// One Vault token per client, kept alive instead of logging in per reconcile:
// - at `refreshFraction` (2/3) of its TTL the token is renewed (renew-self) when renewable, else
//   replaced by a new login; a timer does this while the client is idle, a call past that point
//   triggers it too;
// - a renewal that no longer extends the token much (max TTL reached) makes the next refresh a login;
// - a token that never expires (ttl 0, e.g. a root token) is never refreshed;
// - a 403 on a call is checked with lookup-self: if the token itself is dead, log in again and retry
//   once; if the token is fine, the policy denies the path and the error stands.
import { raceAbort } from '../../kube/abort.js';
import { ProviderError, UnauthorizedError } from '../errors.js';
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

interface TokenState {
  token: string;
  renewable: boolean;
  /** Undefined for a token that never expires. */
  expiresAt?: number;
  refreshAt?: number;
  /** TTL right after login, to notice renewals capped by the max TTL. */
  loginTtlMs: number;
}

export class VaultSession {
  readonly #auth: VaultAuthMethod;
  readonly #api: VaultRequester;
  readonly #clock: ProviderClock;
  readonly #logger: ProviderLogger;
  readonly #provider: string;
  readonly #refreshFraction: number;
  readonly #minRefreshIntervalMs: number;
  readonly #closed = new AbortController();
  #state: TokenState | undefined;
  #pending: Promise<TokenState> | undefined;
  #probe: { token: string; rejected: Promise<boolean> } | undefined;
  #timer: unknown;

  constructor(options: VaultSessionOptions) {
    this.#auth = options.auth;
    this.#api = options.api;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#provider = options.provider;
    this.#refreshFraction = options.refreshFraction ?? 2 / 3;
    this.#minRefreshIntervalMs = options.minRefreshIntervalMs ?? 1_000;
  }

  /** A valid token, logging in when there is none. */
  async token(signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    const state = this.#state;
    if (state && !this.#expired(state)) {
      if (state.refreshAt !== undefined && this.#clock.now() >= state.refreshAt) this.#refreshInBackground();
      return state.token;
    }
    return (await raceAbort(this.#refresh(), signal)).token;
  }

  /** Runs a call with the token; a dead token is replaced and the call retried once. */
  async withToken<T>(signal: AbortSignal, call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.token(signal);
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      if (!(await raceAbort(this.#rejected(token), signal))) throw error;
      if (this.#state?.token === token) this.#forget();
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
    this.#forget();
  }

  #expired(state: TokenState): boolean {
    return state.expiresAt !== undefined && this.#clock.now() >= state.expiresAt;
  }

  #refresh(): Promise<TokenState> {
    if (!this.#pending) {
      this.#pending = this.#renewOrLogin().finally(() => (this.#pending = undefined));
      // Callers may all have given up (aborted) or the session closed; the failure is theirs to see.
      this.#pending.catch(() => {});
    }
    return this.#pending;
  }

  #refreshInBackground(): void {
    if (this.#pending || this.#closed.signal.aborted) return;
    this.#refresh().catch((error: unknown) => {
      this.#logger.warn({ provider: this.#provider, error: describe(error) }, 'Vault token refresh failed');
    });
  }

  async #renewOrLogin(): Promise<TokenState> {
    const signal = this.#closed.signal;
    const current = this.#state && !this.#expired(this.#state) ? this.#state : undefined;
    if (current?.renewable) {
      try {
        return this.#adopt(await renewSelf(this.#api, current.token, signal), current);
      } catch (error) {
        if (signal.aborted) throw error;
        // A rejected token needs a new login; anything else is retried later with the current token.
        if (!(error instanceof UnauthorizedError)) return this.#postpone(current, error);
      }
    }
    try {
      return this.#adopt(await this.#auth.login(signal));
    } catch (error) {
      if (signal.aborted || !current) throw error;
      return this.#postpone(current, error);
    }
  }

  #adopt(token: VaultToken, renewedFrom?: TokenState): TokenState {
    const now = this.#clock.now();
    const ttlMs = token.ttlSeconds * 1000;
    const loginTtlMs = renewedFrom ? renewedFrom.loginTtlMs : ttlMs;
    // Renewals capped by the token's max TTL shrink; replace such a token by a login in time.
    const renewable = token.renewable && !(renewedFrom && ttlMs < loginTtlMs / 2);
    const state: TokenState = { token: token.token, renewable, loginTtlMs };
    if (ttlMs > 0) {
      state.expiresAt = now + ttlMs;
      state.refreshAt =
        now + Math.max(ttlMs * this.#refreshFraction, Math.min(this.#minRefreshIntervalMs, ttlMs * 0.9));
    }
    this.#setState(state);
    this.#logger.debug(
      {
        provider: this.#provider,
        auth: this.#auth.method,
        ttlSeconds: token.ttlSeconds,
        renewed: !!renewedFrom,
      },
      renewedFrom ? 'Vault token renewed' : 'Vault login succeeded',
    );
    return state;
  }

  /** Keeps a still-valid token after a failed refresh and tries again later. */
  #postpone(current: TokenState, error: unknown): TokenState {
    const now = this.#clock.now();
    const remaining = current.expiresAt === undefined ? 60_000 : current.expiresAt - now;
    const retryIn = Math.max(this.#minRefreshIntervalMs, Math.min(30_000, remaining / 3));
    this.#logger.warn(
      { provider: this.#provider, error: describe(error), retryInMs: Math.round(retryIn) },
      'Vault token refresh failed; keeping the current token',
    );
    this.#setState({ ...current, refreshAt: now + retryIn });
    return current;
  }

  #setState(state: TokenState): void {
    if (this.#closed.signal.aborted) return;
    this.#state = state;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (state.refreshAt !== undefined) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#refreshInBackground();
      }, state.refreshAt - this.#clock.now());
    }
  }

  #forget(): void {
    this.#state = undefined;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Whether Vault rejects the token itself (rather than the path); one probe per token at a time. */
  #rejected(token: string): Promise<boolean> {
    if (this.#state?.token !== token) return Promise.resolve(true);
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

function describe(error: unknown): string {
  if (error instanceof ProviderError) return error.message;
  return error instanceof Error ? error.name : 'unknown error';
}
