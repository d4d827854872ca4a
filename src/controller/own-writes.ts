// What this process last wrote to each SecretSource (status, finalizer). A
// reconcile woken by our own write often runs before the informer's copy has
// caught up; acting on that stale copy would re-fetch and re-write what was
// just written. This is a read-your-own-writes view, valid while the object's
// uid (and, for status, its generation) stays the same.
import type { SecretSourceStatus } from '../api/v1alpha1/index.js';

interface Written {
  uid: string;
  generation?: number;
  status?: SecretSourceStatus;
  finalizer?: boolean;
}

export class OwnWrites {
  readonly #byKey = new Map<string, Written>();

  /** The status to reason about: ours if the informer's copy is older than our last write. */
  status(
    key: string,
    uid: string | undefined,
    generation: number | undefined,
    observed: SecretSourceStatus | undefined,
  ) {
    const written = this.#current(key, uid);
    if (written?.status === undefined || written.generation !== generation) return observed;
    return written.status;
  }

  recordStatus(
    key: string,
    uid: string | undefined,
    generation: number | undefined,
    status: SecretSourceStatus,
  ): void {
    if (!uid) return;
    const written = this.#current(key, uid) ?? { uid };
    this.#byKey.set(key, { ...written, generation, status });
  }

  finalizer(key: string, uid: string | undefined, observed: boolean): boolean {
    return this.#current(key, uid)?.finalizer ?? observed;
  }

  recordFinalizer(key: string, uid: string | undefined, present: boolean): void {
    if (!uid) return;
    const written = this.#current(key, uid) ?? { uid };
    this.#byKey.set(key, { ...written, finalizer: present });
  }

  forget(key: string): void {
    this.#byKey.delete(key);
  }

  #current(key: string, uid: string | undefined): Written | undefined {
    const written = this.#byKey.get(key);
    return written && written.uid === uid ? written : undefined;
  }
}
