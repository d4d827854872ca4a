// The one owner of when each SecretSource refreshes next, and of what its status announces.
//
// The reconciler asks whether a refresh is due and tells the schedule when a sync read its
// values; the schedule answers the requeueAfter the work queue's delay heap holds. It also keeps
// the status truthful at a bounded cost (docs/adr/0014): status.nextRefreshTime names a
// *checkpoint* — a refresh at which the status will be written — so it is never in the past for
// a healthy SecretSource, while refreshes between checkpoints write nothing. A checkpoint is the
// next refresh when the interval is an hour or more, and otherwise one refresh an hour, pulled to
// fall exactly on the announced time.
//
// A lease-driven SecretSource (dynamic credentials, docs/adr/0016) is planned by its leases
// instead (planAt): its next refresh is the next renewal or replacement, every one of which writes
// the status, so that time is itself the checkpoint and what a restart resumes from.
import type { ResolvedRefresh } from '../api/v1alpha1/index.js';
import type { Clock } from '../kube/clock.js';
import {
  InvalidScheduleError,
  intervalMs,
  MIN_REFRESH_DELAY_MS,
  nextRefreshAfterRead,
} from '../rotation/schedule.js';

/** How often, at most, a refresh that finds nothing new writes the status's two times. */
export const STATUS_CHECKPOINT_MS = 60 * 60 * 1000;
/** Checkpoints fall on whole seconds, like interval refreshes (REFRESH_ALIGNMENT_MS). */
const ALIGNMENT_MS = 1_000;

interface Plan {
  /** When the next refresh runs. */
  due: number;
  /** The refresh the status announced (nextRefreshTime); undefined before the first status write. */
  checkpoint?: number;
  /** Planned by leases (planAt): the due time is exact and is what the status announces. */
  byLease?: true;
}

/** What the status last said about refreshes, for picking up the schedule after a restart. */
export interface AnnouncedTimes {
  nextRefreshTime?: string;
  /** Recorded leases make nextRefreshTime exact: the next renewal or replacement (planAt). */
  leases?: readonly unknown[];
}

export class RefreshSchedule {
  readonly #plans = new Map<string, Plan>();
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor(clock: Clock, random: () => number) {
    this.#clock = clock;
    this.#random = random;
  }

  /**
   * When `key` is due. A key not seen yet (a restart, a leader change) keeps the checkpoint its
   * status announced, and refreshes no later than one interval from now.
   */
  dueAt(key: string, refresh: ResolvedRefresh, announced: AnnouncedTimes | undefined): number {
    return this.#plan(key, refresh, announced).due;
  }

  isDue(key: string, refresh: ResolvedRefresh, announced: AnnouncedTimes | undefined): boolean {
    return this.#clock.now() >= this.dueAt(key, refresh, announced);
  }

  /**
   * Plans the next refresh after a sync. `readAt`: when the oldest read the sync used started; an
   * interval counts from it (docs/adr/0008). A refresh that would pass the announced checkpoint
   * runs at the checkpoint instead. Returns the due time.
   */
  planAfterSync(key: string, refresh: ResolvedRefresh, readAt?: number): number {
    const now = this.#clock.now();
    const from = readAt === undefined ? undefined : new Date(readAt);
    let due = nextRefreshAfterRead(refresh, from, this.#random, new Date(now)).getTime();
    const checkpoint = this.#plans.get(key)?.checkpoint;
    if (checkpoint !== undefined && checkpoint > now && due > checkpoint) due = checkpoint;
    this.#plans.set(key, { due, ...(checkpoint === undefined ? {} : { checkpoint }) });
    return due;
  }

  /**
   * Plans the next refresh of a lease-driven source at `due` (lease-plan.ts), never sooner than
   * MIN_REFRESH_DELAY_MS from now. Every such refresh writes the status, so `due` is also what it
   * announces. Returns the due time.
   */
  planAt(key: string, due: number): number {
    const at = Math.max(due, this.#clock.now() + MIN_REFRESH_DELAY_MS);
    this.#plans.set(key, { due: at, checkpoint: at, byLease: true });
    return at;
  }

  /** Whether a refresh that found nothing new must write the status's times now. */
  checkpointDue(key: string): boolean {
    const checkpoint = this.#plans.get(key)?.checkpoint;
    return checkpoint === undefined || this.#clock.now() >= checkpoint;
  }

  /**
   * The status is being written: the refresh it announces (nextRefreshTime). The next refresh when
   * that is at least STATUS_CHECKPOINT_MS away; otherwise a refresh pulled to one checkpoint later.
   */
  announce(key: string): number {
    const now = this.#clock.now();
    const plan = this.#plans.get(key) ?? { due: now };
    if (plan.byLease) return plan.due;
    const floor = Math.ceil((now + STATUS_CHECKPOINT_MS) / ALIGNMENT_MS) * ALIGNMENT_MS;
    const checkpoint = plan.due >= now + STATUS_CHECKPOINT_MS ? plan.due : floor;
    this.#plans.set(key, { due: Math.min(plan.due, checkpoint), checkpoint });
    return checkpoint;
  }

  /**
   * A permanent failure waits for a change of the object or the next refresh slot, whatever the
   * refresh policy (the cause may go away). A schedule with no next slot waits for a change only.
   */
  requeueAfterFailure(key: string, refresh: ResolvedRefresh): number | undefined {
    try {
      return Math.max(0, this.planAfterSync(key, refresh) - this.#clock.now());
    } catch (error) {
      if (!(error instanceof InvalidScheduleError)) throw error;
      this.#plans.delete(key);
      return undefined;
    }
  }

  /** The queue's requeueAfter: only Periodic sources are woken by the clock. */
  requeueAfter(
    key: string,
    refresh: ResolvedRefresh,
    announced: AnnouncedTimes | undefined,
  ): number | undefined {
    if (refresh.policy !== 'Periodic') return undefined;
    return Math.max(0, this.dueAt(key, refresh, announced) - this.#clock.now());
  }

  forget(key: string): void {
    this.#plans.delete(key);
  }

  #plan(key: string, refresh: ResolvedRefresh, announced: AnnouncedTimes | undefined): Plan {
    const known = this.#plans.get(key);
    if (known !== undefined) return known;
    const now = this.#clock.now();
    const parsed = announced?.nextRefreshTime ? Date.parse(announced.nextRefreshTime) : NaN;
    if (Number.isNaN(parsed)) {
      const plan = { due: now };
      this.#plans.set(key, plan);
      return plan;
    }
    // Lease-driven: the announced time is the next renewal or replacement, exactly.
    if (announced?.leases?.length) {
      const plan = { due: parsed, checkpoint: parsed, byLease: true as const };
      this.#plans.set(key, plan);
      return plan;
    }
    // Between checkpoints the last refresh is not recorded: refresh within one interval.
    const interval = safeIntervalMs(refresh);
    const due = interval === undefined ? parsed : Math.min(parsed, now + interval);
    const plan = { due, checkpoint: parsed };
    this.#plans.set(key, plan);
    return plan;
  }
}

function safeIntervalMs(refresh: ResolvedRefresh): number | undefined {
  try {
    return intervalMs(refresh);
  } catch {
    return undefined;
  }
}
