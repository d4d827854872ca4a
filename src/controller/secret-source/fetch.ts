// Reads the values a SecretSource names from its provider (collect-data.ts), sharing a recent
// read where the trigger allows it.
import type { CachedProviderClient } from '../../providers/client-cache.js';
import { sharedReadMaxAgeMs } from '../../rotation/schedule.js';
import { collectData, type Fetched } from '../collect-data.js';
import type { SyncContext } from './context.js';
import { emptyResult } from './failure.js';

export async function fetchValues(
  { deps, spec, trigger, signal }: SyncContext,
  client: CachedProviderClient,
): Promise<Fetched> {
  // A force-sync must see the backend as it is now, not a value another
  // SecretSource read a moment ago; everything else may share a recent read,
  // a periodic refresh one up to half its interval old (docs/adr/0008).
  const fresh = trigger === 'force-sync';
  const maxAgeMs = trigger === 'refresh-due' ? sharedReadMaxAgeMs(spec.refresh) : undefined;
  const fetched = await collectData(spec, client, deps.reader, {
    fresh,
    signal,
    ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
  });
  if (!spec.allowEmpty) {
    spec.dataFrom.forEach((entry, index) => {
      if (fetched.dataFrom[index]!.values.size > 0) return;
      const what = entry.path !== undefined ? `path ${entry.path} holds no keys` : 'find matched no secrets';
      throw emptyResult(`dataFrom[${index}]: ${what}`);
    });
  }
  return fetched;
}
