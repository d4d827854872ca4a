// Target protection: a SecretSource writes a Secret only when it is the Secret's owner or explicitly
// merges into it (creationPolicy Merge, ADR 0010). Covered elsewhere and not repeated here:
// an unmanaged Secret is never taken over (sync.e2e "target conflict"), a Merge source cannot take
// over an Owner source's Secret and two Merge sources keep each other's keys (ownership.e2e),
// type service-account-token is refused at create and a token-binding annotation in
// target.annotations is InvalidSpec (secret-types.e2e). This file adds: two owning sources on one
// Secret, a Merge into a Secret of a privileged type, and every other way to ask for a Secret that
// the API server fills with a credential (bootstrap tokens, a templated token-binding annotation,
// an unknown type in a Kubernetes domain), each ending with no Secret written or changed.
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { OpenBaoUnderTest } from '../cases/openbao.js';
import { readyCondition, statusCode, statusMessage } from '../support/kube.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { holds, type SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(120_000);

const openbao = new OpenBaoUnderTest();
const fx = useOperatorFixture({ name: 'e2e-target', provider: openbao, authModes: ['token'] });
const { core } = fx;
const generated = (): string => fx.generated();
let objects: SecretSourceObjects;
beforeAll(() => {
  ({ objects } = fx);
});

async function remote(name: string, value: string): Promise<{ key: string; remoteRef: object }[]> {
  const path = await openbao.put(name, { value });
  return [{ key: 'value', remoteRef: { path, property: 'value' } }];
}

/** The field managers that own anything in a Secret. */
const managersOf = (secret: k8s.V1Secret | undefined): string[] =>
  (secret?.metadata?.managedFields ?? []).map((entry) => entry.manager ?? '').sort();

test.each(['Owner', 'Orphan'])(
  'two %s sources on one Secret: the second is a TargetConflict and changes nothing',
  async (policy) => {
    const first = `first-${policy.toLowerCase()}`;
    const second = `second-${policy.toLowerCase()}`;
    const value = generated();
    await objects.createSource(first, {
      data: await remote(first, value),
      target: { name: `shared-${policy.toLowerCase()}`, creationPolicy: policy },
    });
    await objects.waitReady(first, 'True', 'Synced');
    const before = await objects.waitValue(`shared-${policy.toLowerCase()}`, 'value', value);

    await objects.createSource(second, {
      data: await remote(second, generated()),
      target: { name: `shared-${policy.toLowerCase()}`, creationPolicy: policy },
    });
    const refused = await objects.waitReady(second, 'False', 'TargetConflict');
    expect(readyCondition(refused)!.message).toContain(`SecretSource ${first}`);
    await objects.waitEvent(second, 'Warning', 'TargetConflict');
    const after = await objects.getSecret(`shared-${policy.toLowerCase()}`);
    expect(after?.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(holds(after, 'value', value)).toBe(true);
    expect(managersOf(after)).not.toContain(`secretsource.dev/${second}`);
  },
);

test('Merge into an existing Secret of a privileged type is refused; the Secret is untouched', async () => {
  await core.createNamespacedServiceAccount({
    namespace: objects.namespace,
    body: { metadata: { name: 'app' } },
  });
  const token = await core.createNamespacedSecret({
    namespace: objects.namespace,
    body: {
      metadata: { name: 'app-token', annotations: { 'kubernetes.io/service-account.name': 'app' } },
      type: 'kubernetes.io/service-account-token',
    },
  });
  await objects.createSource('into-token', {
    data: await remote('into-token', generated()),
    target: { name: 'app-token', creationPolicy: 'Merge' },
  });
  const refused = await objects.waitReady('into-token', 'False', 'InvalidSpec');
  expect(readyCondition(refused)!.message).toContain('kubernetes.io/service-account-token');
  const after = await objects.getSecret('app-token');
  expect(after?.data?.['value']).toBeUndefined();
  expect(managersOf(after)).not.toContain('secretsource.dev/into-token');
  expect(after?.metadata?.uid).toBe(token.metadata?.uid);
});

test('bootstrap tokens are refused at create time (422), before anything is stored', async () => {
  const rejected = await objects
    .createSource('bootstrap', {
      data: await remote('bootstrap', generated()),
      target: { type: 'bootstrap.kubernetes.io/token' },
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  expect(statusCode(rejected)).toBe(422);
  expect(statusMessage(rejected)).toContain('bootstrap.kubernetes.io/token');
  expect(await objects.getSource('bootstrap')).toBeUndefined();
});

test.each([
  [
    'a token-binding annotation rendered by a template',
    { template: { annotations: { 'kubernetes.io/service-account.name': '{{ .value }}' } } },
    'kubernetes.io/service-account.name',
  ],
  [
    'an unknown type in a Kubernetes domain',
    { type: 'kubernetes.io/future-token' },
    'kubernetes.io/future-token',
  ],
])('%s: InvalidSpec, a Warning, no Secret', async (_what, target, named) => {
  const name = `refused-${randomBytes(3).toString('hex')}`;
  await objects.createSource(name, { data: await remote(name, generated()), target });
  const refused = await objects.waitReady(name, 'False', 'InvalidSpec');
  expect(readyCondition(refused)!.message).toContain(named);
  await objects.waitEvent(name, 'Warning', 'InvalidSpec');
  expect(await objects.getSecret(name)).toBeUndefined();
});

test('no generated value reached the operator output', () => {
  expect(fx.leaked()).toBe(0);
});
