// Deletion policies: what happens to the Secret when its SecretSource goes (docs/adr/0004).
import { eventually } from '../../support/kube.js';
import { API_VERSION, holds } from '../../support/secret-sources.js';
import type { CommonCase } from './case.js';

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
    // A probe the garbage collector must delete with the retained SecretSource: once it is gone, the
    // collector has handled that owner, so the retained Secret's survival below is not luck of timing.
    const retainedSource = (await objects.getSource(cases[0]!.name))!;
    const probe = `${cases[0]!.name}-gc-probe`;
    await c.fx.core.createNamespacedSecret({
      namespace: objects.namespace,
      body: {
        metadata: {
          name: probe,
          ownerReferences: [
            {
              apiVersion: API_VERSION,
              kind: 'SecretSource',
              name: cases[0]!.name,
              uid: retainedSource.metadata.uid,
            },
          ],
        },
      },
    });

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
    // The garbage collector has deleted what the retained SecretSource owned; its Secret is still there.
    await eventually(
      async () => {
        if (await objects.getSecret(probe)) throw new Error(`Secret ${probe} still exists`);
      },
      { describe: `the garbage collector to delete ${probe}, owned by the deleted SecretSource` },
    );
    const retained = await objects.getSecret(cases[0]!.name);
    expect(holds(retained, 'value', value)).toBe(true);
    expect(retained?.metadata?.ownerReferences ?? []).toEqual([]);
    expect(retained?.metadata?.uid).toBe(secrets[0]!.metadata?.uid);
  },
};
