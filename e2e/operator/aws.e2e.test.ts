// The AWS Secrets Manager provider through the operator: one operator process, authenticated as the
// config/rbac ServiceAccount, runs every common case (e2e/cases/common/) against moto_server with each
// auth mode the operator supports — access keys from a Secret, and web identity (a TokenRequest token
// exchanged at moto's STS) — and then what only AWS has: the default chain refused to a namespaced
// provider, and reads AWS bills for. The SecretProvider's endpoint is a counting proxy in front of
// $AWS_ENDPOINT_URL (as in e2e/providers/aws.e2e.test.ts), so the tests see how many Secrets Manager
// calls moto received. Values are random and compared without printing them.
import { jest } from '@jest/globals';
import { AwsUnderTest } from '../cases/aws.js';
import { describeCommonCases } from '../cases/compose.js';
import { eventually } from '../support/kube.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { waitForRefreshes } from '../support/refreshes.js';
import type { SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(60_000);

/** Identical reads this close together are shared (the read coalescer's window, docs/adr/0008). */
const SHARE_WINDOW_MS = 5_000;

const aws = new AwsUnderTest();
const fx = useOperatorFixture({ name: 'aws', provider: aws });

describeCommonCases(fx, aws);

describe('only AWS', () => {
  let objects: SecretSourceObjects;
  beforeAll(() => {
    ({ objects } = fx);
  });
  const generated = (): string => fx.generated();
  /** Waits until the last read of `paths` is older than the 5 s share window (a later read is fresh). */
  const shareWindowPassed = (paths: readonly string[]) =>
    eventually(
      async () => {
        const last = Math.max(...aws.proxy.readTimes(0, paths));
        if (Date.now() - last <= SHARE_WINDOW_MS + 500)
          throw new Error(`last read ${Date.now() - last} ms ago`);
      },
      { timeoutMs: 15_000, describe: `the last read of ${paths.join(', ')} to leave the share window` },
    );

  test('a namespaced SecretProvider without auth (the default chain) → ProviderNotAllowed', async () => {
    await objects.createProvider('no-auth', aws.spec());
    await objects.createSource(
      'no-auth',
      { refresh: { interval: '1h' }, data: [{ key: 'x', remoteRef: { path: aws.remote.path('db') } }] },
      'no-auth',
    );
    await objects.waitReady('no-auth', 'False', 'ProviderNotAllowed');
    expect(await objects.getSecret('no-auth')).toBeUndefined();
  });

  test('web identity: the reads are signed by the temporary keys STS handed out (ASIA…)', async () => {
    const value = generated();
    const path = await aws.put('web-identity', { value });
    const from = aws.proxy.signers.length;
    await objects.createSource(
      'web-identity',
      { refresh: { interval: '1h' }, data: [{ key: 'value', remoteRef: { path, property: 'value' } }] },
      fx.providerName('webidentity'),
    );
    await objects.waitValue('web-identity', 'value', value);
    // Other SecretSources keep refreshing with the access key (AKIA…) meanwhile.
    expect(aws.proxy.signers.slice(from).some((signer) => signer.startsWith('ASIA'))).toBe(true);
  });

  test('periodic refreshes share a read up to half the interval old and fall into one phase', async () => {
    // Group A syncs first; group B once A's read has left the 5 s share window, so B reads on its
    // own. A refreshes 20 s after its read; B, due up to a few seconds later, uses that read (under
    // half the 20 s interval old) and counts its next refresh from it: from then on A and B refresh
    // together. Over two refreshes of each group, without that each secret would be read 4 times
    // (A twice, B twice); with it, twice (3 times if B's first refresh just missed A's read).
    const values = [generated(), generated()];
    const paths = await Promise.all(values.map((v, i) => aws.put(`phase-${i}`, { v })));
    const spec = (i: number) => ({
      refresh: { interval: '20s' },
      data: [{ key: 'v', remoteRef: { path: paths[i % 2], property: 'v' } }],
    });
    const groupA = ['phase-a0', 'phase-a1', 'phase-a2', 'phase-a3'];
    const groupB = ['phase-b0', 'phase-b1', 'phase-b2', 'phase-b3'];
    await Promise.all(groupA.map((name, i) => objects.createSource(name, spec(i))));
    await Promise.all(groupA.map((name, i) => objects.waitValue(name, 'v', values[i % 2]!, 30_000)));
    await shareWindowPassed(paths);
    const beforeB = aws.proxy.actions.length;
    await Promise.all(groupB.map((name, i) => objects.createSource(name, spec(i))));
    await Promise.all(groupB.map((name, i) => objects.waitValue(name, 'v', values[i % 2]!, 30_000)));
    // B did read on its own (the premise of the phase alignment).
    expect(aws.proxy.reads(beforeB, paths)).toBeGreaterThanOrEqual(1);

    const watched = aws.proxy.actions.length;
    // Two refreshes of every SecretSource of both groups ran (each one's next-refresh metric moved).
    await waitForRefreshes(() => fx.metrics(), objects.namespace, [...groupA, ...groupB], {
      count: 2,
      timeoutMs: 90_000,
    });
    for (const path of paths) {
      const reads = aws.proxy.reads(watched, [path!]);
      expect(reads).toBeGreaterThanOrEqual(1);
      expect(reads).toBeLessThanOrEqual(3);
    }
  }, 150_000);

  test('20 SecretSources over 4 secrets: every sync wave reads each secret at most once', async () => {
    const values = [generated(), generated(), generated(), generated()];
    const paths = await Promise.all(values.map((v, i) => aws.put(`fan-${i}`, { v })));
    const names = Array.from({ length: 20 }, (_, i) => `fan-${i}`);
    const start = aws.proxy.actions.length;
    await Promise.all(
      names.map((name, i) =>
        objects.createSource(name, {
          refresh: { interval: '1h' },
          data: [{ key: 'v', remoteRef: { path: paths[i % 4], property: 'v' } }],
        }),
      ),
    );
    await Promise.all(names.map((name, i) => objects.waitValue(name, 'v', values[i % 4]!, 30_000)));
    // The bound: identical reads inside one 5 s window are shared by the read coalescer, and the 20
    // SecretSources are created within well under a second, so each of the 4 secrets is read at most
    // once (4 GetSecretValue in the worst case); the AWS batcher usually folds them into 1
    // BatchGetSecretValue. Without sharing it would be 20 reads.
    const initial = aws.proxy.reads(start, paths);
    expect(initial).toBeGreaterThanOrEqual(1);
    expect(initial).toBeLessThanOrEqual(4);

    // A second wave after the shared window has closed: a spec change on all 20 at once (a
    // force-sync would not do: it reads fresh on purpose, bypassing the shared window); same bound.
    await shareWindowPassed(paths);
    const wave = aws.proxy.actions.length;
    await Promise.all(
      names.map((name) => objects.patchSource(name, { spec: { refresh: { interval: '30m' } } })),
    );
    // Every one of the 20 has synced its new generation: all the reads of the wave are in.
    await eventually(
      async () => {
        const behind = (await objects.listSources()).filter(
          (source) =>
            names.includes(source.metadata.name) &&
            source.status?.observedGeneration !== source.metadata.generation,
        );
        if (behind.length > 0) throw new Error(`${behind.length} SecretSources behind their spec`);
      },
      { timeoutMs: 30_000, describe: 'the 20 SecretSources to sync their new spec' },
    );
    const second = aws.proxy.reads(wave, paths);
    expect(second).toBeGreaterThanOrEqual(1);
    expect(second).toBeLessThanOrEqual(4);
  }, 90_000);
});
