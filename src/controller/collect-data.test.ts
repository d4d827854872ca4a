import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../providers/errors.js';
import { CoalescingReader, ReadCoalescer } from '../providers/read-coalescer.js';
import { FakeClock } from '../kube/clock.js';
import { InvalidRefError } from '../providers/errors.js';
import { mapFetchedData } from '../secrets/key-mapping.js';
import { collectData, type Fetched } from './collect-data.js';
import { FakeBackend, FakeProviderClient } from './testing/fakes.js';

const generated = (): string => randomBytes(12).toString('hex');

let clock: FakeClock;
let backend: FakeBackend;
let client: FakeProviderClient;
let reader: CoalescingReader;
const options = (fresh = false) => ({ fresh, signal: new AbortController().signal });

beforeEach(() => {
  clock = new FakeClock(0);
  backend = new FakeBackend();
  client = new FakeProviderClient(backend);
  reader = new CoalescingReader(new ReadCoalescer({ clock, windowMs: 5_000 }));
});

const text = (data: Map<string, Buffer>, key: string): string | undefined => data.get(key)?.toString();
/** The key → value map the fetched entries become (key mapping lives in src/secrets). */
const flat = (fetched: Fetched): Map<string, Buffer> => mapFetchedData(fetched.data, fetched.dataFrom).values;

test('data entries take properties; dataFrom copies every key; one read per document', async () => {
  const [user, password, host] = [generated(), generated(), generated()];
  backend.set('app/db', { user, password, port: 5432, tls: { enabled: true } });
  backend.set('app/host', { host });

  const data = flat(
    await collectData(
      {
        data: [
          { key: 'db-user', remoteRef: { path: 'app/db', property: 'user' } },
          { key: 'db-password', remoteRef: { path: 'app/db', property: 'password' } },
        ],
        dataFrom: [{ path: 'app/host' }],
      },
      client,
      reader,
      options(),
    ),
  );

  expect([...data.keys()].sort()).toEqual(['db-password', 'db-user', 'host']);
  expect(text(data, 'db-user') === user && text(data, 'db-password') === password).toBe(true);
  expect(text(data, 'host') === host).toBe(true);
  expect(backend.reads).toEqual(
    new Map([
      ['app/db', 1],
      ['app/host', 1],
    ]),
  );
});

test('non-string entries are JSON-encoded; a ref without property is the whole document', async () => {
  backend.set('app/db', { port: 5432, tls: { enabled: true } });
  const data = flat(
    await collectData(
      {
        data: [
          { key: 'port', remoteRef: { path: 'app/db', property: 'port' } },
          { key: 'tls-enabled', remoteRef: { path: 'app/db', property: 'tls.enabled' } },
          { key: 'all', remoteRef: { path: 'app/db' } },
        ],
        dataFrom: [],
      },
      client,
      reader,
      options(),
    ),
  );
  expect(text(data, 'port')).toBe('5432');
  expect(text(data, 'tls-enabled')).toBe('true');
  expect(JSON.parse(text(data, 'all')!)).toEqual({ port: 5432, tls: { enabled: true } });
});

test('each entry keeps its decoding and rewrite rules for the key mapping that follows', async () => {
  backend.set('x', { a: generated() });
  const rewrite = [{ regexp: { source: '^a$', target: 'b' } }];
  const fetched = await collectData(
    {
      data: [{ key: 'k', remoteRef: { path: 'x', property: 'a' }, decoding: 'Base64' }],
      dataFrom: [{ path: 'x', decoding: 'Auto', rewrite }],
    },
    client,
    reader,
    options(),
  );
  expect(fetched.data[0]).toMatchObject({ key: 'k', decoding: 'Base64' });
  expect(fetched.dataFrom[0]).toMatchObject({ decoding: 'Auto', rewrite });
  expect([...fetched.dataFrom[0]!.values.keys()]).toEqual(['a']);
  expect(backend.reads.get('x')).toBe(1);
});

test('reads are reused inside the coalescing window unless fresh', async () => {
  backend.set('x', { a: generated() });
  const spec = { data: [{ key: 'a', remoteRef: { path: 'x', property: 'a' } }] };
  await collectData(spec, client, reader, options());
  clock.advance(1_000);
  await collectData(spec, client, reader, options());
  expect(backend.reads.get('x')).toBe(1);
  await collectData(spec, client, reader, options(true));
  expect(backend.reads.get('x')).toBe(2);
  clock.advance(5_000);
  await collectData(spec, client, reader, options());
  expect(backend.reads.get('x')).toBe(3);
});

test('a pinned version is a document of its own', async () => {
  backend.set('x', { a: generated() });
  await collectData(
    {
      data: [
        { key: 'latest', remoteRef: { path: 'x', property: 'a' } },
        { key: 'v3', remoteRef: { path: 'x', property: 'a', version: '3' } },
      ],
    },
    client,
    reader,
    options(),
  );
  expect(backend.reads.get('x')).toBe(2);
});

test('a failed read fails the whole collection', async () => {
  backend.set('x', { a: generated() });
  await expect(
    collectData(
      {
        data: [
          { key: 'a', remoteRef: { path: 'x', property: 'a' } },
          { key: 'b', remoteRef: { path: 'missing' } },
        ],
      },
      client,
      reader,
      options(),
    ),
  ).rejects.toBeInstanceOf(NotFoundError);
});

test('an empty spec collects nothing and reads nothing', async () => {
  expect(await collectData({}, client, reader, options())).toEqual({ data: [], dataFrom: [], warnings: [] });
  expect(backend.totalReads()).toBe(0);
});

test('dataFrom.find on a provider without find() is an InvalidRef error, not fewer keys', async () => {
  const error = await collectData({ dataFrom: [{ find: { path: 'x' } }] }, client, reader, options()).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidRefError);
  expect(backend.totalReads()).toBe(0);
});

test('dataFrom.find maps every secret the provider finds by its remote path', async () => {
  const [one, two] = [generated(), generated()];
  const finding = Object.assign(Object.create(client) as typeof client, {
    find: async () =>
      new Map([
        ['team/one', { value: Buffer.from(one) }],
        ['team/two', { value: Buffer.from(two) }],
      ]),
  });
  const fetched = await collectData({ dataFrom: [{ find: { path: 'team' } }] }, finding, reader, options());
  const values = fetched.dataFrom[0]!.values;
  expect([...values.keys()]).toEqual(['team/one', 'team/two']);
  expect(values.get('team/one')!.toString() === one).toBe(true);
});

test('warnings of every value it used are collected once each: data, dataFrom paths and find', async () => {
  const warning = (message: string) => ({ reason: 'VersionExpired' as const, message });
  backend.set('a', { v: generated(), w: generated() }).warn('a', [warning('a expired')]);
  const finding = Object.assign(Object.create(client) as typeof client, {
    find: async () =>
      new Map([['team/one', { value: Buffer.from(generated()), warnings: [warning('one')] }]]),
  });
  const fetched = await collectData(
    {
      data: [
        { key: 'v', remoteRef: { path: 'a', property: 'v' } },
        { key: 'w', remoteRef: { path: 'a', property: 'w' } },
      ],
      dataFrom: [{ path: 'a' }, { find: { path: 'team' } }],
    },
    finding,
    reader,
    options(),
  );
  expect(fetched.warnings.map((w) => w.message).sort()).toEqual(['a expired', 'one']);
});

test('reports when the oldest read it used started, so the next refresh counts from there', async () => {
  backend.set('a', { v: generated() });
  backend.set('b', { v: generated() });
  const spec = (paths: string[]) => ({
    data: paths.map((path, i) => ({ key: `k${i}`, remoteRef: { path, property: 'v' } })),
  });
  const refresh = { ...options(), maxAgeMs: 30_000 };
  await collectData(spec(['a']), client, reader, refresh);
  clock.advance(10_000);
  const shared = await collectData(spec(['a', 'b']), client, reader, refresh);
  expect(shared.oldestReadAt).toBe(0);
  expect(backend.reads).toEqual(
    new Map([
      ['a', 1],
      ['b', 1],
    ]),
  );
  const fresh = await collectData(spec(['a', 'b']), client, reader, options(true));
  expect(fresh.oldestReadAt).toBe(10_000);
});
