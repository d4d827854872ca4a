import { randomBytes } from 'node:crypto';
import { contentHash, liveContentHash } from './content-hash.js';

const value = randomBytes(16);

test('the same type and data hash alike whatever the key order', () => {
  const a = new Map([
    ['a', value],
    ['b', Buffer.from('x')],
  ]);
  const b = new Map([
    ['b', Buffer.from('x')],
    ['a', value],
  ]);
  expect(contentHash('Opaque', a)).toBe(contentHash('Opaque', b));
  expect(contentHash('Opaque', a)).toMatch(/^sha256:[0-9a-f]{64}$/);
});

test('a changed value, key or type changes the hash', () => {
  const base = contentHash('Opaque', new Map([['a', value]]));
  expect(contentHash('Opaque', new Map([['a', randomBytes(16)]]))).not.toBe(base);
  expect(contentHash('Opaque', new Map([['b', value]]))).not.toBe(base);
  expect(contentHash('kubernetes.io/basic-auth', new Map([['a', value]]))).not.toBe(base);
});

test('boundaries between keys and values cannot be shifted to collide', () => {
  expect(contentHash('Opaque', new Map([['a', Buffer.from('bc')]]))).not.toBe(
    contentHash('Opaque', new Map([['ab', Buffer.from('c')]])),
  );
});

test('the live Secret as the API server returns it hashes like the data it was built from', () => {
  const data = new Map([['password', value]]);
  const live = { type: 'Opaque', data: { password: value.toString('base64') } };
  expect(liveContentHash(live)).toBe(contentHash('Opaque', data));
  expect(liveContentHash({ data: {} })).toBe(contentHash('Opaque', new Map()));
});
