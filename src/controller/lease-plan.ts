// What a lease-driven SecretSource (dataFrom[].dynamic) does next, decided from the leases its
// status records and the time: renew the leases whose time has come, issue new credentials for
// every entry together (the Secret is rebuilt from all of them, and the operator keeps no
// credentials to rebuild it from), or wait; and which replaced leases are due for revocation.
// Pure: time and randomness come in as arguments (docs/adr/0016-dynamic-secrets-and-leases.md).

/** One entry's lease as status.leases[] records it, times in clock milliseconds. */
export interface LeaseRecord {
  entry: number;
  path: string;
  /** Unset for credentials without a lease (a PKI certificate): they can only be replaced. */
  leaseId?: string;
  /** What the last grant (issue or renewal) gave, in seconds; a renewal asks for as much again. */
  durationSeconds: number;
  /** False also once a renewal came back capped by the lease's maximum lifetime. */
  renewable: boolean;
  issuedAt: number;
  renewedAt?: number;
  expiresAt: number;
}

/** A replaced lease waiting for spec.lease.revokeAfter to pass. */
export interface ReplacedRecord {
  leaseId: string;
  expiresAt: number;
  revokeAt: number;
}

/**
 * How much earlier than `renewFraction` a grant may be renewed, as a share of that point: with
 * the default two thirds, between 60% and 66.7% of the grant. Only earlier, never later, so the
 * jitter never eats into the time left to replace the credentials when a renewal fails.
 */
export const LEASE_JITTER = 0.1;

/** Why new credentials are issued; also the `reason` label of secretsource_dynamic_issues_total. */
export type IssueReason =
  /** An entry has no recorded lease: the first sync, or credentials without a lifetime. */
  | 'missing'
  /** Non-renewable credentials reached renewFraction of their lifetime. */
  | 'expiring'
  /** The recorded credentials have expired (the operator was down, or renewals kept failing). */
  | 'expired'
  /** A renewal came back short: the lease reached its maximum lifetime. */
  | 'max_ttl'
  | 'renewal_failed'
  /** The spec changed, a force-sync, the Secret was deleted or edited, or a retry after a failure. */
  | 'resync';

export type LeaseDecision =
  { action: 'issue'; reason: IssueReason } | { action: 'renew'; leases: LeaseRecord[] } | { action: 'wait' };

/** When a grant's renewal (or replacement) may start, and the point it must not pass. */
export function renewalWindow(record: LeaseRecord, renewFraction: number): { start: number; end: number } {
  const grantedAt = record.renewedAt ?? record.issuedAt;
  const end = grantedAt + (record.expiresAt - grantedAt) * renewFraction;
  return { start: end - (end - grantedAt) * LEASE_JITTER, end };
}

/** Whether a recorded lease is one the operator renews (rather than replaces). */
function renews(record: LeaseRecord): boolean {
  return record.renewable && record.leaseId !== undefined;
}

/**
 * The decision for `entries` dynamic entries (indices 0 … entries-1) at `now`. Issuing wins over
 * renewing: new credentials for every entry make the renewals pointless.
 */
export function decideLeases(
  entries: number,
  records: readonly LeaseRecord[],
  now: number,
  renewFraction: number,
): LeaseDecision {
  const byEntry = new Map(records.map((record) => [record.entry, record]));
  const current: LeaseRecord[] = [];
  for (let entry = 0; entry < entries; entry++) {
    const record = byEntry.get(entry);
    if (record === undefined) return { action: 'issue', reason: 'missing' };
    current.push(record);
  }
  if (current.some((record) => now >= record.expiresAt)) return { action: 'issue', reason: 'expired' };
  const due = current.filter((record) => now >= renewalWindow(record, renewFraction).start);
  if (due.some((record) => !renews(record))) return { action: 'issue', reason: 'expiring' };
  return due.length > 0 ? { action: 'renew', leases: due } : { action: 'wait' };
}

/**
 * When to act next: for each lease a random point in its renewal window, for each replaced lease
 * its revocation time (unless it expires first). Undefined when nothing is timed by a lease.
 */
export function nextLeaseAction(
  records: readonly LeaseRecord[],
  replaced: readonly ReplacedRecord[],
  renewFraction: number,
  random: () => number,
): number | undefined {
  const times = records.map((record) => {
    const { start, end } = renewalWindow(record, renewFraction);
    return start + (end - start) * random();
  });
  for (const lease of replaced) if (lease.revokeAt < lease.expiresAt) times.push(lease.revokeAt);
  return times.length === 0 ? undefined : Math.round(Math.min(...times));
}

/** The replaced leases to revoke now, and those still to keep (expired ones are dropped). */
export function dueRevocations(
  replaced: readonly ReplacedRecord[],
  now: number,
): { revoke: ReplacedRecord[]; keep: ReplacedRecord[] } {
  const live = replaced.filter((lease) => lease.expiresAt > now);
  return {
    revoke: live.filter((lease) => lease.revokeAt <= now),
    keep: live.filter((lease) => lease.revokeAt > now),
  };
}

/** What a renewal's grant makes of a record; `capped` when it came back shorter than asked. */
export function afterRenewal(
  record: LeaseRecord,
  grant: { durationSeconds: number; renewable: boolean },
  now: number,
): { record: LeaseRecord; capped: boolean } {
  const capped = !grant.renewable || grant.durationSeconds < record.durationSeconds;
  return {
    record: {
      ...record,
      durationSeconds: grant.durationSeconds,
      renewable: !capped,
      renewedAt: now,
      expiresAt: now + grant.durationSeconds * 1000,
    },
    capped,
  };
}
