// The Vault provider against a real OpenBao dev server (VAULT_ADDR, root VAULT_TOKEN). Credentials come
// from a fake CredentialSource holding the test's own values; Kubernetes auth is covered by the
// control-plane tests. Values are random and compared without printing them.
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { jest } from '@jest/globals';
import type { VaultProvider } from '../../src/api/v1alpha1/types.generated.js';
import { ProviderHarness, type Harness } from '../support/provider-harness.js';
import { ProviderClientCache } from '../../src/providers/client-cache.js';
import {
  scopeCredentials,
  type CredentialSecretValue,
  type CredentialSource,
  type SecretKeyRef,
  type ServiceAccountToken,
} from '../../src/providers/credentials.js';
import {
  InvalidRefError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
} from '../../src/providers/errors.js';
import { valueMap } from '../../src/providers/property.js';
import { CoalescingReader, ReadCoalescer } from '../../src/providers/read-coalescer.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import {
  silentLogger,
  systemProviderClock,
  type ProviderClient,
  type ProviderIdentity,
  type ProviderCallStatus,
  type RemoteValue,
} from '../../src/providers/types.js';
import { vaultProviderFactory } from '../../src/providers/vault/index.js';
import { eventually, requireEnv, uniqueName } from '../support/kube.js';

jest.setTimeout(60_000);

const addr = (): string => requireEnv('VAULT_ADDR');
const provider: ProviderIdentity = { kind: 'ClusterSecretProvider', name: 'e2e-vault' };
const signal = (): AbortSignal => AbortSignal.timeout(20_000);
const secretValue = (): string => randomBytes(16).toString('hex');
const sameText = (actual: Buffer | undefined, expected: string): boolean =>
  actual !== undefined && actual.toString('utf8') === expected;

/** Admin calls with the root token, for setting the server up. */
async function admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${addr()}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': requireEnv('VAULT_TOKEN'), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`setup call ${method} ${path} failed: HTTP ${response.status}`);
  const text = await response.text();
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

class TestCredentials implements CredentialSource {
  readonly #secrets = new Map<string, CredentialSecretValue>();
  #version = 0;

  set(ref: SecretKeyRef, value: string): void {
    this.#secrets.set(`${ref.namespace}/${ref.name}/${ref.key}`, {
      value: Buffer.from(value),
      resourceVersion: String(++this.#version),
    });
  }

  secretKey(ref: SecretKeyRef): Promise<CredentialSecretValue> {
    const found = this.#secrets.get(`${ref.namespace}/${ref.name}/${ref.key}`);
    return found
      ? Promise.resolve(found)
      : Promise.reject(new Error(`no test secret ${ref.namespace}/${ref.name}`));
  }

  serviceAccountToken(): Promise<ServiceAccountToken> {
    return Promise.reject(new Error('not used in this test'));
  }
}

async function vaultClient(
  spec: Omit<VaultProvider, 'server'>,
  credentials: CredentialSource,
): Promise<Harness> {
  const prepared = vaultProviderFactory().prepare({ server: addr(), ...spec }, provider);
  return providers.open(prepared, {
    provider,
    credentials,
    consumerNamespace: 'team-a',
    signal: signal(),
    logger: silentLogger,
  });
}

/** A token with a policy that may read and write `secret/` and `kv1-*` mounts. */
async function policyToken(options: Record<string, unknown> = {}): Promise<string> {
  const created = await admin('POST', 'auth/token/create', { policies: [readerPolicy], ...options });
  return (created.auth as { client_token: string }).client_token;
}

const readerPolicy = uniqueName('e2e-reader');
const providers = new ProviderHarness();
const tokenRef = { namespace: 'team-a', name: 'vault-token', key: 'token' };
const tokenSpec = { auth: { token: { secretRef: { name: 'vault-token', key: 'token' } } } };

beforeAll(async () => {
  await admin('PUT', `sys/policies/acl/${readerPolicy}`, {
    policy: [
      'path "secret/data/e2e/*" { capabilities = ["create", "read", "update"] }',
      'path "kv1-*" { capabilities = ["create", "read", "update"] }',
    ].join('\n'),
  });
});

afterAll(async () => {
  await providers.closeAll();
});

describe('KV v2', () => {
  const path = `e2e/${uniqueName('app')}`;
  const first = { username: 'app', password: secretValue(), nested: { port: 5432, tls: true } };
  const second = { ...first, password: secretValue() };
  let harness: Harness;

  beforeAll(async () => {
    await admin('POST', `secret/data/${path}`, { data: first });
    await admin('POST', `secret/data/${path}`, { data: second });
    const credentials = new TestCredentials();
    credentials.set(tokenRef, await policyToken());
    harness = await vaultClient(tokenSpec, credentials);
  });

  test('get without property returns the whole map as JSON, with its version', async () => {
    const got = await harness.client.get({ path }, signal());
    expect(got.version).toBe('2');
    expect(isDeepStrictEqual(JSON.parse(got.value.toString('utf8')), second)).toBe(true);
  });

  test('property selects one key; dotted paths reach nested values', async () => {
    const password = await harness.client.get({ path, property: 'password' }, signal());
    expect(sameText(password.value, second.password)).toBe(true);
    const port = await harness.client.get({ path, property: 'nested.port' }, signal());
    expect(port.value.toString()).toBe('5432');
    const nested = await harness.client.get({ path, property: 'nested' }, signal());
    expect(JSON.parse(nested.value.toString())).toEqual({ port: 5432, tls: true });
  });

  test('version pins an older version', async () => {
    const pinned = await harness.client.get({ path, property: 'password', version: '1' }, signal());
    expect(pinned.version).toBe('1');
    expect(sameText(pinned.value, first.password)).toBe(true);
  });

  test('the getMap convention expands every key (non-strings JSON-encoded)', async () => {
    const map = valueMap(await harness.client.get({ path }, signal()), { provider: 'test', path });
    expect([...map.keys()].sort()).toEqual(['nested', 'password', 'username']);
    expect(sameText(map.get('password'), second.password)).toBe(true);
    expect(map.get('nested')?.toString()).toBe('{"port":5432,"tls":true}');
  });

  test('a missing path, version or property is NotFound; a bad version is InvalidRef', async () => {
    await expect(
      harness.client.get({ path: `e2e/${uniqueName('missing')}` }, signal()),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(harness.client.get({ path, version: '99' }, signal())).rejects.toBeInstanceOf(NotFoundError);
    await expect(harness.client.get({ path, property: 'nope' }, signal())).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(harness.client.get({ path, version: 'latest' }, signal())).rejects.toBeInstanceOf(
      InvalidRefError,
    );
  });

  test('a path the policy denies is Unauthorized, and the token stays in use', async () => {
    await admin('POST', `secret/data/other/${uniqueName('denied')}`, { data: { x: secretValue() } });
    const before = harness.calls.filter((c) => c.operation === 'login' || c.operation === 'lookup').length;
    await expect(harness.client.get({ path: 'other/denied' }, signal())).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    const logins = harness.calls.filter((c) => c.operation === 'login').length;
    expect(logins).toBe(0);
    // One lookup-self tells the dead-token case from the denied-path case.
    const after = harness.calls.filter((c) => c.operation === 'login' || c.operation === 'lookup').length;
    expect(after - before).toBe(1);
    await expect(harness.client.validate(signal())).resolves.toBeUndefined();
  });

  test('write() replaces the map, or changes one property with check-and-set', async () => {
    const target = `e2e/${uniqueName('written')}`;
    const token = secretValue();
    await harness.client.write!(
      { path: target },
      Buffer.from(JSON.stringify({ token, keep: 'yes' })),
      signal(),
    );
    const rotated = secretValue();
    await harness.client.write!({ path: target, property: 'token' }, Buffer.from(rotated), signal());
    const read = await harness.client.get({ path: target }, signal());
    expect(read.version).toBe('2');
    const document = JSON.parse(read.value.toString()) as Record<string, string>;
    expect(document.keep).toBe('yes');
    expect(document.token === rotated).toBe(true);
    await expect(
      harness.client.write!({ path: target }, Buffer.from('not json'), signal()),
    ).rejects.toBeInstanceOf(InvalidRefError);
    const fresh = `e2e/${uniqueName('created')}`;
    await harness.client.write!({ path: fresh, property: 'only' }, Buffer.from(rotated), signal());
    expect(
      sameText((await harness.client.get({ path: fresh, property: 'only' }, signal())).value, rotated),
    ).toBe(true);
  });
});

describe('KV v1', () => {
  const mount = uniqueName('kv1');
  const password = secretValue();
  let harness: Harness;

  beforeAll(async () => {
    await admin('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '1' } });
    await admin('POST', `${mount}/db`, { password, user: 'db' });
    const credentials = new TestCredentials();
    credentials.set(tokenRef, await policyToken());
    harness = await vaultClient({ path: mount, version: 'v1', ...tokenSpec }, credentials);
  });

  afterAll(async () => {
    await admin('DELETE', `sys/mounts/${mount}`);
  });

  test('reads the map and a property; versions are refused', async () => {
    const whole = await harness.client.get({ path: 'db' }, signal());
    expect(whole.version).toBeUndefined();
    expect(Object.keys(JSON.parse(whole.value.toString())).sort()).toEqual(['password', 'user']);
    expect(
      sameText((await harness.client.get({ path: 'db', property: 'password' }, signal())).value, password),
    ).toBe(true);
    await expect(harness.client.get({ path: 'db', version: '1' }, signal())).rejects.toBeInstanceOf(
      InvalidRefError,
    );
    await expect(harness.client.get({ path: 'nothing' }, signal())).rejects.toBeInstanceOf(NotFoundError);
  });

  test('write() merges a property', async () => {
    const rotated = secretValue();
    await harness.client.write!({ path: 'db', property: 'password' }, Buffer.from(rotated), signal());
    const map = valueMap(await harness.client.get({ path: 'db' }, signal()), { provider: 'test' });
    expect(sameText(map.get('password'), rotated)).toBe(true);
    expect(map.get('user')?.toString()).toBe('db');
  });
});

describe('authentication', () => {
  const path = `e2e/${uniqueName('auth')}`;
  const password = secretValue();

  beforeAll(async () => {
    await admin('POST', `secret/data/${path}`, { data: { password } });
  });

  test('a wrong token is Unauthorized, for reads and validate()', async () => {
    const credentials = new TestCredentials();
    credentials.set(tokenRef, `s.${randomBytes(12).toString('hex')}`);
    const { client } = await vaultClient(tokenSpec, credentials);
    await expect(client.get({ path }, signal())).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(client.validate(signal())).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('errors never carry the token', async () => {
    const token = `s.${randomBytes(12).toString('hex')}`;
    const credentials = new TestCredentials();
    credentials.set(tokenRef, token);
    const { client } = await vaultClient(tokenSpec, credentials);
    const error = await client.get({ path }, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    const serialized = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String(error);
    expect(serialized.includes(token)).toBe(false);
    expect((error as Error).cause).toBeUndefined();
  });

  test('an unreachable server is Unavailable', async () => {
    const credentials = new TestCredentials();
    credentials.set(tokenRef, 'irrelevant');
    const prepared = vaultProviderFactory().prepare({ server: 'http://127.0.0.1:1', ...tokenSpec }, provider);
    const client = await prepared.create({
      provider,
      credentials: scopeCredentials(credentials, { provider, consumerNamespace: 'team-a' }),
      clock: systemProviderClock,
      logger: silentLogger,
      onCall: () => {},
      signal: signal(),
    });
    providers.keep(client);
    await expect(client.get({ path }, signal())).rejects.toBeInstanceOf(UnavailableError);
    const aborted = new AbortController();
    aborted.abort(new Error('caller gave up'));
    await expect(client.get({ path }, aborted.signal)).rejects.toThrow('caller gave up');
  });

  test('AppRole: logs in with role-id and secret-id; a wrong secret-id is Unauthorized', async () => {
    const mount = uniqueName('approle');
    await admin('POST', `sys/auth/${mount}`, { type: 'approle' });
    await admin('POST', `auth/${mount}/role/reader`, { token_policies: [readerPolicy], token_ttl: '1h' });
    const roleId = ((await admin('GET', `auth/${mount}/role/reader/role-id`)).data as { role_id: string })
      .role_id;
    const secretId = (
      (await admin('POST', `auth/${mount}/role/reader/secret-id`)).data as { secret_id: string }
    ).secret_id;
    const secretRef = { name: 'approle', key: 'secret-id' };
    const spec = { auth: { appRole: { path: mount, roleId, secretRef } } };

    const credentials = new TestCredentials();
    credentials.set({ namespace: 'team-a', ...secretRef }, secretId);
    const { client, calls } = await vaultClient(spec, credentials);
    expect(sameText((await client.get({ path, property: 'password' }, signal())).value, password)).toBe(true);
    await client.get({ path }, signal());
    expect(calls.filter((c) => c.operation === 'login')).toEqual([{ operation: 'login', status: 'success' }]);
    await expect(client.validate(signal())).resolves.toBeUndefined();

    // Revoke every token this AppRole mount issued: the next read meets a 403, logs in again, retries.
    await admin('POST', `sys/leases/revoke-prefix/auth/${mount}/login`);
    expect(sameText((await client.get({ path, property: 'password' }, signal())).value, password)).toBe(true);
    expect(calls.filter((c) => c.operation === 'login' && c.status === 'success')).toHaveLength(2);

    const wrong = new TestCredentials();
    wrong.set({ namespace: 'team-a', ...secretRef }, randomBytes(16).toString('hex'));
    const rejected = await vaultClient(spec, wrong);
    await expect(rejected.client.get({ path }, signal())).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('token lifetime', () => {
  const path = `e2e/${uniqueName('ttl')}`;
  const password = secretValue();
  /**
   * Reads again and again until `done(calls)` (a renewal or login seen), so the token ages past its
   * TTL while in use; every read must return the value. Returns how many reads were made.
   */
  async function readUntil(
    client: ProviderClient,
    calls: readonly { operation: string; status: ProviderCallStatus }[],
    done: () => boolean,
    describe: string,
  ): Promise<number> {
    const wrong: string[] = [];
    let reads = 0;
    await eventually(
      async () => {
        reads++;
        const got = await client
          .get({ path, property: 'password' }, signal())
          .catch((error: unknown) => error);
        if (got instanceof Error || !sameText((got as RemoteValue).value, password))
          wrong.push(got instanceof Error ? got.name : 'a different value');
        if (!done()) throw new Error(`${calls.length} calls so far`);
      },
      { timeoutMs: 30_000, describe },
    );
    expect({ wrong }).toEqual({ wrong: [] });
    return reads;
  }

  beforeAll(async () => {
    await admin('POST', `secret/data/${path}`, { data: { password } });
  });

  test('a short-lived renewable token is renewed and reads keep working past its first TTL', async () => {
    const credentials = new TestCredentials();
    credentials.set(tokenRef, await policyToken({ ttl: '3s', renewable: true, explicit_max_ttl: '2m' }));
    const { client, calls } = await vaultClient(tokenSpec, credentials);
    const renewals = () => calls.filter((c) => c.operation === 'renew' && c.status === 'success').length;
    // Renewed at two thirds of its 3 s TTL: two renewals take the token past its first TTL.
    await readUntil(client, calls, () => renewals() >= 2, 'two renewals of a 3 s token while it is read');
    expect(sameText((await client.get({ path, property: 'password' }, signal())).value, password)).toBe(true);
    expect(calls.some((c) => c.status === 'AuthFailed')).toBe(false);
  });

  test('an AppRole token at its max TTL is replaced by a new login', async () => {
    const mount = uniqueName('approle');
    await admin('POST', `sys/auth/${mount}`, { type: 'approle' });
    await admin('POST', `auth/${mount}/role/short`, {
      token_policies: [readerPolicy],
      token_ttl: '2s',
      token_max_ttl: '3s',
    });
    const roleId = ((await admin('GET', `auth/${mount}/role/short/role-id`)).data as { role_id: string })
      .role_id;
    const secretId = (
      (await admin('POST', `auth/${mount}/role/short/secret-id`)).data as { secret_id: string }
    ).secret_id;
    const secretRef = { name: 'approle', key: 'secret-id' };
    const credentials = new TestCredentials();
    credentials.set({ namespace: 'team-a', ...secretRef }, secretId);
    const { client, calls } = await vaultClient(
      { auth: { appRole: { path: mount, roleId, secretRef } } },
      credentials,
    );
    const logins = () => calls.filter((c) => c.operation === 'login' && c.status === 'success').length;
    // Its 3 s max TTL reached, the token is replaced by a new login, and reads go on.
    await readUntil(client, calls, () => logins() >= 2, 'a second login after the max TTL');
    expect(sameText((await client.get({ path, property: 'password' }, signal())).value, password)).toBe(true);
    expect(calls.some((c) => c.operation === 'read' && c.status !== 'success')).toBe(false);
  });
});

describe('through the client cache and the read coalescer', () => {
  test('many SecretSources over two paths make one login and two reads', async () => {
    const paths = [`e2e/${uniqueName('shared')}`, `e2e/${uniqueName('shared')}`];
    const values = paths.map(() => ({ a: secretValue(), b: secretValue() }));
    for (const [i, p] of paths.entries()) await admin('POST', `secret/data/${p}`, { data: values[i] });
    const credentials = new TestCredentials();
    credentials.set({ ...tokenRef, namespace: 'secretsource-system' }, await policyToken());
    const calls: Array<{ operation: string; status: ProviderCallStatus }> = [];
    const cache = new ProviderClientCache({
      registry: new ProviderRegistry([vaultProviderFactory()]),
      credentials,
      onCall: (_provider, operation, status) => calls.push({ operation, status }),
    });
    const reader = new CoalescingReader(new ReadCoalescer({ windowMs: 5_000 }));
    const object = {
      ...provider,
      uid: uniqueName('uid'),
      generation: 1,
      spec: {
        vault: {
          server: addr(),
          auth: {
            token: { secretRef: { name: 'vault-token', key: 'token', namespace: 'secretsource-system' } },
          },
        },
      },
    };
    try {
      const reads = Array.from({ length: 200 }, async (_, i) => {
        const client = await cache.acquire(object, `ns-${i % 20}`, signal());
        const which = i % 2;
        const property = i % 4 < 2 ? 'a' : 'b';
        const got = await reader.get(client, { path: paths[which]!, property }, { signal: signal() });
        return sameText(got.value, values[which]![property as 'a' | 'b']);
      });
      expect((await Promise.all(reads)).every(Boolean)).toBe(true);
      expect(cache.size).toBe(1);
      expect(calls.filter((c) => c.operation === 'read')).toHaveLength(2);
      expect(calls.filter((c) => c.operation === 'lookup')).toHaveLength(1);
    } finally {
      await cache.closeAll();
    }
  });
});
