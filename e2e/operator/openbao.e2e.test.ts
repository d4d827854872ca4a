// The OpenBao provider through the operator: one operator process, authenticated as the config/rbac
// ServiceAccount, runs every common case (e2e/cases/common/) against the real OpenBao dev server with
// each auth mode the operator supports — token, kubernetes (OpenBao reviews the operator's
// TokenRequest tokens) and appRole — and then what only OpenBao has: tokens that can be revoked.
// Values are random and compared without printing them.
import { jest } from '@jest/globals';
import { describeCommonCases } from '../cases/compose.js';
import { OpenBaoUnderTest, openBaoTokenProvider } from '../cases/openbao.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { MERGE_PATCH, holds, type SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(60_000);

const openbao = new OpenBaoUnderTest();
const fx = useOperatorFixture({ name: 'openbao', provider: openbao });

describeCommonCases(fx, openbao);

describe('only OpenBao', () => {
  let namespace: string;
  let objects: SecretSourceObjects;
  beforeAll(() => {
    ({ namespace, objects } = fx);
  });
  const generated = (): string => fx.generated();

  async function createTokenSecret(name: string, token: string): Promise<void> {
    await fx.core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: { token } } });
  }

  async function setTokenSecret(name: string, token: string): Promise<void> {
    await fx.core.patchNamespacedSecret(
      { name, namespace, body: { data: { token: Buffer.from(token).toString('base64') } } },
      MERGE_PATCH,
    );
  }

  test('a revoked token keeps the synced Secret as it was, and a good token brings the sync back', async () => {
    const revocable = await openbao.token(fx);
    await createTokenSecret('vault-token-revocable', revocable);
    await objects.createProvider('vault-revocable', openBaoTokenProvider('vault-token-revocable'));
    const before = generated();
    const path = await openbao.put('revoked', { value: before });
    await objects.createSource('revoked', {
      providerRef: { kind: 'SecretProvider', name: 'vault-revocable' },
      data: [{ key: 'value', remoteRef: { path, property: 'value' } }],
      refresh: { interval: '2s' },
    });
    await objects.waitReady('revoked', 'True', 'Synced');
    const synced = await objects.waitValue('revoked', 'value', before);

    await openbao.admin.revokeToken(revocable);
    const after = generated();
    await openbao.remote.update(path, { value: after });
    await objects.waitReady('revoked', 'False', 'AuthFailed');
    const kept = await objects.getSecret('revoked');
    expect(kept?.metadata?.resourceVersion).toBe(synced.metadata?.resourceVersion);
    expect(holds(kept, 'value', before)).toBe(true);

    await setTokenSecret('vault-token-revocable', await openbao.token(fx));
    await objects.waitReady('revoked', 'True', 'Synced', 30_000);
    await objects.waitValue('revoked', 'value', after);
  });
});
