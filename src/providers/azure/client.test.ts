import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../kube/clock.js';
import { InvalidRefError, NotFoundError, ThrottledError } from '../errors.js';
import type { CertificateBundle, KeyVaultApi, SecretBundle, SecretItem } from './api.js';
import { AzureProviderClient } from './client.js';
import { AccessDeniedError } from './error-map.js';
import type { VersionValidity } from './spec.js';

const NOW = Date.parse('2026-12-05T10:00:00Z');
const PROVIDER = 'SecretProvider payments/azure';
const signal = () => new AbortController().signal;
const generated = () => randomBytes(12).toString('hex');
// A self-signed certificate's DER (any will do: the client only re-encodes it).
const DER = Buffer.from(
  'MIIBeTCCAR+gAwIBAgIUQ1Kq0Tz5VHpuV7h4v6u3ZQ0j9pQwCgYIKoZIzj0EAwIwEjEQMA4GA1UEAwwHZXhhbXBsZTAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMBIxEDAOBgNVBAMMB2V4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ=',
  'base64',
);

class FakeKeyVault implements KeyVaultApi {
  readonly provider = PROVIDER;
  readonly secrets = new Map<string, SecretBundle[]>();
  readonly certificates = new Map<string, CertificateBundle>();
  readonly tags = new Map<string, Record<string, string>>();
  readonly calls: string[] = [];
  listError: Error | undefined;

  put(
    name: string,
    value: string,
    extra: Partial<SecretBundle> = {},
    tags: Record<string, string> = {},
  ): string {
    const version = randomBytes(16).toString('hex');
    this.secrets.set(name, [...(this.secrets.get(name) ?? []), { name, value, version, ...extra }]);
    this.tags.set(name, tags);
    return version;
  }

  async getSecret(name: string, version: string | undefined): Promise<SecretBundle> {
    this.calls.push(`get ${name}${version === undefined ? '' : `/${version}`}`);
    const versions = this.secrets.get(name) ?? [];
    const found = version === undefined ? versions.at(-1) : versions.find((v) => v.version === version);
    if (!found) throw new NotFoundError({ provider: PROVIDER, path: name });
    return found;
  }

  async getCertificate(name: string): Promise<CertificateBundle> {
    this.calls.push(`getCertificate ${name}`);
    const found = this.certificates.get(name);
    if (!found) throw new NotFoundError({ provider: PROVIDER, path: name });
    return found;
  }

  async *listSecrets(operation: 'find' | 'validate', pageSize: number): AsyncIterable<SecretItem[]> {
    const items: SecretItem[] = [...this.secrets].map(([name, versions]) => {
      const { enabled, notBefore, expiresOn } = versions.at(-1)!;
      return {
        name,
        tags: this.tags.get(name) ?? {},
        ...(enabled === undefined ? {} : { enabled }),
        ...(notBefore ? { notBefore } : {}),
        ...(expiresOn ? { expiresOn } : {}),
      };
    });
    for (let i = 0; i === 0 || i < items.length; i += pageSize) {
      this.calls.push(`list ${operation}`);
      if (this.listError) throw this.listError;
      yield items.slice(i, i + pageSize);
    }
  }

  async setSecret(name: string, value: string): Promise<void> {
    this.calls.push(`set ${name}`);
    this.put(name, value);
  }

  close(): void {}
}

let vault: FakeKeyVault;
let clock: FakeClock;
const client = (versionValidity: VersionValidity = 'Warn', maxFindResults?: number) =>
  new AzureProviderClient(vault, {
    clock,
    versionValidity,
    ...(maxFindResults === undefined ? {} : { maxFindResults }),
  });

beforeEach(() => {
  vault = new FakeKeyVault();
  clock = new FakeClock(NOW);
});

describe('get', () => {
  test('the latest version, or a pinned one, with its version id', async () => {
    const [first, second] = [generated(), generated()];
    const v1 = vault.put('db-password', first);
    const v2 = vault.put('db-password', second);
    const latest = await client().get({ path: 'db-password' }, signal());
    expect(latest.value.toString() === second).toBe(true);
    expect(latest.version).toBe(v2);
    const pinned = await client().get({ path: 'secrets/db-password', version: v1 }, signal());
    expect(pinned.value.toString() === first).toBe(true);
    expect(vault.calls).toEqual(['get db-password', `get db-password/${v1}`]);
  });

  test('a JSON property, exactly as every provider selects it', async () => {
    const password = generated();
    vault.put('db', JSON.stringify({ password, port: 5432 }));
    expect(
      (await client().get({ path: 'db', property: 'password' }, signal())).value.toString() === password,
    ).toBe(true);
    expect((await client().get({ path: 'db', property: 'port' }, signal())).value.toString()).toBe('5432');
    await expect(client().get({ path: 'db', property: 'user' }, signal())).rejects.toThrow(NotFoundError);
  });

  test('paths and versions that name nothing Key Vault has are refused before any call', async () => {
    for (const path of ['keys/k', 'a/b/c', 'under_score', '', `x${'a'.repeat(127)}`]) {
      await expect(client().get({ path }, signal())).rejects.toThrow(InvalidRefError);
    }
    await expect(client().get({ path: 'db', version: '../x' }, signal())).rejects.toThrow(
      'a Key Vault version is the 32-character id of a version',
    );
    expect(vault.calls).toEqual([]);
  });

  test('certificates/<name> is the public certificate as PEM; it has no properties', async () => {
    vault.certificates.set('web', { name: 'web', version: 'c1', cer: DER });
    const read = await client().get({ path: 'certificates/web' }, signal());
    const text = read.value.toString();
    expect(text.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
    expect(Buffer.from(text.replace(/-----[^-]+-----|\n/g, ''), 'base64').equals(DER)).toBe(true);
    expect(read.version).toBe('c1');
    await expect(client().get({ path: 'certificates/web', property: 'x' }, signal())).rejects.toThrow(
      'a certificate is PEM, not a JSON document',
    );
  });
});

describe('versions outside their validity window', () => {
  const expiresOn = new Date(NOW - 60_000);
  const notBefore = new Date(NOW + 3_600_000);

  test('Warn: synced, with a warning naming the version, the time and the path, never the value', async () => {
    const value = generated();
    const version = vault.put('expired', value, { expiresOn });
    const read = await client().get({ path: 'expired' }, signal());
    expect(read.value.toString() === value).toBe(true);
    expect(read.warnings).toEqual([
      {
        reason: 'VersionExpired',
        message: `${PROVIDER}: version ${version} expired at 2026-12-05T09:59:00.000Z; synced anyway (spec.azure.versionValidity Warn) (path "expired")`,
      },
    ]);
    vault.put('early', generated(), { notBefore });
    expect((await client().get({ path: 'early' }, signal())).warnings?.[0]?.reason).toBe(
      'VersionNotYetValid',
    );
    vault.put('fine', generated(), { notBefore: new Date(NOW - 1), expiresOn: new Date(NOW + 1) });
    expect((await client().get({ path: 'fine' }, signal())).warnings).toBeUndefined();
  });

  test('Refuse: the read fails with InvalidRef, and find leaves such secrets out without reading them', async () => {
    vault.put('expired', generated(), { expiresOn });
    vault.put('early', generated(), { notBefore });
    vault.put('fine', generated());
    await expect(client('Refuse').get({ path: 'expired' }, signal())).rejects.toThrow(
      /expired at 2026-12-05T09:59:00.000Z; spec.azure.versionValidity Refuse does not sync it/,
    );
    vault.calls.length = 0;
    const found = await client('Refuse').find({}, signal());
    expect([...found.keys()]).toEqual(['fine']);
    expect(vault.calls).toEqual(['list find', 'get fine']);
  });

  test('the clock decides: a version becomes valid when its notBefore passes', async () => {
    vault.put('early', generated(), { notBefore });
    const azure = client('Refuse');
    await expect(azure.get({ path: 'early' }, signal())).rejects.toThrow(InvalidRefError);
    clock.advance(3_600_000);
    expect((await azure.get({ path: 'early' }, signal())).warnings).toBeUndefined();
  });
});

describe('find', () => {
  test('by tags and by name: the listing is filtered and only matches are read', async () => {
    vault.put('app-db', generated(), {}, { team: 'payments', env: 'prod' });
    vault.put('app-cache', generated(), {}, { team: 'payments', env: 'dev' });
    vault.put('other', generated(), {}, { team: 'search', env: 'prod' });
    vault.put('app-off', generated(), { enabled: false }, { team: 'payments', env: 'prod' });
    const byTags = await client().find({ tags: { team: 'payments', env: 'prod' } }, signal());
    expect([...byTags.keys()]).toEqual(['app-db']);
    expect(vault.calls).toEqual(['list find', 'get app-db']);
    vault.calls.length = 0;
    const byName = await client().find({ name: '^app-(db|cache)$' }, signal());
    expect([...byName.keys()]).toEqual(['app-db', 'app-cache']);
    const byPrefix = await client().find({ path: 'app-' }, signal());
    expect([...byPrefix.keys()]).toEqual(['app-db', 'app-cache']);
  });

  test('listing pages of 25; a secret deleted between listing and read is left out', async () => {
    for (let i = 0; i < 30; i++) vault.put(`s${i}`, generated());
    const gone = vault.getSecret.bind(vault);
    vault.getSecret = async (name, version) => {
      if (name === 's3') throw new NotFoundError({ provider: PROVIDER, path: name });
      return gone(name, version);
    };
    const found = await client().find({}, signal());
    expect(found.size).toBe(29);
    expect(vault.calls.filter((call) => call.startsWith('list'))).toEqual(['list find', 'list find']);
  });

  test('too many matches, or a bad pattern, is InvalidRef; other read failures fail the find', async () => {
    for (let i = 0; i < 3; i++) vault.put(`s${i}`, generated());
    await expect(client('Warn', 2).find({}, signal())).rejects.toThrow('find matches more than 2 secrets');
    await expect(client().find({ name: '(' }, signal())).rejects.toThrow(InvalidRefError);
    vault.getSecret = async () => {
      throw new ThrottledError({ provider: PROVIDER }, 1000);
    };
    await expect(client().find({}, signal())).rejects.toThrow(ThrottledError);
  });
});

describe('write, validate, close', () => {
  test('a whole secret, or one property of its JSON document (read-modify-write)', async () => {
    const [user, password] = [generated(), generated()];
    vault.put('db', JSON.stringify({ user }));
    await client().write({ path: 'db', property: 'password' }, Buffer.from(password), signal());
    expect(JSON.parse(vault.secrets.get('db')!.at(-1)!.value!)).toEqual({ user, password });
    const created = generated();
    await client().write({ path: 'new-one', property: 'password' }, Buffer.from(created), signal());
    expect(JSON.parse(vault.secrets.get('new-one')!.at(-1)!.value!)).toEqual({ password: created });
    const token = generated();
    await client().write({ path: 'secrets/token' }, Buffer.from(token), signal());
    expect(vault.secrets.get('token')!.at(-1)!.value === token).toBe(true);
  });

  test('certificates, pinned versions and bytes that are not text are refused', async () => {
    const bytes = Buffer.from(generated());
    await expect(client().write({ path: 'certificates/web' }, bytes, signal())).rejects.toThrow(
      'certificates are imported, not written',
    );
    await expect(client().write({ path: 'db', version: 'abc' }, bytes, signal())).rejects.toThrow(
      'a write always creates the new latest version',
    );
    await expect(client().write({ path: 'db' }, Buffer.from([0xff, 0xfe]), signal())).rejects.toThrow(
      'not valid UTF-8',
    );
    expect(vault.calls).toEqual([]);
  });

  test('validate lists one page; an access policy without list still proves the credential', async () => {
    await client().validate(signal());
    expect(vault.calls).toEqual(['list validate']);
    vault.listError = new AccessDeniedError({ provider: PROVIDER }, 'denied');
    await client().validate(signal());
    vault.listError = new ThrottledError({ provider: PROVIDER });
    await expect(client().validate(signal())).rejects.toThrow(ThrottledError);
  });

  test('close releases what the client was built with, once', async () => {
    let closed = 0;
    const azure = new AzureProviderClient(vault, { clock, versionValidity: 'Warn', onClose: () => closed++ });
    await azure.close();
    await azure.close();
    expect(closed).toBe(1);
  });
});
