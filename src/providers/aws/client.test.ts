import { randomBytes } from 'node:crypto';
import { FakeClock, flushPromises } from '../../kube/clock.js';
import { InvalidRefError, NotFoundError, UnauthorizedError, UnavailableError } from '../errors.js';
import { valueMap } from '../property.js';
import { remoteRefKey, type RemoteValue } from '../types.js';
import {
  BatchCallFailed,
  type BatchResult,
  type ListFilter,
  type ListPage,
  type SecretPayload,
  type SecretsManagerApi,
  type SecretWrite,
} from './api.js';
import { AwsProviderClient } from './client.js';
import { AccessDeniedError } from './error-map.js';
import { secretIdMatches, type VersionSelector } from './refs.js';
import { UserRegexp } from '../../secrets/user-regexp.js';

interface Version {
  id: string;
  secretString?: string;
  secretBinary?: Uint8Array;
  stages: string[];
}

interface Stored {
  name: string;
  arn: string;
  tags: Record<string, string>;
  versions: Version[];
}

/** An in-memory Secrets Manager with the semantics the client relies on. */
class FakeSecretsManager implements SecretsManagerApi {
  readonly provider = 'SecretProvider payments/aws';
  readonly calls: string[] = [];
  readonly secrets: Stored[] = [];
  batchFailure: BatchCallFailed | undefined;
  listFailure: Error | undefined;
  #versions = 0;

  put(name: string, value: string | Uint8Array, tags: Record<string, string> = {}): string {
    let secret = this.#find(name);
    if (!secret) {
      secret = {
        name,
        arn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`,
        tags,
        versions: [],
      };
      this.secrets.push(secret);
    }
    for (const version of secret.versions) {
      version.stages = version.stages.filter((stage) => stage !== 'AWSPREVIOUS');
      version.stages = version.stages.map((stage) => (stage === 'AWSCURRENT' ? 'AWSPREVIOUS' : stage));
    }
    const id = `00000000-0000-4000-8000-${String(++this.#versions).padStart(12, '0')}`;
    secret.versions.push({
      id,
      stages: ['AWSCURRENT'],
      ...(typeof value === 'string' ? { secretString: value } : { secretBinary: value }),
    });
    return id;
  }

  getSecretValue(secretId: string, selector: VersionSelector): Promise<SecretPayload> {
    this.calls.push(`get ${secretId} ${JSON.stringify(selector)}`);
    return this.#read(secretId, selector);
  }

  async batchGetSecretValue(secretIds: string[]): Promise<BatchResult> {
    this.calls.push(`batch ${secretIds.join(',')}`);
    if (this.batchFailure) throw this.batchFailure;
    const result: BatchResult = { values: [], errors: [] };
    for (const id of secretIds) {
      try {
        result.values.push(await this.#read(id, { stage: 'AWSCURRENT' }));
      } catch {
        result.errors.push({ secretId: id, code: 'ResourceNotFoundException' });
      }
    }
    return result;
  }

  listSecrets(
    request: { filters: ListFilter[]; maxResults: number; nextToken?: string },
    operation: string,
  ): Promise<ListPage> {
    this.calls.push(`${operation} ${JSON.stringify(request.filters)}`);
    if (this.listFailure) return Promise.reject(this.listFailure);
    const matches = this.secrets.filter((secret) =>
      request.filters.every((filter) =>
        filter.values.some((value) =>
          filter.key === 'name'
            ? secret.name.startsWith(value)
            : filter.key === 'tag-key'
              ? Object.keys(secret.tags).some((key) => key.startsWith(value))
              : Object.values(secret.tags).some((tag) => tag.startsWith(value)),
        ),
      ),
    );
    const start = Number(request.nextToken ?? 0);
    const page: ListPage = {
      secrets: matches
        .slice(start, start + request.maxResults)
        .map(({ name, arn, tags }) => ({ name, arn, tags })),
    };
    if (start + request.maxResults < matches.length) page.nextToken = String(start + request.maxResults);
    return Promise.resolve(page);
  }

  async putSecretValue(secretId: string, value: SecretWrite): Promise<void> {
    this.calls.push(`put ${secretId}`);
    const secret = this.#find(secretId);
    if (!secret) throw new NotFoundError({ provider: this.provider, path: secretId });
    this.put(secret.name, 'secretString' in value ? value.secretString : value.secretBinary);
  }

  async createSecret(name: string, value: SecretWrite): Promise<void> {
    this.calls.push(`create ${name}`);
    this.put(name, 'secretString' in value ? value.secretString : value.secretBinary);
  }

  close(): void {
    this.calls.push('close');
  }

  #find(secretId: string): Stored | undefined {
    return this.secrets.find((secret) => secretIdMatches(secretId, secret));
  }

  #read(secretId: string, selector: VersionSelector): Promise<SecretPayload> {
    const secret = this.#find(secretId);
    const version = secret?.versions.find((candidate) =>
      'versionId' in selector
        ? candidate.id === selector.versionId
        : candidate.stages.includes(selector.stage),
    );
    if (!secret || !version) {
      return Promise.reject(new NotFoundError({ provider: this.provider, path: secretId }));
    }
    const payload: SecretPayload = { name: secret.name, arn: secret.arn, versionId: version.id };
    if (version.secretString !== undefined) payload.secretString = version.secretString;
    if (version.secretBinary !== undefined) payload.secretBinary = version.secretBinary;
    return Promise.resolve(payload);
  }
}

const signal = (): AbortSignal => new AbortController().signal;
const text = (value: RemoteValue | Error | undefined): string | undefined =>
  value instanceof Error || value === undefined ? undefined : value.value.toString('utf8');

function setup(options: { batchWindowMs?: number; maxFindResults?: number } = {}) {
  const clock = new FakeClock();
  const aws = new FakeSecretsManager();
  let closed = 0;
  const client = new AwsProviderClient(aws, {
    clock,
    batchWindowMs: options.batchWindowMs ?? 0,
    ...(options.maxFindResults === undefined ? {} : { maxFindResults: options.maxFindResults }),
    onClose: () => closed++,
  });
  return { clock, aws, client, closed: () => closed };
}

describe('AwsProviderClient.get', () => {
  test('the whole SecretString, one JSON property (dotted paths too) and the version id', async () => {
    const { aws, client } = setup();
    const password = randomBytes(12).toString('hex');
    const id = aws.put('payments/db', JSON.stringify({ user: 'app', password, nested: { port: 5432 } }));
    const whole = await client.get({ path: 'payments/db' }, signal());
    expect(JSON.parse(whole.value.toString('utf8'))).toEqual({
      user: 'app',
      password,
      nested: { port: 5432 },
    });
    expect(whole.version).toBe(id);
    expect((await client.get({ path: 'payments/db', property: 'password' }, signal())).value.toString()).toBe(
      password,
    );
    expect(
      (await client.get({ path: 'payments/db', property: 'nested.port' }, signal())).value.toString(),
    ).toBe('5432');
    expect(valueMap(whole, { provider: 'p' }).get('nested')!.toString()).toBe('{"port":5432}');
  });

  test('a missing property, a non-JSON secret with a property, a missing secret', async () => {
    const { aws, client } = setup();
    aws.put('plain', 'not json');
    aws.put('doc', '{"a":"1"}');
    await expect(client.get({ path: 'doc', property: 'b' }, signal())).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.get({ path: 'plain', property: 'a' }, signal())).rejects.toBeInstanceOf(
      InvalidRefError,
    );
    await expect(client.get({ path: 'nope' }, signal())).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.get({ path: 'has space' }, signal())).rejects.toBeInstanceOf(InvalidRefError);
  });

  test('SecretBinary comes back as the same bytes', async () => {
    const { aws, client } = setup();
    const bytes = randomBytes(64);
    aws.put('cert', new Uint8Array(bytes));
    expect((await client.get({ path: 'cert' }, signal())).value.equals(bytes)).toBe(true);
  });

  test('version: staging label, UUID version id, explicit forms', async () => {
    const { aws, client } = setup();
    const first = aws.put('rotating', 'one');
    aws.put('rotating', 'two');
    expect(text(await client.get({ path: 'rotating' }, signal()))).toBe('two');
    expect(text(await client.get({ path: 'rotating', version: 'AWSPREVIOUS' }, signal()))).toBe('one');
    expect(text(await client.get({ path: 'rotating', version: first }, signal()))).toBe('one');
    expect(text(await client.get({ path: 'rotating', version: `versionId:${first}` }, signal()))).toBe('one');
    await expect(client.get({ path: 'rotating', version: 'AWSPENDING' }, signal())).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(aws.calls.at(-1)).toBe('get rotating {"stage":"AWSPENDING"}');
  });

  test('with a batch window, gets within it become one BatchGetSecretValue; pinned versions go alone', async () => {
    const { aws, client, clock } = setup({ batchWindowMs: 10 });
    for (let i = 0; i < 10; i++) aws.put(`s${i}`, `{"v":"${i}"}`);
    const previous = aws.put('s0', '{"v":"new"}');
    const reads = Array.from({ length: 100 }, (_, i) =>
      client.get({ path: `s${i % 10}`, ...(i % 3 === 0 ? { property: 'v' } : {}) }, signal()),
    );
    const pinned = client.get({ path: 's0', version: previous }, signal());
    await clock.advanceAsync(10);
    const values = await Promise.all(reads);
    expect(values.filter((value, i) => i % 3 === 0).map((v) => v.value.toString())[1]).toBe('3');
    expect(text(await pinned)).toBe('{"v":"new"}');
    expect(aws.calls.filter((call) => call.startsWith('batch'))).toEqual([
      'batch s0,s1,s2,s3,s4,s5,s6,s7,s8,s9',
    ]);
    expect(aws.calls.filter((call) => call.startsWith('get'))).toHaveLength(1);
    // Callers own their buffers.
    values[0]!.value.fill(0);
    expect(values[10]!.value.toString()).toBe('{"v":"new"}');
  });

  test('an id the batch does not know is answered with its own NotFoundError', async () => {
    const { aws, client, clock } = setup({ batchWindowMs: 10 });
    aws.put('here', 'x');
    // Settled together: both reads are in flight before the clock closes the batch window.
    const settled = Promise.allSettled([
      client.get({ path: 'here' }, signal()),
      client.get({ path: 'gone' }, signal()),
    ]);
    await clock.advanceAsync(10);
    expect(await settled).toEqual([
      { status: 'fulfilled', value: expect.objectContaining({ value: Buffer.from('x') }) },
      { status: 'rejected', reason: expect.any(NotFoundError) },
    ]);
  });
});

describe('AwsProviderClient.getMany', () => {
  test('current refs in batches of 20, pinned refs alone, every ref keyed by remoteRefKey', async () => {
    const { aws, client } = setup();
    for (let i = 0; i < 25; i++) aws.put(`s${i}`, `{"k":"${i}"}`);
    const old = aws.put('s1', '{"k":"changed"}');
    const refs = [
      ...Array.from({ length: 25 }, (_, i) => ({ path: `s${i}` })),
      { path: 's2', property: 'k' },
      { path: 's1', version: 'AWSPREVIOUS' },
      { path: 's1', version: old },
      { path: 'missing' },
      { path: 's3', property: 'nope' },
      { path: 'bad path' },
    ];
    const results = await client.getMany(refs, signal());
    expect(results.size).toBe(refs.length);
    expect(text(results.get(remoteRefKey({ path: 's2', property: 'k' })))).toBe('2');
    expect(text(results.get(remoteRefKey({ path: 's1', version: 'AWSPREVIOUS' })))).toBe('{"k":"1"}');
    expect(text(results.get(remoteRefKey({ path: 's1', version: old })))).toBe('{"k":"changed"}');
    expect(results.get(remoteRefKey({ path: 'missing' }))).toBeInstanceOf(NotFoundError);
    expect(results.get(remoteRefKey({ path: 's3', property: 'nope' }))).toBeInstanceOf(NotFoundError);
    expect(results.get(remoteRefKey({ path: 'bad path' }))).toBeInstanceOf(InvalidRefError);
    const batches = aws.calls.filter((call) => call.startsWith('batch'));
    expect(batches.map((call) => call.split(',').length)).toEqual([20, 6]);
    expect(aws.calls.filter((call) => call.startsWith('get'))).toHaveLength(2);
  });

  test('a whole-batch failure gives every ref its own error naming only its own secret', async () => {
    const { aws, client } = setup();
    aws.batchFailure = new BatchCallFailed(
      (id) => new UnavailableError({ provider: aws.provider, path: id }, 'AWS failed'),
      false,
    );
    const results = await client.getMany([{ path: 'a' }, { path: 'b' }], signal());
    const error = results.get(remoteRefKey({ path: 'b' })) as Error;
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toContain('"b"');
    expect(error.message).not.toContain('"a"');
  });

  test('BatchGetSecretValue denied: falls back to GetSecretValue and stays there', async () => {
    const { aws, client } = setup();
    aws.put('a', '1');
    aws.put('b', '2');
    aws.batchFailure = new BatchCallFailed((id) => new AccessDeniedError({ provider: 'p', path: id }), true);
    const first = await client.getMany([{ path: 'a' }, { path: 'b' }], signal());
    expect(text(first.get(remoteRefKey({ path: 'b' })))).toBe('2');
    await client.getMany([{ path: 'a' }, { path: 'b' }], signal());
    expect(aws.calls.filter((call) => call.startsWith('batch'))).toHaveLength(1);
    expect(aws.calls.filter((call) => call.startsWith('get'))).toHaveLength(4);
  });
});

describe('AwsProviderClient.find', () => {
  function seeded() {
    const context = setup();
    context.aws.put('team-a/db', '{"p":"1"}', { team: 'a', env: 'prod' });
    context.aws.put('team-a/cache', '{"p":"2"}', { team: 'a', env: 'dev' });
    context.aws.put('team-b/db', '{"p":"3"}', { team: 'b', env: 'prod' });
    context.aws.put('team-ab/x', '{"p":"4"}', { team: 'ab' });
    return context;
  }

  test('by prefix, by regular expression and by tags (every tag exactly)', async () => {
    const { client, aws } = seeded();
    expect([...(await client.find({ path: 'team-a/' }, signal())).keys()].sort()).toEqual([
      'team-a/cache',
      'team-a/db',
    ]);
    expect([...(await client.find({ name: 'db$' }, signal())).keys()].sort()).toEqual([
      'team-a/db',
      'team-b/db',
    ]);
    const tagged = await client.find({ tags: { team: 'a', env: 'prod' } }, signal());
    expect([...tagged.keys()]).toEqual(['team-a/db']);
    expect(text(tagged.get('team-a/db'))).toBe('{"p":"1"}');
    // "team: a" must not match "ab" although AWS tag filters match prefixes.
    expect([...(await client.find({ tags: { team: 'a' } }, signal())).keys()].sort()).toEqual([
      'team-a/cache',
      'team-a/db',
    ]);
    expect(aws.calls).toContain(
      'find [{"key":"tag-key","values":["team"]},{"key":"tag-value","values":["a"]}]',
    );
  });

  test('filter values AWS would read as negation or reject are applied only here', async () => {
    const { client, aws } = seeded();
    aws.put('!odd', 'x', { '!k': 'v' });
    expect([...(await client.find({ path: '!odd', tags: { '!k': 'v' } }, signal())).keys()]).toEqual([
      '!odd',
    ]);
    expect(aws.calls.at(-2)).toBe('find []');
  });

  test('pages are followed; too many matches and a bad regular expression are InvalidRef', async () => {
    const { client, aws } = setup({ maxFindResults: 150 });
    for (let i = 0; i < 130; i++) aws.put(`many/${i}`, 'v');
    expect((await client.find({ path: 'many/' }, signal())).size).toBe(130);
    expect(aws.calls.filter((call) => call.startsWith('find'))).toHaveLength(2);
    expect(aws.calls.filter((call) => call.startsWith('batch'))).toHaveLength(7);
    for (let i = 130; i < 160; i++) aws.put(`many/${i}`, 'v');
    await expect(client.find({ path: 'many/' }, signal())).rejects.toBeInstanceOf(InvalidRefError);
    await expect(client.find({ name: '(' }, signal())).rejects.toBeInstanceOf(InvalidRefError);
  });
});

describe('AwsProviderClient.find: the name pattern is a user regular expression', () => {
  test('Go (RE2) syntax, as in External Secrets Operator: (?P<name>...) works, lookarounds do not', async () => {
    const { client, aws } = setup();
    aws.put('team-a/db', 'v');
    aws.put('team-b/db', 'v');
    expect([...(await client.find({ name: '^(?P<team>team-a)/db$' }, signal())).keys()]).toEqual([
      'team-a/db',
    ]);
    await expect(client.find({ name: 'team-(?!a)' }, signal())).rejects.toThrow(
      /find name: not a valid regular expression \(RE2 syntax\)/,
    );
  });

  test('a backtracking pattern against a 31-character name does bounded work', async () => {
    const { client, aws } = setup();
    const hostile = `${'a'.repeat(30)}!`;
    aws.put(hostile, 'v');
    // (a+)+$ has 2^30 ways to fail on this name in a backtracking engine; RE2 visits each
    // (instruction, position) pair at most once.
    expect(UserRegexp.compile('(a+)+$').workBound(hostile)).toBeLessThanOrEqual(10 * (hostile.length + 1));
    expect([...(await client.find({ name: '(a+)+$' }, signal())).keys()]).toEqual([]);
    expect([...(await client.find({ name: '(a|a)*!' }, signal())).keys()]).toEqual([hostile]);
  });
});

describe('AwsProviderClient.write', () => {
  test('a whole value (text or binary) and one property by read-modify-write', async () => {
    const { aws, client } = setup();
    aws.put('app', '{"a":"1","b":"2"}');
    await client.write({ path: 'app', property: 'b' }, Buffer.from('3'), signal());
    expect(text(await client.get({ path: 'app' }, signal()))).toBe('{"a":"1","b":"3"}');
    await client.write({ path: 'app' }, Buffer.from('plain'), signal());
    expect(text(await client.get({ path: 'app' }, signal()))).toBe('plain');
    const bytes = Buffer.from([0xff, 0xfe, 0x00]);
    await client.write({ path: 'app' }, bytes, signal());
    expect((await client.get({ path: 'app' }, signal())).value.equals(bytes)).toBe(true);
  });

  test('a version and non-UTF-8 property values are refused', async () => {
    const { aws, client } = setup();
    aws.put('app', '{}');
    await expect(
      client.write({ path: 'app', version: 'AWSPREVIOUS' }, Buffer.from('x'), signal()),
    ).rejects.toBeInstanceOf(InvalidRefError);
    await expect(
      client.write({ path: 'app', property: 'k' }, Buffer.from([0xff]), signal()),
    ).rejects.toBeInstanceOf(InvalidRefError);
  });

  test('a secret that does not exist yet is created (spec.generate first value); an ARN is not', async () => {
    const { aws, client } = setup();
    await client.write({ path: 'new', property: 'k' }, Buffer.from('v'), signal());
    expect(text(await client.get({ path: 'new' }, signal()))).toBe('{"k":"v"}');
    expect(aws.calls.filter((c) => c.startsWith('create'))).toEqual(['create new']);
    await expect(
      client.write(
        { path: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:none-AbCdEf', property: 'k' },
        Buffer.from('v'),
        signal(),
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('AwsProviderClient.validate and close', () => {
  test('validate lists one secret; AccessDenied proves authentication, other errors fail', async () => {
    const { aws, client } = setup();
    await client.validate(signal());
    expect(aws.calls).toEqual(['validate []']);
    aws.listFailure = new AccessDeniedError({ provider: 'p' });
    await client.validate(signal());
    aws.listFailure = new UnauthorizedError({ provider: 'p' }, 'AWS rejected the credentials');
    await expect(client.validate(signal())).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('close is idempotent and fails reads waiting for their batch', async () => {
    const { client, closed } = setup({ batchWindowMs: 10 });
    const read = client.get({ path: 'x' }, signal());
    await flushPromises();
    await client.close();
    await client.close();
    await expect(read).rejects.toBeInstanceOf(UnavailableError);
    expect(closed()).toBe(1);
  });
});
