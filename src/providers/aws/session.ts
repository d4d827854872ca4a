// One set of AWS credentials per client, loaded once and replaced before it expires, instead of a
// credential load (and an STS call) per reconcile:
// - long-lived keys (no expiration) are loaded once; the client cache rebuilds the client when the
//   credentials Secret changes;
// - temporary credentials are replaced once less than `refreshMargin` of their lifetime is left
//   (a third, at least 5 minutes, the window the AWS SDK itself treats as "about to expire"): the
//   first call past that point starts a refresh and still uses the current credentials;
// - a failed refresh keeps the current credentials while they are valid and is retried after a pause,
//   so a flapping STS causes no storm; concurrent callers share one load.
import { raceAbort } from '../../kube/abort.js';
import { ProviderError, UnavailableError } from '../errors.js';
import type { ProviderClock, ProviderLogger } from '../types.js';
import type { AwsCredentials } from './sts.js';

export type CredentialLoader = (signal: AbortSignal) => Promise<AwsCredentials>;

export interface AwsCredentialSessionOptions {
  load: CredentialLoader;
  clock: ProviderClock;
  logger: ProviderLogger;
  /** Provider description for logs. */
  provider: string;
  /** What is loaded, for logs: 'secretRef', 'webIdentity', 'assumeRole'. */
  source: string;
  /** Credentials count as expired this long before their expiration (clock skew, slow requests). */
  expirySkewMs?: number;
  /** Smallest pause before retrying a failed refresh. Default 5 s. */
  minRetryMs?: number;
}

/** What the SDK calls to get credentials (an AwsCredentialIdentityProvider). */
export type AwsCredentialProvider = () => Promise<AwsCredentials>;

const FIVE_MINUTES = 5 * 60_000;

interface State {
  credentials: AwsCredentials;
  /** Undefined for credentials that do not expire. */
  usableUntil?: number;
  refreshAt?: number;
}

export class AwsCredentialSession {
  readonly #load: CredentialLoader;
  readonly #clock: ProviderClock;
  readonly #logger: ProviderLogger;
  readonly #provider: string;
  readonly #source: string;
  readonly #expirySkewMs: number;
  readonly #minRetryMs: number;
  readonly #closed = new AbortController();
  #state: State | undefined;
  #pending: Promise<State> | undefined;

  constructor(options: AwsCredentialSessionOptions) {
    this.#load = options.load;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#provider = options.provider;
    this.#source = options.source;
    this.#expirySkewMs = options.expirySkewMs ?? 30_000;
    this.#minRetryMs = options.minRetryMs ?? 5_000;
  }

  /** For the SDK's `credentials` option. */
  readonly provider: AwsCredentialProvider = () => this.credentials(this.#closed.signal);

  /** Valid credentials, loading them when there are none or they expired. */
  async credentials(signal: AbortSignal): Promise<AwsCredentials> {
    signal.throwIfAborted();
    const state = this.#state;
    if (state && !this.#expired(state)) {
      if (state.refreshAt !== undefined && this.#clock.now() >= state.refreshAt) this.#refreshInBackground();
      return state.credentials;
    }
    return (await raceAbort(this.#refresh(), signal)).credentials;
  }

  close(): void {
    this.#closed.abort(
      new UnavailableError({ provider: this.#provider }, 'the AWS client was closed; retry'),
    );
    this.#state = undefined;
  }

  #expired(state: State): boolean {
    return state.usableUntil !== undefined && this.#clock.now() >= state.usableUntil;
  }

  #refresh(): Promise<State> {
    if (!this.#pending) {
      this.#pending = this.#loadState().finally(() => (this.#pending = undefined));
      // Every caller may have given up (aborted); the failure is theirs to see, not an unhandled one.
      this.#pending.catch(() => {});
    }
    return this.#pending;
  }

  #refreshInBackground(): void {
    if (this.#pending || this.#closed.signal.aborted) return;
    this.#refresh().catch(() => {
      // #loadState logged it and kept the current credentials.
    });
  }

  async #loadState(): Promise<State> {
    const current = this.#state && !this.#expired(this.#state) ? this.#state : undefined;
    let credentials: AwsCredentials;
    try {
      credentials = await this.#load(this.#closed.signal);
    } catch (error) {
      if (this.#closed.signal.aborted || !current) throw error;
      return this.#postpone(current, error);
    }
    const state = this.#stateOf(credentials);
    if (!this.#closed.signal.aborted) this.#state = state;
    this.#logger.debug(
      {
        provider: this.#provider,
        source: this.#source,
        ...(credentials.expiration ? { expiresAt: credentials.expiration.toISOString() } : {}),
      },
      'AWS credentials loaded',
    );
    return state;
  }

  #stateOf(credentials: AwsCredentials): State {
    const state: State = { credentials };
    if (credentials.expiration === undefined) return state;
    const now = this.#clock.now();
    const expiresAt = credentials.expiration.getTime();
    const lifetime = Math.max(0, expiresAt - now);
    // A third of the lifetime, at least 5 minutes; for very short lifetimes, half of it.
    const margin = Math.min(Math.max(lifetime / 3, FIVE_MINUTES), lifetime / 2);
    state.usableUntil = expiresAt - Math.min(this.#expirySkewMs, lifetime / 4);
    state.refreshAt = expiresAt - margin;
    return state;
  }

  /** Keeps still-valid credentials after a failed refresh and tries again later. */
  #postpone(current: State, error: unknown): State {
    const now = this.#clock.now();
    const remaining = current.usableUntil === undefined ? 60_000 : current.usableUntil - now;
    const retryIn = Math.max(this.#minRetryMs, Math.min(30_000, remaining / 3));
    this.#logger.warn(
      {
        provider: this.#provider,
        source: this.#source,
        error: describe(error),
        retryInMs: Math.round(retryIn),
      },
      'AWS credential refresh failed; keeping the current credentials',
    );
    const state: State = { ...current, refreshAt: now + retryIn };
    this.#state = state;
    return state;
  }
}

function describe(error: unknown): string {
  if (error instanceof ProviderError) return error.message;
  return error instanceof Error ? error.name : 'unknown error';
}
