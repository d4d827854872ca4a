// Cases for what only some backends can do (ProviderUnderTest.capabilities): pinned versions,
// find by tags, and values that are bytes rather than text.
import { randomBytes } from 'node:crypto';
import { uniqueName } from '../../support/kube.js';
import { holds } from '../../support/secret-sources.js';
import type { CommonCase } from './case.js';

export const pinnedVersion: CommonCase = {
  title: 'remoteRef.version pins an older version while the current one moves on',
  applies: (provider) => provider.capabilities.versions,
  async run(c) {
    const { objects } = c;
    const name = c.name('pinned');
    const first = c.generated();
    const path = c.path('pinned');
    const { version } = await c.remote.create(path, { value: first });
    const second = c.generated();
    await c.remote.update(path, { value: second });
    expect(version).toBeDefined();
    await objects.createSource(
      name,
      {
        data: [
          { key: 'pinned', remoteRef: { path, property: 'value', version } },
          { key: 'current', remoteRef: { path, property: 'value' } },
        ],
      },
      c.providerName,
    );
    await objects.waitReady(name, 'True', 'Synced');
    const secret = await objects.waitValue(name, 'current', second);
    expect(holds(secret, 'pinned', first)).toBe(true);
  },
};

export const findByTags: CommonCase = {
  title: 'dataFrom find by tags: one key per tagged secret (its whole value), no other secret',
  applies: (provider) => provider.capabilities.findByTags,
  async run(c) {
    const { objects } = c;
    const name = c.name('found');
    const tags = { 'e2e-find': uniqueName('find') };
    const tagged = { a: { value: c.generated() }, b: { value: c.generated() } };
    await c.remote.create(c.path('tagged-a'), tagged.a, { tags });
    await c.remote.create(c.path('tagged-b'), tagged.b, { tags });
    await c.remote.create(c.path('untagged'), { value: c.generated() }, { tags: { 'e2e-find': 'other' } });
    await objects.createSource(
      name,
      // Keys are the secrets' paths, whatever the backend's shape (`<prefix>/tagged-a`,
      // `<prefix>-tagged-a`): the rewrite keeps the name, a valid Secret key.
      {
        dataFrom: [
          {
            find: { tags },
            rewrite: [{ regexp: { source: '^.*(?P<name>tagged-[ab])$', target: '${name}' } }],
          },
        ],
      },
      c.providerName,
    );
    await objects.waitReady(name, 'True', 'Synced');
    const secret = await objects.waitSecret(name);
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['tagged-a', 'tagged-b']);
    expect(holds(secret, 'tagged-a', JSON.stringify(tagged.a))).toBe(true);
    expect(holds(secret, 'tagged-b', JSON.stringify(tagged.b))).toBe(true);
  },
};

export const binaryValue: CommonCase = {
  title: 'a binary value reaches the Secret as the same bytes',
  applies: (provider) => provider.capabilities.binaryValues,
  async run(c) {
    const { objects } = c;
    const name = c.name('binary');
    const bytes = randomBytes(48); // not UTF-8 text: survives only as bytes
    c.fx.neverPrint(bytes.toString('base64'), bytes.toString('hex'));
    const path = c.path('binary');
    await c.remote.createBinary(path, bytes);
    await objects.createSource(name, { data: [{ key: 'blob.bin', remoteRef: { path } }] }, c.providerName);
    await objects.waitReady(name, 'True', 'Synced');
    const secret = await objects.waitSecret(name);
    expect(holds(secret, 'blob.bin', bytes)).toBe(true);
  },
};
