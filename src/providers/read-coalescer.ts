// Identical remote reads are done once: reads in flight are shared, and a result is reused for
// windowMs — or for as long as the caller says it may be old (maxAgeMs: a periodic refresh accepts
// half its interval, see src/rotation/schedule.ts) — unless the caller asks for a fresh read
// (force-sync). Errors are not reused. Callers learn when the read they got started (onRead), so a
// refresh that used an older shared read schedules its next one from that time: content never gets
// older than one interval, and SecretSources sharing a path fall into the same refresh phase. This
// is how 1,000 SecretSources over 10 paths make about 10 calls per refresh (docs/adr/0005, 0008).
import { raceAbort } from '../kube/abort.js';
import type { CachedProviderClient } from './client-cache.js';
import { propertyOf, valueMap } from './property.js';
import {
  systemProviderClock,
  type ProviderClock,
  type ProviderWarning,
  type RemoteRef,
  type RemoteValue,
} from './types.js';

export interface ReadCoalescerOptions {
  /** How long a result is reused. Default 5 s. */
  windowMs?: number;
  clock?: ProviderClock;
}

export interface ReadOptions {
  /** Skip reused results and reads started by non-fresh callers (force-sync). */
  fresh?: boolean;
  /** Reuse a finished read younger than this (measured from when it started). Default: windowMs. */
  maxAgeMs?: number;
  /** Called with the time (clock ms) the read this caller gets started. */
  onRead?: (startedAt: number) => void;
  /** Called with each warning of the document this caller gets (CoalescingReader). */
  onWarning?: (warning: ProviderWarning) => void;
  signal: AbortSignal;
}

interface Slot {
  promise: Promise<unknown>;
  fresh: boolean;
  waiters: number;
  startedAt: number;
  settledAt?: number;
  /** Kept for reuse this long after it started: the longest maxAgeMs a caller asked with. */
  retainMs: number;
  controller: AbortController;
}

/** Generic: one load per key at a time, results reused for a window. */
export class ReadCoalescer {
  readonly #windowMs: number;
  readonly #clock: ProviderClock;
  readonly #slots = new Map<string, Slot>();
  #lastPrune = 0;

  constructor(options: ReadCoalescerOptions = {}) {
    this.#windowMs = options.windowMs ?? 5_000;
    this.#clock = options.clock ?? systemProviderClock;
  }

  /** Keys held (in flight or reusable), for tests. */
  get size(): number {
    return this.#slots.size;
  }

  async read<T>(key: string, load: (signal: AbortSignal) => Promise<T>, options: ReadOptions): Promise<T> {
    const now = this.#clock.now();
    this.#prune(now);
    const maxAgeMs = options.maxAgeMs ?? this.#windowMs;
    let slot = this.#slots.get(key);
    if (slot?.settledAt !== undefined) {
      if (options.fresh || now - slot.startedAt >= maxAgeMs) slot = undefined;
    } else if (slot && options.fresh && !slot.fresh) {
      // A read that started before the force-sync may miss the change the user wants to see.
      slot = undefined;
    }
    slot ??= this.#start(key, load, options.fresh ?? false, now);
    slot.retainMs = Math.max(slot.retainMs, maxAgeMs);
    options.onRead?.(slot.startedAt);
    if (slot.settledAt !== undefined) return slot.promise as Promise<T>;
    return this.#wait(key, slot, options.signal) as Promise<T>;
  }

  #start<T>(key: string, load: (signal: AbortSignal) => Promise<T>, fresh: boolean, now: number): Slot {
    const controller = new AbortController();
    const slot: Slot = {
      promise: Promise.resolve(),
      fresh,
      waiters: 0,
      startedAt: now,
      retainMs: this.#windowMs,
      controller,
    };
    slot.promise = load(controller.signal).then(
      (value) => {
        slot.settledAt = this.#clock.now();
        return value;
      },
      (error: unknown) => {
        if (this.#slots.get(key) === slot) this.#slots.delete(key);
        throw error;
      },
    );
    slot.promise.catch(() => {});
    this.#slots.set(key, slot);
    return slot;
  }

  async #wait(key: string, slot: Slot, signal: AbortSignal): Promise<unknown> {
    slot.waiters++;
    try {
      return await raceAbort(slot.promise, signal);
    } finally {
      slot.waiters--;
      // Nobody wants this read any more: stop it instead of finishing a call for no one.
      if (slot.waiters === 0 && slot.settledAt === undefined && signal.aborted) {
        slot.controller.abort(signal.reason);
        if (this.#slots.get(key) === slot) this.#slots.delete(key);
      }
    }
  }

  #prune(now: number): void {
    if (now - this.#lastPrune < this.#windowMs) return;
    this.#lastPrune = now;
    for (const [key, slot] of this.#slots) {
      if (slot.settledAt !== undefined && now - slot.startedAt >= slot.retainMs) this.#slots.delete(key);
    }
  }
}

/**
 * Provider reads through a ReadCoalescer. Reads are shared at document level ({path, version}):
 * `property` and `dataFrom` maps are taken from the shared document locally (see types.ts), so refs
 * that differ only in property cost one call. Every caller gets its own Buffers.
 */
export class CoalescingReader {
  readonly #coalescer: ReadCoalescer;

  constructor(coalescer: ReadCoalescer = new ReadCoalescer()) {
    this.#coalescer = coalescer;
  }

  async get(client: CachedProviderClient, ref: RemoteRef, options: ReadOptions): Promise<RemoteValue> {
    const document = await this.#document(client, ref, options);
    if (ref.property === undefined) return { ...document, value: Buffer.from(document.value) };
    return propertyOf(document, ref.property, { provider: client.description, path: ref.path });
  }

  /** Every top-level key of the document at `ref.path` (dataFrom). */
  async getMap(
    client: CachedProviderClient,
    ref: Omit<RemoteRef, 'property'>,
    options: ReadOptions,
  ): Promise<Map<string, Buffer>> {
    const document = await this.#document(client, ref, options);
    return valueMap(document, { provider: client.description, path: ref.path });
  }

  async #document(client: CachedProviderClient, ref: RemoteRef, options: ReadOptions): Promise<RemoteValue> {
    const documentRef: RemoteRef =
      ref.version === undefined ? { path: ref.path } : { path: ref.path, version: ref.version };
    const key = JSON.stringify([client.key, ref.path, ref.version ?? null]);
    const document = await this.#coalescer.read(key, (signal) => client.get(documentRef, signal), options);
    for (const warning of document.warnings ?? []) options.onWarning?.(warning);
    return document;
  }
}
