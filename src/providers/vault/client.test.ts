import { FakeClock } from '../../kube/clock.js';
import { scopeCredentials, type CredentialSource } from '../credentials.js';
import { errorFromHttpStatus, InvalidRefError, InvalidSpecError, type ErrorSubject } from '../errors.js';
import { silentLogger } from '../types.js';
import type { VaultRequest, VaultRequester } from './api.js';
import { VaultProviderClient } from './client.js';
import { createVaultClient } from './create-client.js';
import { VaultSession } from './session.js';
import { parseVaultSpec } from './spec.js';

class FakeVault implements VaultRequester {
  readonly provider = 'SecretProvider payments/vault';
  readonly requests: VaultRequest[] = [];
  readonly documents = new Map<string, { data: Record<string, unknown>; version: number }>();
  closed = false;
  subject(path: string): ErrorSubject {
    return { provider: this.provider, path };
  }
  request(_operation: string, request: VaultRequest): Promise<unknown> {
    this.requests.push(request);
    const path = request.path.replace(/\?.*$/, '');
    if (request.method === 'GET') {
      const stored = this.documents.get(path);
      if (!stored) return Promise.reject(errorFromHttpStatus({ status: 404 }, this.subject(path)));
      return Promise.resolve({
        data: { data: stored.data, metadata: { version: stored.version, deletion_time: '' } },
      });
    }
    return Promise.resolve({});
  }
  close(): void {
    this.closed = true;
  }
}

function client(vault: FakeVault, kvVersion: 1 | 2 = 2): VaultProviderClient {
  const session = new VaultSession({
    auth: {
      method: 'token',
      login: () => Promise.resolve({ token: 'root', ttlSeconds: 0, renewable: false }),
    },
    api: vault,
    clock: new FakeClock(),
    logger: silentLogger,
    provider: vault.provider,
  });
  return new VaultProviderClient(vault, session, { mount: 'secret', kvVersion });
}

const signal = (): AbortSignal => new AbortController().signal;

describe('VaultProviderClient.write', () => {
  test('a whole document is written as the v2 data map', async () => {
    const vault = new FakeVault();
    await client(vault).write({ path: 'app/db' }, Buffer.from('{"a":"1"}'), signal());
    expect(vault.requests).toEqual([
      { method: 'POST', path: 'secret/data/app/db', token: 'root', body: { data: { a: '1' } } },
    ]);
  });

  test('one property is merged with check-and-set on the version read', async () => {
    const vault = new FakeVault();
    vault.documents.set('secret/data/app/db', { data: { a: '1', b: '2' }, version: 5 });
    await client(vault).write({ path: 'app/db', property: 'b' }, Buffer.from('3'), signal());
    expect(vault.requests[1]).toEqual({
      method: 'POST',
      path: 'secret/data/app/db',
      token: 'root',
      body: { data: { a: '1', b: '3' }, options: { cas: 5 } },
    });
  });

  test('a property of a missing secret creates it; v1 writes the plain map', async () => {
    const vault = new FakeVault();
    await client(vault).write({ path: 'new' }, Buffer.from('{"k":"v"}'), signal());
    await client(vault).write({ path: 'fresh', property: 'k' }, Buffer.from('v'), signal());
    expect(vault.requests.at(-1)!.body).toEqual({ data: { k: 'v' } });
    const v1 = new FakeVault();
    await client(v1, 1).write({ path: 'db' }, Buffer.from('{"k":"v"}'), signal());
    expect(v1.requests).toEqual([{ method: 'POST', path: 'secret/db', token: 'root', body: { k: 'v' } }]);
  });

  test('refuses values Vault cannot hold', async () => {
    const vault = new FakeVault();
    await expect(client(vault).write({ path: 'a' }, Buffer.from('[1]'), signal())).rejects.toBeInstanceOf(
      InvalidRefError,
    );
    await expect(
      client(vault).write({ path: 'a', property: 'k' }, Buffer.from([0xff, 0xfe]), signal()),
    ).rejects.toBeInstanceOf(InvalidRefError);
    expect(vault.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  test('close() releases the API once', async () => {
    const vault = new FakeVault();
    const c = client(vault);
    await c.close();
    await c.close();
    expect(vault.closed).toBe(true);
  });
});

describe('createVaultClient', () => {
  const provider = { kind: 'SecretProvider' as const, name: 'vault', namespace: 'payments' };
  const context = (source: CredentialSource) => ({
    provider,
    credentials: scopeCredentials(source, { provider, consumerNamespace: 'payments' }),
    clock: new FakeClock(),
    logger: silentLogger,
    onCall: () => {},
    signal: signal(),
  });
  const source = (value: string, reads: string[]): CredentialSource => ({
    secretKey: (ref) => {
      reads.push(`${ref.namespace}/${ref.name}/${ref.key}`);
      return Promise.resolve({ value: Buffer.from(value), resourceVersion: '1' });
    },
    serviceAccountToken: () => Promise.reject(new Error('unused')),
  });

  test('loads caRef through the credentials (same-namespace rule) and logs in lazily', async () => {
    const reads: string[] = [];
    const settings = parseVaultSpec(
      {
        server: 'https://vault:8200',
        caRef: { name: 'vault-ca', key: 'ca.crt' },
        auth: { token: { secretRef: { name: 't', key: 'k' } } },
      },
      { provider: 'p' },
    );
    const built = await createVaultClient(settings, context(source('-----BEGIN CERTIFICATE-----\n', reads)));
    expect(reads).toEqual(['payments/vault-ca/ca.crt']);
    await built.close();
  });

  test('a caRef that is not PEM is InvalidSpec', async () => {
    const settings = parseVaultSpec(
      {
        server: 'https://vault:8200',
        caRef: { name: 'vault-ca', key: 'ca.crt' },
        auth: { token: { secretRef: { name: 't', key: 'k' } } },
      },
      { provider: 'p' },
    );
    await expect(createVaultClient(settings, context(source('nope', [])))).rejects.toBeInstanceOf(
      InvalidSpecError,
    );
  });
});
