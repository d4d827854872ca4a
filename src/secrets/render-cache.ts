// Rendered templates, kept so that a refresh whose values and templates did not change renders
// nothing: a quiet refresh then costs a digest of the values instead of a render. Rendering is
// deterministic (template-engine.ts reads no clock and no randomness), so a result keyed by the
// template and a digest of every value it could see is the result a new render would give.
// Failures are not kept. The cache holds rendered Secret data, like the Secret itself and the
// reads the CoalescingReader shares; it is bounded in bytes and drops the least recently used.
import { createHash } from 'node:crypto';

/** Rendered bytes kept by the process-wide cache. */
export const RENDER_CACHE_MAX_BYTES = 32 * 1024 * 1024;

export interface RenderCacheOptions {
  maxBytes?: number;
}

export class RenderCache {
  readonly #maxBytes: number;
  /** Insertion order is recency order: a hit moves its entry to the end. */
  readonly #entries = new Map<string, Buffer | string>();
  #bytes = 0;
  /** Lookups answered from the cache (for tests and curiosity). */
  hits = 0;

  constructor(options: RenderCacheOptions = {}) {
    this.#maxBytes = options.maxBytes ?? RENDER_CACHE_MAX_BYTES;
  }

  /** A digest of every value a template of the build can read, names included. */
  static digestValues(values: ReadonlyMap<string, Buffer>): string {
    const hash = createHash('sha256');
    for (const key of [...values.keys()].sort()) {
      const value = values.get(key)!;
      hash.update(`${Buffer.byteLength(key)}:${key}:${value.length}:`).update(value);
    }
    return hash.digest('hex');
  }

  /** The cache key of one render: its kind, its template and the values' digest. */
  static key(kind: string, source: string, valuesDigest: string): string {
    return createHash('sha256').update(`${kind}\0${valuesDigest}\0`).update(source).digest('hex');
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** What was rendered for `key` (bytes are a copy), if kept. */
  get(key: string): Buffer | string | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.hits++;
    return typeof entry === 'string' ? entry : Buffer.from(entry);
  }

  set(key: string, rendered: Buffer | string): void {
    const size = sizeOf(rendered);
    if (size > this.#maxBytes) return;
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= sizeOf(previous);
    }
    this.#entries.set(key, typeof rendered === 'string' ? rendered : Buffer.from(rendered));
    this.#bytes += size;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= sizeOf(entry);
    }
  }
}

/** Bytes an entry holds (a JavaScript string: two per UTF-16 unit). */
const sizeOf = (entry: Buffer | string): number =>
  typeof entry === 'string' ? entry.length * 2 : entry.length;

/** The process-wide cache every TemplateRenderer uses unless told otherwise. */
export const renderCache = new RenderCache();
