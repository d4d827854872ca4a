// Fetches what a SecretSource asks for — data[] values and dataFrom[] maps
// (a path's keys, or every secret a find matches) — through the provider.
// Reads go through the coalescing reader, so SecretSources sharing a remote
// path share one call. Key mapping, decoding and duplicate checks happen after,
// in src/secrets (buildSecretContent).
import type { DeepReadonly, Decoding, FindQuery, Rewrite } from '../api/v1alpha1/index.js';
import type { CachedProviderClient } from '../providers/client-cache.js';
import { InvalidRefError } from '../providers/errors.js';
import type { CoalescingReader, ReadOptions } from '../providers/read-coalescer.js';
import type { ProviderWarning } from '../providers/types.js';
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
  /** How old a shared read may be (ReadOptions.maxAgeMs); the reader's window when unset. */
  maxAgeMs?: number;
  signal: AbortSignal;
}

export interface Fetched {
  data: FetchedDataEntry[];
  dataFrom: FetchedDataFrom[];
  /** When the oldest read used here started (clock ms); undefined when nothing went through the reader. */
  oldestReadAt?: number;
  /** What the provider said about values it returned (synced anyway), once each. */
  warnings: ProviderWarning[];
}

export async function collectData(
  spec: { data?: readonly DataEntry[]; dataFrom?: readonly DataFromEntry[] },
  client: CachedProviderClient,
  reader: CoalescingReader,
  options: CollectOptions,
): Promise<Fetched> {
  let oldestReadAt: number | undefined;
  const warnings = new Map<string, ProviderWarning>();
  const onWarning = (warning: ProviderWarning): void => {
    warnings.set(`${warning.reason}\0${warning.message}`, warning);
  };
  const readOptions = {
    ...options,
    onRead: (startedAt: number) => (oldestReadAt = Math.min(oldestReadAt ?? startedAt, startedAt)),
    onWarning,
  };
  // Start every read at once; the reader shares identical ones.
  const dataReads = (spec.data ?? []).map((entry) => reader.get(client, entry.remoteRef, readOptions));
  const mapReads = (spec.dataFrom ?? []).map((entry) =>
    readMap(entry, client, reader, readOptions, onWarning),
  );
  const [values, maps] = await Promise.all([Promise.all(dataReads), Promise.all(mapReads)]);
  return {
    ...(oldestReadAt === undefined ? {} : { oldestReadAt }),
    warnings: [...warnings.values()],
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
  options: ReadOptions,
  onWarning: (warning: ProviderWarning) => void,
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
  for (const value of found.values()) for (const warning of value.warnings ?? []) onWarning(warning);
  return new Map([...found].map(([path, value]) => [path, value.value]));
}
