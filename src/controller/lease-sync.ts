// The sync of a lease-driven SecretSource (dataFrom[].dynamic; docs/adr/0016): first the
// replaced leases whose grace ran out are revoked; then, as lease-plan.ts decides, the due leases
// are renewed and recorded (no Secret write: renewing changes no credential), or new credentials
// are issued for every entry and the reconciler writes them, or nothing happens until the next
// action. Every entry has its new credentials before the Secret is replaced, in one write, so a
// consumer never sees a mix or a gap; credentials issued for a Secret that could not be written
// are revoked at once. The status keeps the leases, never the credentials, so a restarted
// operator or a new leader renews the same leases instead of issuing new ones.
import type { ResolvedSecretSourceSpec, SecretSourceStatus } from '../api/v1alpha1/index.js';
import type { LeaseStatus, ReplacedLease } from '../api/v1alpha1/index.js';
import type { CachedProviderClient } from '../providers/client-cache.js';
import { InvalidRefError, InvalidSpecError, isAbortError, NotFoundError } from '../providers/errors.js';
import type { IssuedCredentials, RemoteLease } from '../providers/types.js';
import { parseDuration } from '../rotation/duration.js';
import type { Fetched } from './collect-data.js';
import type { LeaseMetrics, SyncResult } from './ports.js';
import {
  afterRenewal,
  decideLeases,
  dueRevocations,
  nextLeaseAction,
  type IssueReason,
  type LeaseRecord,
  type ReplacedRecord,
} from './lease-plan.js';
import {
  earliestExpiry,
  leaseRecords,
  leaseStatus,
  replacedLeaseStatus,
  replacedRecords,
} from './lease-status.js';

/** How long a failed revocation waits before it is tried again (it is dropped once the lease expires). */
const REVOKE_RETRY_MS = 30_000;
/** Revoking credentials a failed sync issued must not wait on a reconcile that is being cancelled. */
const CLEANUP_TIMEOUT_MS = 10_000;

export interface LeaseLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** The leases as the status now records them, and when to act on them next. */
export interface LeaseReport {
  leases: LeaseStatus[];
  replacedLeases: ReplacedLease[];
  /** When the first of the credentials expires (for the Ready message); undefined: no lifetime. */
  expiresAt?: Date;
  /** The next renewal, replacement or revocation; undefined: the refresh interval (no lifetime). */
  dueAt?: number;
}

/** What the reconciler does for a lease sync: its Secret, its status, its schedule, its Events. */
export interface LeaseSyncHost {
  /** Builds and writes the Secret from new credentials; `report` then records the status. */
  write(fetched: Fetched): Promise<{ result: SyncResult; report(leases: LeaseReport): Promise<void> }>;
  /** Records the leases and plans the next action, without writing the Secret. */
  record(leases: LeaseReport): Promise<void>;
  /** Plans the next action when the status stays as it is. */
  plan(dueAt: number | undefined): void;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface LeaseSyncInput {
  key: string;
  namespace: string;
  name: string;
  spec: ResolvedSecretSourceSpec;
  status: SecretSourceStatus | undefined;
  client: CachedProviderClient;
  /** Why the reconciler syncs when that is not a due refresh: new credentials are issued. */
  resync?: string;
  signal: AbortSignal;
}

export interface LeaseSyncOptions {
  clock: { now(): number };
  random: () => number;
  logger: LeaseLogger;
  metrics?: LeaseMetrics;
}

/** An entry's issued credentials and its lease record (none without a lifetime). */
interface Issued {
  credentials: IssuedCredentials;
  record?: LeaseRecord;
}

export class LeaseSync {
  readonly #o: LeaseSyncOptions;

  constructor(options: LeaseSyncOptions) {
    this.#o = options;
  }

  /** One sync; returns the sync result (created, updated, unchanged). */
  async sync(input: LeaseSyncInput, host: LeaseSyncHost): Promise<SyncResult> {
    const { spec } = input;
    const fraction = spec.lease.renewFraction;
    const recorded = replacedRecords(input.status);
    const replaced = await this.#revokeDue(input, host, recorded);
    const revoked = JSON.stringify(replaced) !== JSON.stringify(recorded);
    let records = leaseRecords(input.status);
    const entries = spec.dataFrom.length;
    const decision: ReturnType<typeof decideLeases> =
      input.resync === undefined
        ? decideLeases(entries, records, this.#o.clock.now(), fraction)
        : { action: 'issue', reason: records.length === 0 ? 'missing' : 'resync' };

    let reason: IssueReason | undefined = decision.action === 'issue' ? decision.reason : undefined;
    if (decision.action === 'renew') {
      const renewal = await this.#renew(input, host, records, decision.leases);
      records = renewal.records;
      reason = renewal.replace;
    }
    if (reason === undefined) {
      const report = this.#report(input, records, replaced);
      if (decision.action === 'renew' || revoked) await host.record(report);
      else host.plan(report.dueAt);
      return 'unchanged';
    }
    return this.#replace(input, host, records, replaced, reason);
  }

  /** Issues for every entry, writes the Secret, then retires the old leases. */
  async #replace(
    input: LeaseSyncInput,
    host: LeaseSyncHost,
    previous: readonly LeaseRecord[],
    replaced: ReplacedRecord[],
    reason: IssueReason,
  ): Promise<SyncResult> {
    const issued = await this.#issueAll(input, reason);
    const fetched: Fetched = {
      warnings: [],
      data: [],
      dataFrom: input.spec.dataFrom.map((entry, index) => ({
        values: issued[index]!.credentials.values,
        decoding: entry.decoding,
        rewrite: entry.rewrite,
      })),
    };
    let written: Awaited<ReturnType<LeaseSyncHost['write']>>;
    try {
      written = await host.write(fetched);
    } catch (error) {
      // Nothing holds these credentials: revoke them rather than leave them to their TTL.
      await this.#revokeQuietly(input, issued);
      throw error;
    }
    const now = this.#o.clock.now();
    const records = issued.flatMap((entry) => (entry.record ? [entry.record] : []));
    const revokeAfter = input.spec.lease.revokeAfter;
    if (revokeAfter !== undefined) {
      const revokeAt = now + parseDuration(revokeAfter);
      for (const old of previous) {
        if (old.leaseId !== undefined && old.expiresAt > now)
          replaced.push({ leaseId: old.leaseId, expiresAt: old.expiresAt, revokeAt });
      }
    }
    const report = this.#report(input, records, replaced);
    const first = previous.length === 0 && input.status?.syncedHash === undefined;
    host.event(
      'Normal',
      first ? 'CredentialsIssued' : 'CredentialsReplaced',
      `${first ? 'Issued' : 'Replaced'} the credentials in Secret ${input.spec.target.name}` +
        `${first ? '' : ` (${why(reason, input)})`}${expiryNote(report.expiresAt)}${leaseIds(records)}`,
    );
    this.#o.logger.info(
      { secretSource: input.key, reason, leases: records.map((r) => r.leaseId ?? r.path) },
      first ? 'issued dynamic credentials' : 'replaced dynamic credentials',
    );
    await written.report(report);
    return written.result;
  }

  async #issueAll(input: LeaseSyncInput, reason: IssueReason): Promise<Issued[]> {
    const { client, spec, signal } = input;
    const issue = client.issue;
    if (!issue) {
      throw new InvalidSpecError(
        { provider: client.description },
        'dataFrom[].dynamic: this provider cannot issue credentials',
      );
    }
    const results = await Promise.allSettled(
      spec.dataFrom.map((entry) => issue.call(client, entry.dynamic!, signal)),
    );
    const now = this.#o.clock.now();
    const issued = results.flatMap((result, index): Issued[] =>
      result.status === 'fulfilled'
        ? [{ credentials: result.value, ...recordOf(index, spec, result.value, now) }]
        : [],
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) {
      this.#o.metrics?.dynamicIssue?.(reason, 'error');
      // All or nothing: the Secret is rebuilt from every entry, so the others' credentials go.
      await this.#revokeQuietly(input, issued);
      throw failed.reason;
    }
    this.#o.metrics?.dynamicIssue?.(reason, 'issued');
    return issued;
  }

  /**
   * Renews the due leases. Returns the records as they now stand and, when a lease reached its
   * maximum lifetime or would not renew, why the credentials must be replaced now.
   */
  async #renew(
    input: LeaseSyncInput,
    host: LeaseSyncHost,
    records: LeaseRecord[],
    due: readonly LeaseRecord[],
  ): Promise<{ records: LeaseRecord[]; replace?: IssueReason }> {
    const { client, signal } = input;
    const grants = await Promise.all(
      due.map(async (record): Promise<RemoteLease | Error> => {
        try {
          if (!client.renewLease)
            throw new InvalidRefError({ provider: client.description }, 'cannot renew leases');
          return await client.renewLease(record.leaseId!, record.durationSeconds, signal);
        } catch (error) {
          if (signal.aborted || isAbortError(error, signal)) throw error;
          return error instanceof Error ? error : new Error('renewal failed');
        }
      }),
    );
    const now = this.#o.clock.now();
    let replace: IssueReason | undefined;
    const renewed = new Map<number, LeaseRecord>();
    due.forEach((record, index) => {
      const grant = grants[index]!;
      const leaseId = record.leaseId!;
      if (grant instanceof Error) {
        this.#o.metrics?.leaseRenewal?.('error');
        host.event(
          'Warning',
          'LeaseRenewalFailed',
          `Renewing lease ${leaseId} failed (${grant.message}); issuing new credentials`,
        );
        this.#o.logger.warn(
          { secretSource: input.key, leaseId, detail: grant.message },
          'lease renewal failed',
        );
        replace = 'renewal_failed';
        return;
      }
      const next = afterRenewal(record, grant, now);
      renewed.set(record.entry, next.record);
      this.#o.metrics?.leaseRenewal?.(next.capped ? 'max_ttl' : 'renewed');
      if (next.capped) {
        replace ??= 'max_ttl';
        return;
      }
      const until = new Date(next.record.expiresAt).toISOString();
      host.event('Normal', 'LeaseRenewed', `Renewed lease ${leaseId} until ${until}`);
      this.#o.logger.info({ secretSource: input.key, leaseId, expiresAt: until }, 'renewed lease');
    });
    const updated = records.map((record) => renewed.get(record.entry) ?? record);
    return replace === undefined ? { records: updated } : { records: updated, replace };
  }

  /** Revokes the replaced leases whose time has come; returns those left to revoke later. */
  async #revokeDue(
    input: LeaseSyncInput,
    host: LeaseSyncHost,
    replaced: readonly ReplacedRecord[],
  ): Promise<ReplacedRecord[]> {
    const now = this.#o.clock.now();
    const { revoke, keep } = dueRevocations(replaced, now);
    const { client, signal } = input;
    for (const lease of revoke) {
      try {
        if (client.revokeLease) await client.revokeLease(lease.leaseId, signal);
      } catch (error) {
        if (signal.aborted || isAbortError(error, signal)) throw error;
        // A lease that expired or was revoked by someone else meanwhile is as good as revoked.
        if (!(error instanceof InvalidRefError || error instanceof NotFoundError)) {
          this.#o.metrics?.leaseRevocation?.('error');
          const detail = error instanceof Error ? error.message : 'unknown error';
          this.#o.logger.warn(
            { secretSource: input.key, leaseId: lease.leaseId, detail },
            'lease revocation failed; trying again later',
          );
          keep.push({ ...lease, revokeAt: Math.min(lease.expiresAt, now + REVOKE_RETRY_MS) });
          continue;
        }
      }
      this.#o.metrics?.leaseRevocation?.('revoked');
      host.event('Normal', 'LeaseRevoked', `Revoked lease ${lease.leaseId} of replaced credentials`);
      this.#o.logger.info({ secretSource: input.key, leaseId: lease.leaseId }, 'revoked replaced lease');
    }
    return keep;
  }

  /** Best effort, for credentials nothing will use. */
  async #revokeQuietly(input: LeaseSyncInput, issued: readonly Issued[]): Promise<void> {
    const { client } = input;
    const ids = issued.flatMap((entry) => (entry.credentials.lease ? [entry.credentials.lease.id] : []));
    if (!client.revokeLease || ids.length === 0) return;
    const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
    await Promise.all(ids.map((id) => client.revokeLease!(id, signal).catch(() => undefined)));
  }

  #report(input: LeaseSyncInput, records: LeaseRecord[], replaced: ReplacedRecord[]): LeaseReport {
    const expiresAt = earliestExpiry(records);
    this.#o.metrics?.leaseExpiry?.(input.namespace, input.name, expiresAt);
    const dueAt = nextLeaseAction(records, replaced, input.spec.lease.renewFraction, this.#o.random);
    return {
      leases: records.map(leaseStatus),
      replacedLeases: replaced.map(replacedLeaseStatus),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(dueAt === undefined || records.length < input.spec.dataFrom.length ? {} : { dueAt }),
    };
  }
}

/** The lease record of one entry's credentials; none for credentials without a lifetime. */
function recordOf(
  entry: number,
  spec: ResolvedSecretSourceSpec,
  credentials: IssuedCredentials,
  now: number,
): { record?: LeaseRecord } {
  const expiresAt = credentials.expiresAt?.getTime();
  if (expiresAt === undefined) return {};
  const { lease } = credentials;
  return {
    record: {
      entry,
      path: spec.dataFrom[entry]!.dynamic!.path,
      ...(lease ? { leaseId: lease.id } : {}),
      durationSeconds: lease?.durationSeconds ?? Math.max(0, Math.round((expiresAt - now) / 1000)),
      renewable: lease?.renewable ?? false,
      issuedAt: now,
      expiresAt,
    },
  };
}

function why(reason: IssueReason, input: LeaseSyncInput): string {
  if (input.resync !== undefined) return input.resync;
  switch (reason) {
    case 'missing':
      return 'credentials without a lifetime are issued again at each refresh';
    case 'expiring':
      return `they reached ${Math.round(input.spec.lease.renewFraction * 1000) / 10}% of their lifetime`;
    case 'expired':
      return 'they had expired';
    case 'max_ttl':
      return 'the lease reached its maximum lifetime';
    case 'renewal_failed':
      return 'the lease could not be renewed';
    case 'resync':
      return 'resync';
  }
}

function expiryNote(expiresAt: Date | undefined): string {
  return expiresAt === undefined ? '' : `; they expire at ${expiresAt.toISOString()}`;
}

function leaseIds(records: readonly LeaseRecord[]): string {
  const ids = records.flatMap((record) => (record.leaseId ? [record.leaseId] : []));
  return ids.length === 0 ? '' : ` (lease ${ids.join(', ')})`;
}
