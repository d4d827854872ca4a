// Fetches what a SecretSource asks for — data[] values and dataFrom[] maps
// (a path's keys, or every secret a find matches) — through the provider.
// Reads go through the coalescing reader, so SecretSources sharing a remote
// path share one call. Key mapping, decoding and duplicate checks happen after,
// in src/secrets (buildSecretContent).
import type { DeepReadonly, Decoding, FindQuery, Rewrite } from '../api/v1alpha1/index.js';
import type { CachedProviderClient } from '../providers/client-cache.js';
import { InvalidRefError } from '../providers/errors.js';
import type { CoalescingReader } from '../providers/read-coalescer.js';
import type { FetchedDataEntry, FetchedDataFrom } from '../secrets/content.js';

export interface DataEntry {
  key: string;
  remoteRef: { path: string; property?: string; version?: string };
  decoding?: Decoding;
}

export interface DataFromEntry {
  path?: string;
  version?: string;
  find?: DeepReadonly<FindQuery>;
  decoding?: Decoding;
  rewrite?: readonly DeepReadonly<Rewrite>[];
}

export interface CollectOptions {
  fresh: boolean;
  signal: AbortSignal;
}

export interface Fetched {
  data: FetchedDataEntry[];
  dataFrom: FetchedDataFrom[];
}

export async function collectData(
  spec: { data?: readonly DataEntry[]; dataFrom?: readonly DataFromEntry[] },
  client: CachedProviderClient,
  reader: CoalescingReader,
  options: CollectOptions,
): Promise<Fetched> {
  // Start every read at once; the reader shares identical ones.
  const dataReads = (spec.data ?? []).map((entry) => reader.get(client, entry.remoteRef, options));
  const mapReads = (spec.dataFrom ?? []).map((entry) => readMap(entry, client, reader, options));
  const [values, maps] = await Promise.all([Promise.all(dataReads), Promise.all(mapReads)]);
  return {
    data: (spec.data ?? []).map((entry, index) => ({
      key: entry.key,
      value: values[index]!.value,
      decoding: entry.decoding,
    })),
    dataFrom: (spec.dataFrom ?? []).map((entry, index) => ({
      values: maps[index]!,
      decoding: entry.decoding,
      rewrite: entry.rewrite,
    })),
  };
}

async function readMap(
  entry: DataFromEntry,
  client: CachedProviderClient,
  reader: CoalescingReader,
  options: CollectOptions,
): Promise<ReadonlyMap<string, Buffer>> {
  if (entry.path !== undefined) {
    return reader.getMap(client, { path: entry.path, version: entry.version }, options);
  }
  const find = entry.find ?? {};
  if (!client.find) {
    throw new InvalidRefError(
      { provider: client.description, path: find.path },
      'dataFrom.find is not supported by this provider',
    );
  }
  const found = await client.find(
    { path: find.path, name: find.name?.regexp, tags: find.tags ? { ...find.tags } : undefined },
    options.signal,
  );
  return new Map([...found].map(([path, value]) => [path, value.value]));
}
