// Drift: the managed Secret edited or deleted by hand is put back from what was synced.
import { MERGE_PATCH } from '../../support/secret-sources.js';
import type { CommonCase } from './case.js';

const MANAGED_LABEL = 'secretsource.dev/managed';
const HASH_ANNOTATION = 'secretsource.dev/content-hash';

export const driftRepaired: CommonCase = {
  title: 'drift: a hand-edited Secret is repaired, a deleted one recreated',
  async run(c) {
    const { objects } = c;
    const { core } = c.fx;
    const namespace = objects.namespace;
    const { name, value, secret: original } = await c.syncOne('drift', '1h');

    await core.patchNamespacedSecret(
      { name, namespace, body: { data: { value: Buffer.from(c.generated()).toString('base64') } } },
      MERGE_PATCH,
    );
    const repaired = await objects.waitValue(name, 'value', value, 10_000);
    expect(repaired.metadata?.annotations?.[HASH_ANNOTATION]).toBe(
      original.metadata?.annotations?.[HASH_ANNOTATION],
    );
    await objects.waitEvent(name, 'Normal', 'Repaired');

    await core.deleteNamespacedSecret({ name, namespace });
    const recreated = await objects.waitValue(name, 'value', value, 10_000);
    expect(recreated.metadata?.uid).not.toBe(original.metadata?.uid);
    expect(recreated.metadata?.labels?.[MANAGED_LABEL]).toBe('true');
  },
};
