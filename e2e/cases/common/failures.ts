// Failures the backend causes: a path that does not exist (yet), and credentials it refuses. Either
// way Ready=False with the reason, a Warning Event, and no Secret written.
import { readyCondition } from '../../support/kube.js';
import type { CommonCase } from './case.js';

export const missingPathThenWritten: CommonCase = {
  title: 'a missing path: RemoteNotFound naming it, a Warning, no Secret; written later, it syncs',
  async run(c) {
    const { objects } = c;
    const name = c.name('missing');
    const path = c.path('missing');
    await objects.createSource(
      name,
      { data: [{ key: 'value', remoteRef: { path, property: 'value' } }] },
      c.providerName,
    );
    const missing = await objects.waitReady(name, 'False', 'RemoteNotFound');
    expect(readyCondition(missing)!.message).toContain(path);
    await objects.waitEvent(name, 'Warning', 'RemoteNotFound');
    expect(await objects.getSecret(name)).toBeUndefined();

    const value = c.generated();
    await c.remote.create(path, { value });
    await objects.waitReady(name, 'True', 'Synced');
    await objects.waitValue(name, 'value', value);
  },
};

export const refusedCredentials: CommonCase = {
  title: 'wrong credentials: AuthFailed on the SecretSource and the provider',
  perAuthMode: true,
  applies: (_provider, mode) => mode.refusedSpec !== undefined,
  async run(c) {
    const { objects } = c;
    const name = c.name('wrong-credentials');
    const provider = c.name('refused');
    await objects.createProvider(provider, await c.mode.refusedSpec!(c.fx));
    const path = await c.put('wrong-credentials', { value: c.generated() });
    await objects.createSource(name, {
      providerRef: { kind: 'SecretProvider', name: provider },
      data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
    });
    const refused = await objects.waitReady(name, 'False', 'AuthFailed');
    expect(readyCondition(refused)!.message).toContain(c.mode.refusedMessage ?? '');
    await objects.waitEvent(name, 'Warning', 'AuthFailed');
    expect(await objects.getSecret(name)).toBeUndefined();
    await objects.waitProviderReady(provider, 'False', 'AuthFailed');
  },
};
