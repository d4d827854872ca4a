// Composes the common cases over a provider under test, as External Secrets Operator's e2e suite
// composes its case library over providers and auth modes: every case that applies becomes one test
// per auth mode of the fixture (perAuthMode) or one test with the default mode, all sharing the
// fixture's operator. A provider file needs one line: describeCommonCases(fx, provider).
import type { OperatorFixture } from '../support/operator-fixture.js';
import { authMode, type AuthMode, type ProviderUnderTest } from '../support/provider-under-test.js';
import { COMMON_CASES, type CaseContext, type CommonCase } from './common/index.js';

export function describeCommonCases(
  fx: OperatorFixture,
  provider: ProviderUnderTest,
  cases: readonly CommonCase[] = COMMON_CASES,
): void {
  const modes = fx.authModeNames.map((name) => authMode(provider, name));
  // Each case reads only its own objects and its own sources' metrics, so any order works:
  // E2E_REVERSE_CASES=1 registers them last first, to show it.
  const ordered = process.env.E2E_REVERSE_CASES === '1' ? [...cases].reverse() : cases;
  describe(`common cases: ${provider.name}`, () => {
    // What a provider's own tests count (calls, reads, faults) is theirs alone: the SecretSources of
    // the common cases go (their finalizers run) before those tests start.
    afterAll(() => fx.objectsIn(fx.namespace).deleteAllSources(), 60_000);
    for (const commonCase of ordered) {
      for (const mode of commonCase.perAuthMode ? modes : modes.slice(0, 1)) {
        if (commonCase.applies && !commonCase.applies(provider, mode)) continue;
        const title = commonCase.perAuthMode ? `${commonCase.title} [${mode.name} auth]` : commonCase.title;
        test(title, () => commonCase.run(caseContext(fx, provider, mode, commonCase)), commonCase.timeoutMs);
      }
    }
  });
}

function caseContext(
  fx: OperatorFixture,
  provider: ProviderUnderTest,
  mode: AuthMode,
  commonCase: CommonCase,
): CaseContext {
  const name = (base: string): string => (commonCase.perAuthMode ? `${base}-${mode.name}` : base);
  const path = (base: string): string => provider.remote.path(name(base));
  const put = async (base: string, values: Readonly<Record<string, string>>): Promise<string> => {
    await provider.remote.create(path(base), values);
    return path(base);
  };
  return {
    fx,
    objects: fx.objects,
    provider,
    remote: provider.remote,
    mode,
    providerName: fx.providerName(mode.name),
    name,
    path,
    put,
    generated: () => fx.generated(),
    async syncOne(base, interval) {
      const value = fx.generated();
      const remotePath = await put(base, { value });
      await fx.objects.createSource(
        name(base),
        {
          data: [{ key: 'value', remoteRef: { path: remotePath, property: 'value' } }],
          refresh: { interval },
        },
        fx.providerName(mode.name),
      );
      await fx.objects.waitReady(name(base), 'True', 'Synced');
      const secret = await fx.objects.waitValue(name(base), 'value', value);
      return { name: name(base), path: remotePath, value, secret };
    },
  };
}
