import {
  afterRenewal,
  decideLeases,
  dueRevocations,
  nextLeaseAction,
  renewalWindow,
  type LeaseDecision,
  type LeaseRecord,
} from './lease-plan.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const S = 1_000;
const TWO_THIRDS = 2 / 3;

/** A 30-second lease on entry 0 issued at T0: its renewal window is [T0+18 s, T0+20 s]. */
const lease = (overrides: Partial<LeaseRecord> = {}): LeaseRecord => ({
  entry: 0,
  path: 'rabbitmq/creds/app',
  leaseId: 'rabbitmq/creds/app/a',
  durationSeconds: 30,
  renewable: true,
  issuedAt: T0,
  expiresAt: T0 + 30 * S,
  ...overrides,
});
const certificate = lease({ leaseId: undefined, renewable: false, path: 'pki/issue/web' });
const renewed = lease({ renewedAt: T0 + 20 * S, expiresAt: T0 + 50 * S });
const second = lease({
  entry: 1,
  leaseId: 'rabbitmq/creds/app/b',
  issuedAt: T0 + 5 * S,
  expiresAt: T0 + 35 * S,
});

describe('renewalWindow', () => {
  test('from a tenth before renewFraction of the grant to renewFraction', () => {
    expect(renewalWindow(lease(), TWO_THIRDS)).toEqual({ start: T0 + 18 * S, end: T0 + 20 * S });
    // A renewed lease counts from its renewal.
    expect(renewalWindow(renewed, TWO_THIRDS)).toEqual({ start: T0 + 38 * S, end: T0 + 40 * S });
    expect(renewalWindow(lease(), 0.5)).toEqual({ start: T0 + 13.5 * S, end: T0 + 15 * S });
  });
});

describe('decideLeases', () => {
  const renew = (...leases: LeaseRecord[]): LeaseDecision => ({ action: 'renew', leases });
  const issue = (reason: string): LeaseDecision => ({ action: 'issue', reason }) as LeaseDecision;
  const wait: LeaseDecision = { action: 'wait' };

  test.each<[string, number, LeaseRecord[], number, LeaseDecision]>([
    ['a renewable lease before its window', 1, [lease()], T0 + 10 * S, wait],
    ['a renewable lease at the start of its window', 1, [lease()], T0 + 18 * S, renew(lease())],
    ['a renewable lease late in its window', 1, [lease()], T0 + 25 * S, renew(lease())],
    ['an expired lease', 1, [lease()], T0 + 30 * S, issue('expired')],
    ['no lease recorded (first sync, or no lifetime)', 1, [], T0, issue('missing')],
    ['an entry without a lease beside one with', 2, [lease()], T0 + 10 * S, issue('missing')],
    ['a certificate before its window', 1, [certificate], T0 + 17 * S, wait],
    ['a certificate in its window', 1, [certificate], T0 + 18 * S, issue('expiring')],
    ['a lease capped by its max TTL', 1, [lease({ renewable: false })], T0 + 19 * S, issue('expiring')],
    [
      'a renewable flag without a lease id',
      1,
      [lease({ leaseId: undefined })],
      T0 + 19 * S,
      issue('expiring'),
    ],
    ['a renewed lease counts from its renewal', 1, [renewed], T0 + 30 * S, wait],
    ['a renewed lease in its next window', 1, [renewed], T0 + 38 * S, renew(renewed)],
    ['only the leases whose window started', 2, [lease(), second], T0 + 19 * S, renew(lease())],
    ['both leases once both windows started', 2, [lease(), second], T0 + 23 * S, renew(lease(), second)],
    [
      'a replacement beats a renewal',
      2,
      [lease(), lease({ ...certificate, entry: 1 })],
      T0 + 19 * S,
      issue('expiring'),
    ],
    ['an expired one beats everything', 2, [renewed, second], T0 + 36 * S, issue('expired')],
    ['records of entries the spec no longer has are ignored', 1, [lease(), lease({ entry: 5 })], T0, wait],
  ])('%s', (_case, entries, records, now, expected) => {
    expect(decideLeases(entries, records, now, TWO_THIRDS)).toEqual(expected);
  });

  test('renewFraction moves the window', () => {
    expect(decideLeases(1, [lease()], T0 + 19 * S, 0.9).action).toBe('wait');
    expect(decideLeases(1, [lease()], T0 + 25 * S, 0.9).action).toBe('renew');
  });
});

describe('nextLeaseAction', () => {
  const replaced = (revokeAt: number, expiresAt: number) => ({ leaseId: 'old', revokeAt, expiresAt });

  test.each<[string, LeaseRecord[], ReturnType<typeof replaced>[], number, number | undefined]>([
    ['the start of the window with random 0', [lease()], [], 0, T0 + 18 * S],
    ['the end of the window with random 1', [lease()], [], 1, T0 + 20 * S],
    ['halfway with random 0.5', [lease()], [], 0.5, T0 + 19 * S],
    ['the earliest lease', [lease(), second], [], 0, T0 + 18 * S],
    ['a revocation before any renewal', [lease()], [replaced(T0 + 5 * S, T0 + 10 * S)], 0, T0 + 5 * S],
    [
      'not a revocation after the lease expires anyway',
      [lease()],
      [replaced(T0 + 9 * S, T0 + 8 * S)],
      0,
      T0 + 18 * S,
    ],
    ['nothing timed', [], [], 0.5, undefined],
  ])('%s', (_case, records, replacedLeases, random, expected) => {
    expect(nextLeaseAction(records, replacedLeases, TWO_THIRDS, () => random)).toBe(expected);
  });
});

describe('dueRevocations', () => {
  test('due ones are revoked, later ones kept, expired ones dropped', () => {
    const due = { leaseId: 'due', revokeAt: T0, expiresAt: T0 + 10 * S };
    const later = { leaseId: 'later', revokeAt: T0 + 5 * S, expiresAt: T0 + 10 * S };
    const expired = { leaseId: 'expired', revokeAt: T0 - 5 * S, expiresAt: T0 };
    expect(dueRevocations([due, later, expired], T0)).toEqual({ revoke: [due], keep: [later] });
  });
});

describe('afterRenewal', () => {
  const now = T0 + 20 * S;

  test.each([
    ['the same grant again', { durationSeconds: 30, renewable: true }, false, 30],
    ['a longer grant', { durationSeconds: 60, renewable: true }, false, 60],
    ['a shorter grant: the max TTL is reached', { durationSeconds: 10, renewable: true }, true, 10],
    ['a grant the backend calls final', { durationSeconds: 30, renewable: false }, true, 30],
  ])('%s', (_case, grant, capped, seconds) => {
    const result = afterRenewal(lease(), grant, now);
    expect(result.capped).toBe(capped);
    expect(result.record).toEqual({
      ...lease(),
      durationSeconds: seconds,
      renewable: !capped,
      renewedAt: now,
      expiresAt: now + seconds * S,
    });
  });
});
