import { ProviderResolutionError, ProviderResolver } from './provider-resolver.js';
import { MapStore } from './testing/fakes.js';
import { clusterSecretProvider, namespace, secretProvider, vaultSpec } from './testing/fixtures.js';

let providers: MapStore<unknown>;
let clusterProviders: MapStore<unknown>;
let namespaces: MapStore<unknown>;
let resolver: ProviderResolver;

beforeEach(() => {
  providers = new MapStore();
  clusterProviders = new MapStore();
  namespaces = new MapStore();
  resolver = new ProviderResolver({ providers, clusterProviders, namespaces });
});

function failure(resolve: () => unknown): ProviderResolutionError {
  try {
    resolve();
  } catch (error) {
    if (error instanceof ProviderResolutionError) return error;
    throw error;
  }
  throw new Error('expected a ProviderResolutionError');
}

describe('SecretProvider', () => {
  test('is found in the SecretSource namespace', () => {
    providers.set('payments/vault', secretProvider({ generation: 4 }));
    expect(resolver.resolve({ kind: 'SecretProvider', name: 'vault' }, 'payments')).toEqual({
      kind: 'SecretProvider',
      name: 'vault',
      namespace: 'payments',
      uid: 'uid-provider-vault',
      generation: 4,
      spec: { vault: vaultSpec },
    });
  });

  test('in another namespace is ProviderNotFound', () => {
    providers.set('other/vault', secretProvider({ namespace: 'other' }));
    const error = failure(() => resolver.resolve({ kind: 'SecretProvider', name: 'vault' }, 'payments'));
    expect(error.reason).toBe('ProviderNotFound');
    expect(error.message).toBe('SecretProvider vault not found in namespace payments');
  });

  test('that does not parse is InvalidSpec', () => {
    providers.set('payments/vault', secretProvider({ spec: {} }));
    expect(
      failure(() => resolver.resolve({ kind: 'SecretProvider', name: 'vault' }, 'payments')).reason,
    ).toBe('InvalidSpec');
  });
});

describe('ClusterSecretProvider', () => {
  const ref = { kind: 'ClusterSecretProvider', name: 'vault-prod' } as const;
  const admitted = (namespaceName: string): boolean => {
    try {
      resolver.resolve(ref, namespaceName);
      return true;
    } catch (error) {
      if (error instanceof ProviderResolutionError && error.reason === 'ProviderNotAllowed') return false;
      throw error;
    }
  };

  test('missing is ProviderNotFound', () => {
    expect(failure(() => resolver.resolve(ref, 'payments')).reason).toBe('ProviderNotFound');
  });

  test('resolves without a namespace of its own', () => {
    clusterProviders.set('vault-prod', clusterSecretProvider({ conditions: [{ namespaces: ['payments'] }] }));
    const provider = resolver.resolve(ref, 'payments');
    expect(provider).toMatchObject({
      kind: 'ClusterSecretProvider',
      name: 'vault-prod',
      uid: 'uid-cluster-provider-vault-prod',
    });
    expect(provider).not.toHaveProperty('namespace');
  });

  test('without conditions admits no namespace', () => {
    clusterProviders.set('vault-prod', clusterSecretProvider());
    namespaces.set('payments', namespace('payments'));
    const error = failure(() => resolver.resolve(ref, 'payments'));
    expect(error.reason).toBe('ProviderNotAllowed');
    expect(error.message).toContain('does not admit namespace payments');
  });

  test('admits namespaces by name or by labels (conditions are ORed)', () => {
    clusterProviders.set(
      'vault-prod',
      clusterSecretProvider({
        conditions: [
          { namespaces: ['payments'] },
          { namespaceSelector: { matchLabels: { team: 'platform' } } },
          { namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] } },
        ],
      }),
    );
    namespaces.set('payments', namespace('payments'));
    namespaces.set('infra', namespace('infra', { team: 'platform' }));
    namespaces.set('premium', namespace('premium', { tier: 'gold' }));
    namespaces.set('sandbox', namespace('sandbox', { team: 'sandbox', tier: 'bronze' }));
    expect(['payments', 'infra', 'premium', 'sandbox'].map(admitted)).toEqual([true, true, true, false]);
  });

  test('a condition with names and a selector needs both', () => {
    clusterProviders.set(
      'vault-prod',
      clusterSecretProvider({
        conditions: [{ namespaces: ['payments'], namespaceSelector: { matchLabels: { team: 'platform' } } }],
      }),
    );
    namespaces.set('payments', namespace('payments', { team: 'payments' }));
    expect(admitted('payments')).toBe(false);
    namespaces.set('payments', namespace('payments', { team: 'platform' }));
    expect(admitted('payments')).toBe(true);
  });

  test('a namespace the informer does not hold yet has no labels', () => {
    clusterProviders.set(
      'vault-prod',
      clusterSecretProvider({ conditions: [{ namespaceSelector: { matchLabels: { team: 'platform' } } }] }),
    );
    expect(admitted('infra')).toBe(false);
  });
});

describe('with ClusterSecretProviders turned off (--cluster-providers=false)', () => {
  test('a ClusterSecretProvider ref is ProviderNotAllowed, even for one that exists; SecretProviders still resolve', () => {
    const off = new ProviderResolver({
      providers,
      clusterProviders,
      namespaces,
      clusterProvidersEnabled: false,
    });
    clusterProviders.set('vault-prod', clusterSecretProvider({ conditions: [{ namespaces: ['payments'] }] }));
    const refused = failure(() =>
      off.resolve({ kind: 'ClusterSecretProvider', name: 'vault-prod' }, 'payments'),
    );
    expect(refused.reason).toBe('ProviderNotAllowed');
    expect(refused.message).toBe(
      'ClusterSecretProvider vault-prod: this operator runs without ClusterSecretProviders (--cluster-providers=false); use a SecretProvider in namespace payments',
    );
    providers.set('payments/vault', secretProvider());
    expect(off.resolve({ kind: 'SecretProvider', name: 'vault' }, 'payments').kind).toBe('SecretProvider');
  });
});
