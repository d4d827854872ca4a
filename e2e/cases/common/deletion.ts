// Deletion policies: what happens to the Secret when its SecretSource goes (docs/adr/0004).
import { eventually } from '../../support/kube.js';
import { holds } from '../../support/secret-sources.js';
import { sleep, type CommonCase } from './case.js';

export const deletionPolicies: CommonCase = {
  title: 'deletion: Retain keeps the Secret without its ownerReference; Delete removes it (Owner and Orphan)',
  async run(c) {
    const { objects } = c;
    const value = c.generated();
    const path = await c.put('deletion', { value });
    const data = [{ key: 'value', remoteRef: { path, property: 'value' } }];
    const cases = [
      { name: c.name('del-retain'), target: {}, kept: true },
      { name: c.name('del-owner'), target: { deletionPolicy: 'Delete' }, kept: false },
      {
        name: c.name('del-orphan'),
        target: { creationPolicy: 'Orphan', deletionPolicy: 'Delete' },
        kept: false,
      },
    ];
    await Promise.all(
      cases.map((d) => objects.createSource(d.name, { data, target: d.target }, c.providerName)),
    );
    await Promise.all(cases.map((d) => objects.waitReady(d.name, 'True', 'Synced')));
    const secrets = await Promise.all(cases.map((d) => objects.waitValue(d.name, 'value', value)));
    expect(secrets.map((s) => (s.metadata?.ownerReferences ?? []).length)).toEqual([1, 1, 0]);

    await Promise.all(cases.map((d) => objects.deleteSource(d.name)));
    await Promise.all(
      cases.map((d) =>
        eventually(async () => {
          if (await objects.getSource(d.name)) throw new Error(`SecretSource ${d.name} still exists`);
        }),
      ),
    );
    await Promise.all(
      cases
        .filter((d) => !d.kept)
        .map((d) =>
          eventually(async () => {
            if (await objects.getSecret(d.name)) throw new Error(`Secret ${d.name} still exists`);
          }),
        ),
    );
    await objects.waitEvent(cases[0]!.name, 'Normal', 'Retained');
    await objects.waitEvent(cases[2]!.name, 'Normal', 'Deleted');
    // The garbage collector had time to delete the other two; the retained one is still there.
    await sleep(3_000);
    const retained = await objects.getSecret(cases[0]!.name);
    expect(holds(retained, 'value', value)).toBe(true);
    expect(retained?.metadata?.ownerReferences ?? []).toEqual([]);
    expect(retained?.metadata?.uid).toBe(secrets[0]!.metadata?.uid);
  },
};
