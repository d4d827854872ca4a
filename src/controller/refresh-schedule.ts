// The one owner of when each SecretSource refreshes next. The reconciler asks
// it whether a refresh is due and tells it when a sync read its values; it
// answers the due time (for status.nextRefreshTime) and the requeueAfter the
// work queue's delay heap then holds. After a restart the schedule the status
// announced is kept, so a restart does not refresh everything at once.
import type { ResolvedRefresh } from '../api/v1alpha1/index.js';
import type { Clock } from '../kube/clock.js';
import { InvalidScheduleError, nextRefreshAfterRead } from '../rotation/schedule.js';

export class RefreshSchedule {
  readonly #dueAt = new Map<string, number>();
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor(clock: Clock, random: () => number) {
    this.#clock = clock;
    this.#random = random;
  }

  /** When `key` is due; unknown keys (a restart) take the status's announcement, else now. */
  dueAt(key: string, announced: string | undefined): number {
    const known = this.#dueAt.get(key);
    if (known !== undefined) return known;
    const parsed = announced ? Date.parse(announced) : NaN;
    const due = Number.isNaN(parsed) ? this.#clock.now() : parsed;
    this.#dueAt.set(key, due);
    return due;
  }

  isDue(key: string, announced: string | undefined): boolean {
    return this.#clock.now() >= this.dueAt(key, announced);
  }

  /**
   * Plans the next refresh after a sync. `readAt`: when the oldest read the sync used started; an
   * interval counts from it (docs/adr/0008). Returns the due time.
   */
  planAfterSync(key: string, refresh: ResolvedRefresh, readAt?: number): number {
    const now = new Date(this.#clock.now());
    const from = readAt === undefined ? undefined : new Date(readAt);
    const due = nextRefreshAfterRead(refresh, from, this.#random, now).getTime();
    this.#dueAt.set(key, due);
    return due;
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
      this.#dueAt.delete(key);
      return undefined;
    }
  }

  /** The queue's requeueAfter: only Periodic sources are woken by the clock. */
  requeueAfter(key: string, refresh: ResolvedRefresh, announced: string | undefined): number | undefined {
    if (refresh.policy !== 'Periodic') return undefined;
    return Math.max(0, this.dueAt(key, announced) - this.#clock.now());
  }

  forget(key: string): void {
    this.#dueAt.delete(key);
  }
}
