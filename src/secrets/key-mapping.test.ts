import { randomBytes } from 'node:crypto';
import { SecretSpecError } from './errors.js';
import { mapFetchedData } from './key-mapping.js';

const value = (): Buffer => randomBytes(16);
const same = (a: Buffer | undefined, b: Buffer): boolean => a !== undefined && a.equals(b);

test('data and dataFrom keys land in one map, each decoded as its entry says', () => {
  const password = value();
  const token = value();
  const user = randomBytes(15); // 20 base64url characters: Auto only decodes whole quanta
  const { values, origins } = mapFetchedData(
    [{ key: 'password', value: Buffer.from(password.toString('base64')), decoding: 'Base64' }],
    [
      {
        values: new Map([
          ['token', token],
          ['user', Buffer.from(user.toString('base64url'))],
        ]),
        decoding: 'Auto',
      },
    ],
  );
  expect([...values.keys()].sort()).toEqual(['password', 'token', 'user']);
  expect(same(values.get('password'), password)).toBe(true);
  expect(same(values.get('user'), user)).toBe(true);
  expect(origins.get('password')).toBe('data[0]');
  expect(origins.get('token')).toBe('dataFrom[0]');
});

test('dataFrom keys are rewritten in order; data keys are not', () => {
  const { values } = mapFetchedData(
    [{ key: 'payments/db', value: value() }],
    [
      {
        values: new Map([
          ['payments/db/password', value()],
          ['payments/db/user', value()],
        ]),
        rewrite: [
          { regexp: { source: '^payments/db/', target: '' } },
          { regexp: { source: '^', target: 'db-' } },
        ],
      },
    ],
  );
  expect([...values.keys()].sort()).toEqual(['db-password', 'db-user', 'payments/db']);
});

test('a key from both data and dataFrom is an InvalidSpec error naming both', () => {
  expect(() =>
    mapFetchedData([{ key: 'password', value: value() }], [{ values: new Map([['password', value()]]) }]),
  ).toThrow(new SecretSpecError('key "password" is produced by both dataFrom[0] and data[0]'));
});

test('a key from two dataFrom entries (two finds) is an error', () => {
  expect(() =>
    mapFetchedData([], [{ values: new Map([['a', value()]]) }, { values: new Map([['a', value()]]) }]),
  ).toThrow('key "a" is produced by both dataFrom[0] and dataFrom[1]');
});

test('two remote keys rewritten to the same key are an error naming the remote keys', () => {
  expect(() =>
    mapFetchedData(
      [],
      [
        {
          values: new Map([
            ['a/x', value()],
            ['b/x', value()],
          ]),
          rewrite: [{ regexp: { source: '^.*/', target: '' } }],
        },
      ],
    ),
  ).toThrow('key "x" is produced by both dataFrom[0] (remote key "a/x") and dataFrom[0] (remote key "b/x")');
});

test('a dataFrom value that does not decode names the entry and the key', () => {
  expect(() =>
    mapFetchedData([], [{ values: new Map([['cert', Buffer.from('%%%')]]), decoding: 'Base64' }]),
  ).toThrow('dataFrom[0], key "cert": the value is not valid base64');
});

test('remote keys such as __proto__ and constructor are plain keys', () => {
  const proto = value();
  const { values } = mapFetchedData(
    [],
    [
      {
        values: new Map([
          ['__proto__', proto],
          ['constructor', value()],
        ]),
      },
    ],
  );
  expect(same(values.get('__proto__'), proto)).toBe(true);
  expect(values.size).toBe(2);
});
