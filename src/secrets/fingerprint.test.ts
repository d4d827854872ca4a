import { createHash, randomBytes } from 'node:crypto';
import { ContentFingerprint, isFingerprint, liveData } from './fingerprint.js';

const value = randomBytes(16);
const target = { namespace: 'payments', name: 'db' };
const fingerprint = new ContentFingerprint(randomBytes(32));

test('the same type and data fingerprint alike whatever the key order', () => {
  const a = new Map([
    ['a', value],
    ['b', Buffer.from('x')],
  ]);
  const b = new Map([
    ['b', Buffer.from('x')],
    ['a', value],
  ]);
  expect(fingerprint.of(target, 'Opaque', a)).toBe(fingerprint.of(target, 'Opaque', b));
  expect(fingerprint.of(target, 'Opaque', a)).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  expect(isFingerprint(fingerprint.of(target, 'Opaque', a))).toBe(true);
  expect(isFingerprint(`sha256:${'0'.repeat(64)}`)).toBe(false);
});

test('a changed value, key, type or target changes the fingerprint', () => {
  const base = fingerprint.of(target, 'Opaque', new Map([['a', value]]));
  expect(fingerprint.of(target, 'Opaque', new Map([['a', randomBytes(16)]]))).not.toBe(base);
  expect(fingerprint.of(target, 'Opaque', new Map([['b', value]]))).not.toBe(base);
  expect(fingerprint.of(target, 'kubernetes.io/basic-auth', new Map([['a', value]]))).not.toBe(base);
  // Two Secrets holding the same values cannot be told apart as equal by their fingerprints.
  expect(
    fingerprint.of({ namespace: 'payments', name: 'other' }, 'Opaque', new Map([['a', value]])),
  ).not.toBe(base);
});

test('boundaries between keys and values cannot be shifted to collide', () => {
  expect(fingerprint.of(target, 'Opaque', new Map([['a', Buffer.from('bc')]]))).not.toBe(
    fingerprint.of(target, 'Opaque', new Map([['ab', Buffer.from('c')]])),
  );
  expect(fingerprint.of({ namespace: 'a', name: 'bc' }, 'Opaque', new Map())).not.toBe(
    fingerprint.of({ namespace: 'ab', name: 'c' }, 'Opaque', new Map()),
  );
});

test('without the key nobody can test a guess: another key, or no key, gives another result', () => {
  const pin = Buffer.from(String(100000 + Math.floor(Math.random() * 900000)));
  const data = new Map([['pin', pin]]);
  const stamp = fingerprint.of(target, 'Opaque', data);
  expect(new ContentFingerprint(randomBytes(32)).of(target, 'Opaque', data)).not.toBe(stamp);
  const unsalted = createHash('sha256').update(pin).digest('hex');
  expect(stamp).not.toContain(unsalted);
});

test('a key shorter than 32 bytes is refused', () => {
  expect(() => new ContentFingerprint(randomBytes(16))).toThrow('at least 32 bytes');
});

test('the live Secret as the API server returns it fingerprints like the data it was built from', () => {
  const data = new Map([['password', value]]);
  const live = { type: 'Opaque', data: { password: value.toString('base64'), extra: 'eA==' } };
  expect(fingerprint.ofLive(target, live, ['password'])).toBe(fingerprint.of(target, 'Opaque', data));
  expect([...liveData(live, ['password', 'missing']).keys()]).toEqual(['password']);
});
