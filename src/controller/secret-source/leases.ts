// A lease-driven sync (dataFrom[].dynamic; lease-sync.ts decides and talks to the provider): the
// Secret is written only with new credentials; a renewal records the leases in status and nothing
// else (docs/adr/0016).
import type { ProviderObject } from '../../providers/client-cache.js';
import type { SyncResult } from '../ports.js';
import { involved, type SyncContext } from './context.js';
import { reportLeases, reportSynced } from './report.js';
import { writeContent } from './write.js';

export async function syncLeases(ctx: SyncContext, provider: ProviderObject): Promise<SyncResult> {
  const { deps, key, source, spec, trigger, signal } = ctx;
  const { namespace, name } = source.metadata;
  const client = await deps.clients.acquire(provider, namespace, signal);
  const plan = (dueAt: number | undefined) =>
    dueAt === undefined ? deps.schedule.planAfterSync(key, spec.refresh) : deps.schedule.planAt(key, dueAt);
  return deps.leases.sync(
    {
      key,
      namespace,
      name,
      spec,
      status: source.status,
      client,
      ...(trigger === 'refresh-due' ? {} : { resync: trigger }),
      signal,
    },
    {
      write: async (fetched) => {
        const written = await writeContent(ctx, fetched);
        return {
          result: written.result,
          report: async (leases) => {
            plan(leases.dueAt);
            await reportSynced(ctx, provider, written, fetched.warnings, leases);
          },
        };
      },
      record: async (leases) => {
        plan(leases.dueAt);
        await reportLeases(ctx, leases);
      },
      plan,
      event: (type, reason, message) => deps.events.record(involved(source), type, reason, message),
    },
  );
}

/** Whether a SecretSource's credentials are issued under leases (dataFrom[].dynamic; the schema keeps them alone). */
export function isLeaseDriven(ctx: SyncContext): boolean {
  return ctx.spec.dataFrom.some((entry) => entry.dynamic !== undefined);
}
