// Turns what was fetched for spec.data[] and spec.dataFrom[] into one
// key → bytes map: values decoded, dataFrom keys rewritten, and every key
// produced twice refused unless spec.duplicateKeys is LastWins. Refusing is
// the default (docs/secret-types.md, docs/adr/0007-duplicate-keys.md):
// silently letting one win hides a typo until the wrong value reaches a
// workload. LastWins applies ESO's order, the one order users already know.
import type { Decoding, DuplicateKeysPolicy, Rewrite } from '../api/v1alpha1/index.js';
import { decodeValue } from './decoding.js';
import { SecretSpecError } from './errors.js';
import { quoteKey } from './keys.js';
import { compileRewrites, rewriteKey } from './rewrite.js';

/** One spec.data[] entry with its fetched value. */
export interface FetchedDataEntry {
  key: string;
  value: Buffer;
  decoding?: Decoding;
}

/** One spec.dataFrom[] entry with the map it fetched (remote key → value). */
export interface FetchedDataFrom {
  values: ReadonlyMap<string, Buffer>;
  decoding?: Decoding;
  rewrite?: readonly Readonly<Rewrite>[];
}

/** A key LastWins gave to a later entry: names and places only, never values. */
export interface ReplacedKey {
  key: string;
  /** Where the replaced value came from, e.g. `dataFrom[0]`. */
  replaced: string;
  /** Where the value that won came from, e.g. `data[1]`. */
  by: string;
}

export interface MappedData {
  values: Map<string, Buffer>;
  /** Where each key came from, for messages: `data[0]`, `dataFrom[1] (remote key "a/b")`. */
  origins: Map<string, string>;
  /** In the order they happened; always empty under the Error policy. */
  replaced: ReplacedKey[];
}

export interface KeyMappingOptions {
  /** spec.duplicateKeys; default Error. */
  duplicateKeys?: DuplicateKeysPolicy;
}

/**
 * Entries are applied in this order: dataFrom[0], dataFrom[1], …, then data[0], data[1], …;
 * within one dataFrom entry, remote keys in sorted order. Every value is decoded, a replaced one
 * too, so a value that does not decode is an error whichever entry wins.
 */
export function mapFetchedData(
  data: readonly FetchedDataEntry[],
  dataFrom: readonly FetchedDataFrom[],
  options: KeyMappingOptions = {},
): MappedData {
  const lastWins = options.duplicateKeys === 'LastWins';
  const values = new Map<string, Buffer>();
  const origins = new Map<string, string>();
  const replaced: ReplacedKey[] = [];
  const put = (key: string, value: Buffer, origin: string): void => {
    const previous = origins.get(key);
    if (previous !== undefined) {
      if (!lastWins) {
        throw new SecretSpecError(`key ${quoteKey(key)} is produced by both ${previous} and ${origin}`);
      }
      replaced.push({ key, replaced: previous, by: origin });
    }
    origins.set(key, origin);
    values.set(key, value);
  };

  dataFrom.forEach((entry, index) => {
    const where = `dataFrom[${index}]`;
    const rewrites = compileRewrites(entry.rewrite ?? [], where);
    // Sorted so the result (which duplicate is reported, or which one wins) does not depend on
    // the order the backend listed the keys in.
    for (const remoteKey of [...entry.values.keys()].sort()) {
      const origin = rewrites.length > 0 ? `${where} (remote key ${quoteKey(remoteKey)})` : where;
      const key = rewriteKey(remoteKey, rewrites);
      const value = decodeValue(
        entry.values.get(remoteKey)!,
        entry.decoding ?? 'None',
        `${origin}, key ${quoteKey(key)}`,
      );
      put(key, value, origin);
    }
  });
  data.forEach((entry, index) => {
    const where = `data[${index}]`;
    put(
      entry.key,
      decodeValue(entry.value, entry.decoding ?? 'None', `${where} (key ${quoteKey(entry.key)})`),
      where,
    );
  });
  return { values, origins, replaced };
}
