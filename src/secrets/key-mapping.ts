// Turns what was fetched for spec.data[] and spec.dataFrom[] into one
// key → bytes map: values decoded, dataFrom keys rewritten, and every key
// produced twice refused. A key from two places is a spec error by design
// (docs/secret-types.md): silently letting one win hides a typo until the
// wrong value reaches a workload.
import type { Decoding, Rewrite } from '../api/v1alpha1/index.js';
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

export interface MappedData {
  values: Map<string, Buffer>;
  /** Where each key came from, for messages: `data[0]`, `dataFrom[1] (remote key "a/b")`. */
  origins: Map<string, string>;
}

export function mapFetchedData(
  data: readonly FetchedDataEntry[],
  dataFrom: readonly FetchedDataFrom[],
): MappedData {
  const values = new Map<string, Buffer>();
  const origins = new Map<string, string>();
  const put = (key: string, value: Buffer, origin: string): void => {
    const previous = origins.get(key);
    if (previous !== undefined) {
      throw new SecretSpecError(`key ${quoteKey(key)} is produced by both ${previous} and ${origin}`);
    }
    origins.set(key, origin);
    values.set(key, value);
  };

  dataFrom.forEach((entry, index) => {
    const where = `dataFrom[${index}]`;
    const rewrites = compileRewrites(entry.rewrite ?? [], where);
    // Sorted so messages (which duplicate is reported) do not depend on backend order.
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
  return { values, origins };
}
