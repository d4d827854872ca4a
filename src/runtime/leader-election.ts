// Leader election on a coordination.k8s.io Lease, after client-go's leaderelection package: one
// replica writes, standbys keep their caches warm and take over when the lease is released or expires.
import { systemClock, type Clock, type TimerHandle } from '../kube/clock.js';
import { FailureLogThrottle } from './failure-log-throttle.js';
import {
  LeaseConflictError,
  LeaseRequestError,
  type LeaseKey,
  type LeaseRecord,
  type LeaseStore,
} from './lease-store.js';
import { safeErrorMessage, serializeError } from './logger.js';

export type StepDownReason =
  /** Renewals kept failing until renewDeadline passed; another replica may take over soon. */
  | 'renew-deadline'
  /** The lease was found held by another replica. */
  | 'lost'
  /** release() gave the lease back. */
  | 'released';

export interface ElectionLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  debug(object: object, message: string): void;
}

export interface LeaderElectorOptions {
  lease: LeaseKey;
  /** Unique per process (pod name plus a random suffix), so a restarted container does not inherit leadership blindly. */
  identity: string;
  store: LeaseStore;
  clock?: Clock;
  /** In [0, 1), for retry jitter. */
  random?: () => number;
  /** How long a lease stays valid after its last renewal. Default 15. */
  leaseDurationSeconds?: number;
  /** The leader steps down when it has not renewed for this long. Default 10. */
  renewDeadlineSeconds?: number;
  /** Time between attempts to acquire or renew. Default 2. */
  retryPeriodSeconds?: number;
  /** The same failure to take or renew the Lease is logged again after this long. Default 300. */
  failureLogIntervalSeconds?: number;
  onStartedLeading?: () => void;
  /** The caller must stop writing at once. */
  onStoppedLeading?: (reason: StepDownReason) => void;
  /** A replica (possibly this one) was seen holding the lease. */
  onNewLeader?: (identity: string) => void;
  logger?: ElectionLogger;
}

export class LeaderElectionConfigError extends Error {
  readonly reason = 'InvalidLeaderElectionConfig';

  constructor(message: string) {
    super(message);
    this.name = 'LeaderElectionConfigError';
  }
}

/** Candidates wait retryPeriod × (1 + random × JITTER_FACTOR) between acquire attempts, as in client-go. */
export const JITTER_FACTOR = 1.2;

type AttemptResult = 'held' | 'held-by-other' | 'conflict' | 'failed' | 'timed-out';

interface Attempt {
  result: AttemptResult;
  /** Why it failed, for 'failed'. */
  error?: unknown;
}

export class LeaderElector {
  readonly #lease: LeaseKey;
  readonly #identity: string;
  readonly #store: LeaseStore;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #options: LeaderElectorOptions;
  readonly #logger: ElectionLogger | undefined;
  readonly #failures: FailureLogThrottle;

  #running = false;
  #leading = false;
  #attemptTimer: TimerHandle | undefined;
  #deadlineTimer: TimerHandle | undefined;
  #inFlight: Promise<void> | undefined;
  /** The last lease seen, and the local time its resourceVersion was first seen (client-go's observedTime). */
  #observed: { record: LeaseRecord; at: number } | undefined;
  #leader: string | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#lease = options.lease;
    this.#identity = options.identity;
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger;
    const leaseDuration = options.leaseDurationSeconds ?? 15;
    const renewDeadline = options.renewDeadlineSeconds ?? 10;
    const retryPeriod = options.retryPeriodSeconds ?? 2;
    if (options.identity.trim() === '')
      throw new LeaderElectionConfigError('leader election: identity is empty');
    if (
      !(retryPeriod > 0) ||
      !(renewDeadline > retryPeriod * JITTER_FACTOR) ||
      !(leaseDuration > renewDeadline)
    ) {
      throw new LeaderElectionConfigError(
        `leader election: need leaseDuration (${leaseDuration}s) > renewDeadline (${renewDeadline}s) > ` +
          `${JITTER_FACTOR} × retryPeriod (${retryPeriod}s) > 0`,
      );
    }
    this.#leaseDurationMs = leaseDuration * 1_000;
    this.#renewDeadlineMs = renewDeadline * 1_000;
    this.#retryPeriodMs = retryPeriod * 1_000;
    this.#failures = new FailureLogThrottle((options.failureLogIntervalSeconds ?? 300) * 1_000);
  }

  /** Starts competing for the lease; the first attempt runs at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleAttempt(0);
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last seen on the lease, if any. */
  currentLeader(): string | undefined {
    return this.#leader;
  }

  /**
   * Stops competing and, if this replica holds the lease, hands it back (empty holder) so a standby
   * takes over at once instead of waiting for it to expire. Call after in-flight writes have finished.
   * Resolves true when the lease was handed back; failures are logged, as the lease expires anyway.
   */
  async release(): Promise<boolean> {
    const wasRunning = this.#running;
    this.#running = false;
    this.#clock.clearTimeout(this.#attemptTimer);
    this.#attemptTimer = undefined;
    if (this.#inFlight) await this.#inFlight;
    const wasLeading = this.#leading;
    let released = false;
    if (wasRunning || wasLeading) {
      try {
        released = await this.#giveBack();
      } catch (error) {
        this.#logger?.warn(
          { lease: this.#lease, err: serializeError(error) },
          'could not release leader lease',
        );
      }
    }
    if (wasLeading) this.#stepDown('released');
    return released;
  }

  #scheduleAttempt(delayMs: number): void {
    if (!this.#running) return;
    this.#attemptTimer = this.#clock.setTimeout(() => {
      this.#attemptTimer = undefined;
      this.#inFlight = this.#attempt().finally(() => {
        this.#inFlight = undefined;
      });
    }, delayMs);
  }

  async #attempt(): Promise<void> {
    const startedAt = this.#clock.now();
    const attempt = await this.#withTimeout(this.#tryAcquireOrRenew(startedAt), this.#renewDeadlineMs);
    if (!this.#running) return;
    this.#logOutcome(attempt);
    const { result } = attempt;

    // Validity counts from when the renewal was sent, not when the answer came back.
    if (result === 'held' && this.#clock.now() - startedAt < this.#renewDeadlineMs) {
      this.#armDeadline(startedAt + this.#renewDeadlineMs);
      if (!this.#leading) {
        this.#leading = true;
        this.#logger?.info({ lease: this.#lease, identity: this.#identity }, 'became leader');
        this.#callback(() => this.#options.onStartedLeading?.());
      }
      this.#scheduleAttempt(this.#retryPeriodMs);
      return;
    }
    if (this.#leading && result === 'held-by-other') this.#stepDown('lost');
    const delay = this.#leading
      ? this.#retryPeriodMs
      : this.#retryPeriodMs * (1 + this.#random() * JITTER_FACTOR);
    this.#scheduleAttempt(delay);
  }

  /**
   * Every failure to take or renew the Lease is a warning naming it and the error (a candidate
   * that cannot take it would otherwise wait in silence), rate-limited by FailureLogThrottle.
   */
  #logOutcome({ result, error }: Attempt): void {
    const lease = `${this.#lease.namespace}/${this.#lease.name}`;
    if (result === 'failed' || result === 'timed-out') {
      const detail =
        result === 'timed-out'
          ? `no answer from the API server within ${this.#renewDeadlineMs / 1_000}s`
          : safeErrorMessage(error);
      const message = `cannot ${this.#leading ? 'renew' : 'take'} Lease ${lease}: ${detail}`;
      const report = this.#failures.failed(message, this.#clock.now());
      if (report === undefined) return;
      const request =
        error instanceof LeaseRequestError
          ? { operation: error.operation, statusCode: error.statusCode }
          : {};
      this.#logger?.warn({ lease: this.#lease, ...request, failedAttempts: report.failedAttempts }, message);
      return;
    }
    if (result === 'conflict') this.#logger?.debug({ lease: this.#lease }, 'leader lease write conflicted');
    const failedAttempts = this.#failures.succeeded();
    if (failedAttempts > 0) {
      this.#logger?.info(
        { lease: this.#lease, failedAttempts },
        `Lease ${lease} answers again after ${failedAttempts} failed attempts`,
      );
    }
  }

  async #tryAcquireOrRenew(now: number): Promise<Attempt> {
    try {
      const current = await this.#store.get(this.#lease);
      if (current === undefined) {
        const created = await this.#store.create(this.#lease, {
          holderIdentity: this.#identity,
          leaseDurationSeconds: Math.ceil(this.#leaseDurationMs / 1_000),
          acquireTime: new Date(now),
          renewTime: new Date(now),
          leaseTransitions: 0,
        });
        this.#observe(created);
        return { result: 'held' };
      }
      this.#observe(current);
      const ours = current.holderIdentity === this.#identity;
      // A leader that finds another holder has lost, even if that holder's lease looks expired: it steps
      // down first and competes again as a candidate.
      if (!ours && this.#leading) return { result: 'held-by-other' };
      if (!ours && current.holderIdentity !== '' && !this.#expired(current, now))
        return { result: 'held-by-other' };

      const updated = await this.#store.update(this.#lease, {
        ...current,
        holderIdentity: this.#identity,
        leaseDurationSeconds: Math.ceil(this.#leaseDurationMs / 1_000),
        renewTime: new Date(now),
        acquireTime: ours && current.acquireTime ? current.acquireTime : new Date(now),
        leaseTransitions: ours ? current.leaseTransitions : current.leaseTransitions + 1,
      });
      this.#observe(updated);
      return { result: 'held' };
    } catch (error) {
      if (error instanceof LeaseConflictError) return { result: 'conflict' };
      return { result: 'failed', error };
    }
  }

  // Expired by the lease's own renewTime AND by our local observation of it: the second guards against
  // a clock running ahead of the holder's, at the cost of a new replica waiting one lease duration.
  #expired(record: LeaseRecord, now: number): boolean {
    const duration =
      record.leaseDurationSeconds > 0 ? record.leaseDurationSeconds * 1_000 : this.#leaseDurationMs;
    const renewedAt = record.renewTime?.getTime() ?? Number.NEGATIVE_INFINITY;
    const observedAt = this.#observed?.at ?? now;
    return now >= renewedAt + duration && now >= observedAt + duration;
  }

  #observe(record: LeaseRecord): void {
    if (this.#observed?.record.resourceVersion !== record.resourceVersion) {
      this.#observed = { record, at: this.#clock.now() };
    }
    const holder = record.holderIdentity;
    if (holder !== '' && holder !== this.#leader) {
      this.#logger?.info({ lease: this.#lease, leader: holder }, 'new leader observed');
      this.#callback(() => this.#options.onNewLeader?.(holder));
    }
    this.#leader = holder === '' ? undefined : holder;
  }

  async #giveBack(): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const current = await this.#store.get(this.#lease);
      if (current === undefined || current.holderIdentity !== this.#identity) return false;
      const now = this.#clock.now();
      try {
        const released = await this.#store.update(this.#lease, {
          ...current,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: new Date(now),
          renewTime: new Date(now),
        });
        this.#observe(released);
        this.#logger?.info({ lease: this.#lease }, 'released leader lease');
        return true;
      } catch (error) {
        if (!(error instanceof LeaseConflictError)) throw error;
      }
    }
    return false;
  }

  #armDeadline(at: number): void {
    this.#clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = this.#clock.setTimeout(() => {
      this.#deadlineTimer = undefined;
      if (!this.#leading) return;
      this.#logger?.warn(
        { lease: this.#lease },
        'could not renew leader lease before the deadline, stepping down',
      );
      this.#stepDown('renew-deadline');
    }, at - this.#clock.now());
  }

  #stepDown(reason: StepDownReason): void {
    this.#clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    if (!this.#leading) return;
    this.#leading = false;
    this.#logger?.info({ lease: this.#lease, reason }, 'stopped leading');
    this.#callback(() => this.#options.onStoppedLeading?.(reason));
  }

  #withTimeout(attempt: Promise<Attempt>, ms: number): Promise<Attempt> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => resolve({ result: 'timed-out' }), ms);
      void attempt.then((result) => {
        this.#clock.clearTimeout(timer);
        resolve(result);
      });
    });
  }

  #callback(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.#logger?.warn(
        { lease: this.#lease, err: serializeError(error) },
        'leader election callback threw',
      );
    }
  }
}
