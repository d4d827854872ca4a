// Finds the provider a SecretSource names and applies the namespace rules
// before anything else: a SecretProvider serves only its own namespace, a
// ClusterSecretProvider only the namespaces its conditions admit.
import { InvalidSpecError, parseClusterSecretProvider, parseSecretProvider } from '../api/v1alpha1/index.js';
import type { Reason } from '../api/v1alpha1/reasons.js';
import type { ProviderObject } from '../providers/client-cache.js';
import { namespaceAdmitted } from './namespace-conditions.js';

export interface ProviderRef {
  kind: 'SecretProvider' | 'ClusterSecretProvider';
  name: string;
}

export class ProviderResolutionError extends Error {
  constructor(
    readonly reason: Extract<Reason, 'ProviderNotFound' | 'ProviderNotAllowed' | 'InvalidSpec'>,
    message: string,
  ) {
    super(message);
  }
}

interface Store {
  get(key: string): unknown;
}

export class ProviderResolver {
  readonly #providers: Store;
  readonly #clusterProviders: Store;
  readonly #namespaces: Store;
  readonly #clusterProvidersEnabled: boolean;

  constructor(stores: {
    providers: Store;
    clusterProviders: Store;
    namespaces: Store;
    /** false with --cluster-providers=false: no ClusterSecretProvider is served (nor watched). */
    clusterProvidersEnabled?: boolean;
  }) {
    this.#providers = stores.providers;
    this.#clusterProviders = stores.clusterProviders;
    this.#namespaces = stores.namespaces;
    this.#clusterProvidersEnabled = stores.clusterProvidersEnabled ?? true;
  }

  resolve(ref: ProviderRef, namespace: string): ProviderObject {
    if (ref.kind === 'SecretProvider') {
      const raw = this.#providers.get(`${namespace}/${ref.name}`);
      if (raw === undefined) {
        throw new ProviderResolutionError(
          'ProviderNotFound',
          `SecretProvider ${ref.name} not found in namespace ${namespace}`,
        );
      }
      const provider = parseOrReport(() => parseSecretProvider(raw));
      return {
        kind: 'SecretProvider',
        name: ref.name,
        namespace,
        uid: provider.metadata.uid ?? '',
        generation: provider.metadata.generation ?? 0,
        spec: provider.spec,
      };
    }
    if (!this.#clusterProvidersEnabled) {
      throw new ProviderResolutionError(
        'ProviderNotAllowed',
        `ClusterSecretProvider ${ref.name}: this operator runs without ClusterSecretProviders (--cluster-providers=false); use a SecretProvider in namespace ${namespace}`,
      );
    }
    const raw = this.#clusterProviders.get(ref.name);
    if (raw === undefined) {
      throw new ProviderResolutionError('ProviderNotFound', `ClusterSecretProvider ${ref.name} not found`);
    }
    const provider = parseOrReport(() => parseClusterSecretProvider(raw));
    const labels = (
      this.#namespaces.get(namespace) as { metadata?: { labels?: Record<string, string> } } | undefined
    )?.metadata?.labels;
    if (!namespaceAdmitted(provider.spec.conditions, namespace, labels ?? {})) {
      throw new ProviderResolutionError(
        'ProviderNotAllowed',
        `ClusterSecretProvider ${ref.name} does not admit namespace ${namespace} (see its spec.conditions)`,
      );
    }
    return {
      kind: 'ClusterSecretProvider',
      name: ref.name,
      uid: provider.metadata.uid ?? '',
      generation: provider.metadata.generation ?? 0,
      spec: provider.spec,
    };
  }
}

function parseOrReport<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidSpecError) throw new ProviderResolutionError('InvalidSpec', error.message);
    throw error;
  }
}
