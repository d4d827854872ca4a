// Fetches what a SecretSource asks for (data[] entries and dataFrom[] maps)
// through the provider, as one key → bytes map. Reads go through the
// coalescing reader, so SecretSources sharing a remote path share one call.
import type { CachedProviderClient } from '../providers/client-cache.js';
import type { CoalescingReader } from '../providers/read-coalescer.js';

export interface DataEntry {
  key: string;
  remoteRef: { path: string; property?: string; version?: string };
}

export interface DataFromEntry {
  path?: string;
  version?: string;
}

export class DuplicateKeyError extends Error {
  readonly reason = 'InvalidSpec';
  constructor(key: string, first: string, second: string) {
    super(`key "${key}" is produced by both ${first} and ${second}`);
  }
}

export interface CollectOptions {
  fresh: boolean;
  signal: AbortSignal;
}

export async function collectData(
  spec: { data?: readonly DataEntry[]; dataFrom?: readonly DataFromEntry[] },
  client: CachedProviderClient,
  reader: CoalescingReader,
  options: CollectOptions,
): Promise<Map<string, Buffer>> {
  // Start every read at once; the reader shares identical ones.
  const dataReads = (spec.data ?? []).map((entry) => reader.get(client, entry.remoteRef, options));
  const mapReads = (spec.dataFrom ?? []).map((entry) =>
    entry.path === undefined
      ? undefined
      : reader.getMap(client, { path: entry.path, version: entry.version }, options),
  );
  const [values, maps] = await Promise.all([Promise.all(dataReads), Promise.all(mapReads)]);

  const data = new Map<string, Buffer>();
  const origin = new Map<string, string>();
  const put = (key: string, value: Buffer, from: string): void => {
    const previous = origin.get(key);
    if (previous !== undefined) throw new DuplicateKeyError(key, previous, from);
    origin.set(key, from);
    data.set(key, value);
  };
  maps.forEach((map, index) => {
    for (const [key, value] of map ?? []) put(key, value, `dataFrom[${index}]`);
  });
  (spec.data ?? []).forEach((entry, index) => put(entry.key, values[index]!.value, `data[${index}]`));
  return data;
}
