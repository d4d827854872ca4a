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

describe('duplicateKeys LastWins', () => {
  const lastWins = { duplicateKeys: 'LastWins' } as const;

  test('data replaces a dataFrom key, and the replacement is reported by place, not value', () => {
    const fromData = value();
    const fromMap = value();
    const { values, origins, replaced } = mapFetchedData(
      [{ key: 'password', value: fromData }],
      [
        {
          values: new Map([
            ['password', fromMap],
            ['user', value()],
          ]),
        },
      ],
      lastWins,
    );
    expect([...values.keys()].sort()).toEqual(['password', 'user']);
    expect(same(values.get('password'), fromData)).toBe(true);
    expect(origins.get('password')).toBe('data[0]');
    expect(origins.get('user')).toBe('dataFrom[0]');
    expect(replaced).toEqual([{ key: 'password', replaced: 'dataFrom[0]', by: 'data[0]' }]);
  });

  test('a later dataFrom entry replaces an earlier one, and data replaces both', () => {
    const first = value();
    const second = value();
    const last = value();
    const { values, origins, replaced } = mapFetchedData(
      [{ key: 'a', value: last }],
      [
        {
          values: new Map([
            ['a', value()],
            ['b', first],
          ]),
        },
        { values: new Map([['b', second]]) },
        { values: new Map([['a', value()]]) },
      ],
      lastWins,
    );
    expect(same(values.get('a'), last)).toBe(true);
    expect(same(values.get('b'), second)).toBe(true);
    expect(origins.get('a')).toBe('data[0]');
    expect(origins.get('b')).toBe('dataFrom[1]');
    expect(replaced).toEqual([
      { key: 'b', replaced: 'dataFrom[0]', by: 'dataFrom[1]' },
      { key: 'a', replaced: 'dataFrom[0]', by: 'dataFrom[2]' },
      { key: 'a', replaced: 'dataFrom[2]', by: 'data[0]' },
    ]);
  });

  test('two remote keys rewritten to one key: the later in sorted order wins, whatever order the backend listed', () => {
    const fromA = value();
    const fromB = value();
    const rewrite = [{ regexp: { source: '^.*/', target: '' } }];
    for (const listed of [
      [
        ['b/x', fromB],
        ['a/x', fromA],
      ],
      [
        ['a/x', fromA],
        ['b/x', fromB],
      ],
    ] as [string, Buffer][][]) {
      const { values, origins, replaced } = mapFetchedData(
        [],
        [{ values: new Map(listed), rewrite }],
        lastWins,
      );
      expect([...values.keys()]).toEqual(['x']);
      expect(same(values.get('x'), fromB)).toBe(true);
      expect(origins.get('x')).toBe('dataFrom[0] (remote key "b/x")');
      expect(replaced).toEqual([
        { key: 'x', replaced: 'dataFrom[0] (remote key "a/x")', by: 'dataFrom[0] (remote key "b/x")' },
      ]);
    }
  });

  test('a replaced value is still decoded: one that does not decode is an error', () => {
    expect(() =>
      mapFetchedData(
        [{ key: 'cert', value: value() }],
        [{ values: new Map([['cert', Buffer.from('%%%')]]), decoding: 'Base64' }],
        lastWins,
      ),
    ).toThrow('dataFrom[0], key "cert": the value is not valid base64');
  });

  test('without duplicates nothing is replaced', () => {
    const { replaced } = mapFetchedData(
      [{ key: 'a', value: value() }],
      [{ values: new Map([['b', value()]]) }],
      lastWins,
    );
    expect(replaced).toEqual([]);
  });
});

describe('duplicateKeys Error', () => {
  test.each([{}, { duplicateKeys: 'Error' as const }])('is the default: %j keeps refusing', (options) => {
    expect(() =>
      mapFetchedData(
        [{ key: 'password', value: value() }],
        [{ values: new Map([['password', value()]]) }],
        options,
      ),
    ).toThrow(new SecretSpecError('key "password" is produced by both dataFrom[0] and data[0]'));
  });
});
