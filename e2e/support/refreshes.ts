// Waiting for refreshes that ran, so a "nothing was written" check looks only after the refresh that
// would have written has happened (never after a fixed sleep: a slow operator would pass it). The
// operator publishes, per SecretSource, when its work queue next wakes it
// (secretsource_next_refresh_timestamp_seconds{namespace,secretsource}); each reconcile sets it anew,
// so the value moving past the one planned means that planned refresh ran. Per object, so a case
// counts its own refreshes whatever else the operator is doing.
import { scrape, valueOf, type Sample } from './prometheus.js';
import { eventually } from './wait.js';

const NEXT_REFRESH = 'secretsource_next_refresh_timestamp_seconds';

/** Where the samples come from: an operator's /metrics URL, or a function returning them. */
export type MetricsSource = string | (() => Promise<Sample[]>);

const samplesOf = (source: MetricsSource): Promise<Sample[]> =>
  typeof source === 'string' ? scrape(source) : source();

/** The next refresh planned for each SecretSource (Unix seconds), waiting until each has one. */
async function plannedRefreshes(
  source: MetricsSource,
  namespace: string,
  names: readonly string[],
): Promise<Map<string, number>> {
  return eventually(
    async () => {
      const samples = await samplesOf(source);
      const planned = new Map<string, number>();
      for (const name of names) {
        const at = valueOf(samples, NEXT_REFRESH, { namespace, secretsource: name });
        if (at === undefined) throw new Error(`SecretSource ${namespace}/${name} has no planned refresh`);
        planned.set(name, at);
      }
      return planned;
    },
    { timeoutMs: 30_000 },
  );
}

/**
 * Waits until each SecretSource of `names` has run `count` more refreshes (the planned one, then
 * the one it planned, ...). Polls faster than any interval the tests use, and a refresh missed
 * between two polls only makes the wait longer, never shorter.
 */
export async function waitForRefreshes(
  source: MetricsSource,
  namespace: string,
  names: readonly string[],
  { count = 1, timeoutMs = 60_000 }: { count?: number; timeoutMs?: number } = {},
): Promise<void> {
  let planned = await plannedRefreshes(source, namespace, names);
  for (let step = 1; step <= count; step++) {
    planned = await eventually(
      async () => {
        const now = await plannedRefreshes(source, namespace, names);
        const waiting = names.filter((name) => now.get(name)! <= planned.get(name)!);
        if (waiting.length > 0)
          throw new Error(
            `refresh ${step} of ${count} not run yet for ${waiting.map((n) => `${namespace}/${n}`).join(', ')} ` +
              `(planned at ${waiting.map((n) => new Date(planned.get(n)! * 1000).toISOString()).join(', ')})`,
          );
        return now;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }
}
