// status.leases[] and status.replacedLeases[] ↔ the records lease-plan.ts decides on. What the
// status holds is the leases only (ids, durations, times), never the credentials; a record whose
// times do not parse is left out, so its entry counts as having no lease and is issued anew.
import type { LeaseStatus, ReplacedLease, SecretSourceStatus } from '../api/v1alpha1/index.js';
import type { LeaseRecord, ReplacedRecord } from './lease-plan.js';

const time = (text: string | undefined): number | undefined => {
  const parsed = text === undefined ? NaN : Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
};
const iso = (ms: number): string => new Date(ms).toISOString();

export function leaseRecords(status: SecretSourceStatus | undefined): LeaseRecord[] {
  return (status?.leases ?? []).flatMap((lease): LeaseRecord[] => {
    const issuedAt = time(lease.issueTime);
    const expiresAt = time(lease.expireTime);
    if (issuedAt === undefined || expiresAt === undefined) return [];
    const renewedAt = time(lease.renewTime);
    const durationSeconds = lease.leaseDuration ?? Math.round((expiresAt - (renewedAt ?? issuedAt)) / 1000);
    return [
      {
        entry: lease.entry,
        path: lease.path,
        ...(lease.leaseId ? { leaseId: lease.leaseId } : {}),
        durationSeconds,
        renewable: lease.renewable,
        issuedAt,
        ...(renewedAt === undefined ? {} : { renewedAt }),
        expiresAt,
      },
    ];
  });
}

export function replacedRecords(status: SecretSourceStatus | undefined): ReplacedRecord[] {
  return (status?.replacedLeases ?? []).flatMap((lease): ReplacedRecord[] => {
    const expiresAt = time(lease.expireTime);
    const revokeAt = time(lease.revokeTime);
    return expiresAt === undefined || revokeAt === undefined
      ? []
      : [{ leaseId: lease.leaseId, expiresAt, revokeAt }];
  });
}

export function leaseStatus(record: LeaseRecord): LeaseStatus {
  return {
    entry: record.entry,
    path: record.path,
    ...(record.leaseId === undefined ? {} : { leaseId: record.leaseId }),
    leaseDuration: record.durationSeconds,
    renewable: record.renewable,
    issueTime: iso(record.issuedAt),
    ...(record.renewedAt === undefined ? {} : { renewTime: iso(record.renewedAt) }),
    expireTime: iso(record.expiresAt),
  };
}

export function replacedLeaseStatus(record: ReplacedRecord): ReplacedLease {
  return { leaseId: record.leaseId, expireTime: iso(record.expiresAt), revokeTime: iso(record.revokeAt) };
}

/** When the first of the credentials expires, or undefined when none has a lifetime. */
export function earliestExpiry(records: readonly LeaseRecord[]): Date | undefined {
  return records.length === 0 ? undefined : new Date(Math.min(...records.map((r) => r.expiresAt)));
}
