// What a common case is and what it runs with. A case is written once against the provider-under-test
// interface (e2e/support/provider-under-test.ts) and the operator fixture; describeCommonCases
// (e2e/cases/compose.ts) runs it over a provider's auth modes.
import type * as k8s from '@kubernetes/client-node';
import type { OperatorFixture } from '../../support/operator-fixture.js';
import type {
  AuthMode,
  ProviderUnderTest,
  RemoteSecrets,
  SecretMap,
} from '../../support/provider-under-test.js';
import type { SecretSourceObjects } from '../../support/secret-sources.js';

export interface CaseContext {
  readonly fx: OperatorFixture;
  /** The SecretSource helpers of the fixture's namespace. */
  readonly objects: SecretSourceObjects;
  readonly provider: ProviderUnderTest;
  readonly remote: RemoteSecrets;
  readonly mode: AuthMode;
  /** The SecretProvider of that auth mode: every SecretSource of the case refers to it. */
  readonly providerName: string;
  /**
   * A SecretSource (and Secret) name for this run of the case: `base` for a case run once per
   * provider, `<base>-<mode>` for one run per auth mode, so runs never share an object.
   */
  name(base: string): string;
  /** The remote path of this run's secret `base` (not created). */
  path(base: string): string;
  /** Creates the remote secret `base` holding this map; returns its path. */
  put(base: string, values: SecretMap): Promise<string>;
  /** A random value registered with the fixture's leak check. */
  generated(): string;
  /**
   * The smallest synced case: remote secret `base` holding `{ value }` (generated), and SecretSource
   * name(base) reading that property into key `value`, refreshed at `interval`; waits until the
   * Secret holds it.
   */
  syncOne(base: string, interval: string): Promise<SyncedOne>;
}

export interface SyncedOne {
  readonly name: string;
  readonly path: string;
  readonly value: string;
  readonly secret: k8s.V1Secret;
}

export interface CommonCase {
  /** The test's title; runs per auth mode get `[<mode> auth]` appended. */
  readonly title: string;
  /**
   * Run once per auth mode. Most cases run once per provider, with its default auth mode: what they
   * check (drift, deletion, refresh scheduling) does not depend on how the operator logged in.
   */
  readonly perAuthMode?: boolean;
  /** Whether the case applies (a capability, a mode that can be refused); default: always. */
  applies?(provider: ProviderUnderTest, mode: AuthMode): boolean;
  readonly timeoutMs?: number;
  run(c: CaseContext): Promise<void>;
}
