// Whole API objects as the informers hand them over (apiVersion, kind, metadata.uid/generation),
// so tests go through the same parsing as production. Each factory takes overrides.
import type {
  ClusterSecretProvider,
  NamespaceCondition,
  SecretProvider,
  SecretSource,
  SecretSourceSpec,
  SecretSourceStatus,
  SecretTarget,
  Refresh,
} from '../../api/v1alpha1/index.js';
import { API_VERSION } from '../../api/v1alpha1/names.js';

export const vaultSpec = {
  server: 'https://vault.example:8200',
  auth: { token: { secretRef: { name: 'vault-token', key: 'token' } } },
};

export interface SecretSourceFixture {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  spec?: Partial<SecretSourceSpec>;
  target?: SecretTarget;
  refresh?: Refresh;
  status?: SecretSourceStatus;
}

/** A SecretSource `payments/db` reading `data[password]` from `app/db` through SecretProvider `vault`. */
export function secretSource(fixture: SecretSourceFixture = {}): SecretSource {
  const name = fixture.name ?? 'db';
  const spec: SecretSourceSpec = {
    providerRef: { kind: 'SecretProvider', name: 'vault' },
    data: [{ key: 'password', remoteRef: { path: 'app/db', property: 'password' } }],
    ...fixture.spec,
  };
  if (fixture.target) spec.target = fixture.target;
  if (fixture.refresh) spec.refresh = fixture.refresh;
  return {
    apiVersion: API_VERSION,
    kind: 'SecretSource',
    metadata: {
      name,
      namespace: fixture.namespace ?? 'payments',
      uid: fixture.uid ?? `uid-${name}`,
      generation: fixture.generation ?? 1,
      resourceVersion: '1',
      ...(fixture.annotations ? { annotations: fixture.annotations } : {}),
      ...(fixture.finalizers ? { finalizers: fixture.finalizers } : {}),
      ...(fixture.deletionTimestamp ? { deletionTimestamp: fixture.deletionTimestamp } : {}),
    },
    spec,
    ...(fixture.status ? { status: fixture.status } : {}),
  };
}

export function secretProvider(
  fixture: { name?: string; namespace?: string; generation?: number; spec?: SecretProvider['spec'] } = {},
): SecretProvider {
  const name = fixture.name ?? 'vault';
  return {
    apiVersion: API_VERSION,
    kind: 'SecretProvider',
    metadata: {
      name,
      namespace: fixture.namespace ?? 'payments',
      uid: `uid-provider-${name}`,
      generation: fixture.generation ?? 1,
    },
    spec: fixture.spec ?? { vault: vaultSpec },
  };
}

export function clusterSecretProvider(
  fixture: {
    name?: string;
    generation?: number;
    conditions?: NamespaceCondition[];
    spec?: ClusterSecretProvider['spec'];
  } = {},
): ClusterSecretProvider {
  const name = fixture.name ?? 'vault-prod';
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterSecretProvider',
    metadata: { name, uid: `uid-cluster-provider-${name}`, generation: fixture.generation ?? 1 },
    spec: fixture.spec ?? {
      ...(fixture.conditions ? { conditions: fixture.conditions } : {}),
      vault: vaultSpec,
    },
  };
}

/** A Namespace as the namespace informer holds it. */
export function namespace(name: string, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}
