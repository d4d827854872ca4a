import { randomBytes } from 'node:crypto';
import { FINGERPRINT_KEY_SECRET, loadFingerprintKey, type KeySecretStore } from './fingerprint-key.js';

class MemoryStore implements KeySecretStore {
  readonly secrets = new Map<string, Buffer>();
  failWith: unknown;
  /** Another replica creates the Secret between our read and our create. */
  raceWith: Buffer | undefined;

  async read(namespace: string, name: string): Promise<Buffer | undefined> {
    if (this.failWith) throw this.failWith;
    return this.secrets.get(`${namespace}/${name}`);
  }

  async create(namespace: string, name: string, key: Buffer): Promise<'created' | 'exists'> {
    if (this.raceWith) this.secrets.set(`${namespace}/${name}`, this.raceWith);
    if (this.secrets.has(`${namespace}/${name}`)) return 'exists';
    this.secrets.set(`${namespace}/${name}`, key);
    return 'created';
  }
}

const logger = () => {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    info: (_f: Record<string, unknown>, message: string) => lines.push({ level: 'info', message }),
    warn: (_f: Record<string, unknown>, message: string) => lines.push({ level: 'warn', message }),
  };
};

test('the first start creates the key; later starts read the same one', async () => {
  const store = new MemoryStore();
  const first = await loadFingerprintKey(store, 'secretsource-system', logger());
  const second = await loadFingerprintKey(store, 'secretsource-system', logger());
  expect(first.source).toBe('created');
  expect(second.source).toBe('stored');
  expect(second.key.equals(first.key)).toBe(true);
  expect(store.secrets.has(`secretsource-system/${FINGERPRINT_KEY_SECRET}`)).toBe(true);
});

test('a replica that loses the creation race uses the winner’s key', async () => {
  const store = new MemoryStore();
  store.raceWith = randomBytes(32);
  const loaded = await loadFingerprintKey(store, 'ns', logger());
  expect(loaded.key.equals(store.raceWith)).toBe(true);
});

test.each([404, 403])(
  'a key that cannot be stored (%s) gives a process-only key and a warning',
  async (code) => {
    const store = new MemoryStore();
    store.failWith = { code, body: { message: 'namespaces "ns" not found' } };
    const log = logger();
    const loaded = await loadFingerprintKey(store, 'ns', log);
    expect(loaded.source).toBe('process');
    expect(loaded.key).toHaveLength(32);
    expect(log.lines).toEqual([{ level: 'warn', message: expect.stringContaining('namespace ns') }]);
  },
);

test('an unavailable API server is thrown for the caller to retry', async () => {
  const store = new MemoryStore();
  store.failWith = { code: 503, body: { message: 'unavailable' } };
  await expect(loadFingerprintKey(store, 'ns', logger())).rejects.toMatchObject({ code: 503 });
});

test('a stored key that is too short is refused, never used', async () => {
  const store = new MemoryStore();
  store.secrets.set(`ns/${FINGERPRINT_KEY_SECRET}`, randomBytes(8));
  await expect(loadFingerprintKey(store, 'ns', logger())).rejects.toThrow('at least 32');
});
