// Maps a provider spec field (`vault`, `aws`, `azure`) to the code that builds its client.
import { PROVIDER_TYPES, type ProviderType } from '../api/v1alpha1/providers.js';
import type { SecretProviderSpec } from '../api/v1alpha1/types.generated.js';
import type { ScopedCredentials } from './credentials.js';
import { InvalidSpecError } from './errors.js';
import {
  describeProvider,
  type OnProviderCall,
  type ProviderClient,
  type ProviderClock,
  type ProviderIdentity,
  type ProviderLogger,
} from './types.js';

export { describeProvider, PROVIDER_TYPES, type ProviderType };

/** What a provider gets to build its client. */
export interface ProviderContext {
  provider: ProviderIdentity;
  /** Credential access with the namespace rule applied (credentials.ts). */
  credentials: ScopedCredentials;
  clock: ProviderClock;
  logger: ProviderLogger;
  /** Called once per remote call, for metrics. */
  onCall: OnProviderCall;
  /** Aborts the build (not the client's later calls). */
  signal: AbortSignal;
}

/** A parsed and validated spec, ready to build clients from. */
export interface PreparedProvider {
  /**
   * Whether some credential reference has no namespace, so a ClusterSecretProvider needs one client
   * per SecretSource namespace. When false, one client serves every namespace.
   */
  readonly referencesDefaultNamespace: boolean;
  create(context: ProviderContext): Promise<ProviderClient>;
}

export interface ProviderFactory<Type extends string = ProviderType, Spec = unknown> {
  readonly type: Type;
  /**
   * Reads the spec field, which the provider's schema validated at the edge (parse.ts): applies the
   * defaults and the rules the schema cannot express; throws InvalidSpecError.
   */
  prepare(spec: Spec, provider: ProviderIdentity): PreparedProvider;
}

/** The provider-related part of a parsed SecretProvider/ClusterSecretProvider spec. */
export type ProviderSpecFields = Pick<SecretProviderSpec, ProviderType>;

export class ProviderRegistry {
  readonly #factories = new Map<ProviderType, ProviderFactory>();

  constructor(factories: readonly ProviderFactory[] = []) {
    for (const factory of factories) this.register(factory);
  }

  register(factory: ProviderFactory): this {
    if (this.#factories.has(factory.type)) throw new Error(`provider type ${factory.type} registered twice`);
    this.#factories.set(factory.type, factory);
    return this;
  }

  /** The one backend field set on a spec. */
  typeOf(spec: ProviderSpecFields, provider: ProviderIdentity): ProviderType {
    const set = PROVIDER_TYPES.filter((type) => spec[type] !== undefined && spec[type] !== null);
    const subject = { provider: describeProvider(provider) };
    if (set.length !== 1) {
      throw new InvalidSpecError(
        subject,
        set.length === 0
          ? `exactly one of ${PROVIDER_TYPES.join(', ')} must be set`
          : `only one of ${set.join(', ')} may be set`,
      );
    }
    return set[0]!;
  }

  prepare(
    spec: ProviderSpecFields,
    provider: ProviderIdentity,
  ): { type: ProviderType; prepared: PreparedProvider } {
    const type = this.typeOf(spec, provider);
    const factory = this.#factories.get(type);
    if (!factory) {
      throw new InvalidSpecError(
        { provider: describeProvider(provider) },
        `provider type ${type} is not supported by this build`,
      );
    }
    return { type, prepared: factory.prepare(spec[type], provider) };
  }
}
