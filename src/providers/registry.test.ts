import { InvalidSpecError } from './errors.js';
import { describeProvider, ProviderRegistry, type ProviderFactory } from './registry.js';

const identity = { kind: 'ClusterSecretProvider' as const, name: 'vault-prod' };

const fakeVault: ProviderFactory = {
  type: 'vault',
  prepare: (spec) => ({
    referencesDefaultNamespace: false,
    create: () => Promise.reject(new Error(`not built: ${JSON.stringify(spec)}`)),
  }),
};

describe('ProviderRegistry', () => {
  test('finds the factory by the one spec field that is set', () => {
    const registry = new ProviderRegistry([fakeVault]);
    expect(registry.typeOf({ vault: {} }, identity)).toBe('vault');
    expect(registry.prepare({ vault: { server: 'x' } }, identity).type).toBe('vault');
  });

  test('exactly one backend field; unregistered backends are InvalidSpec', () => {
    const registry = new ProviderRegistry([fakeVault]);
    expect(() => registry.typeOf({}, identity)).toThrow(InvalidSpecError);
    expect(() => registry.typeOf({ vault: {}, aws: {} }, identity)).toThrow(/only one of vault, aws/);
    expect(() => registry.prepare({ aws: {} }, identity)).toThrow(/aws is not supported/);
    expect(() => registry.typeOf({ vault: null, aws: {} }, identity)).not.toThrow();
  });

  test('a type registers once', () => {
    expect(() => new ProviderRegistry([fakeVault, fakeVault])).toThrow(/twice/);
  });

  test('describeProvider', () => {
    expect(describeProvider(identity)).toBe('ClusterSecretProvider vault-prod');
    expect(describeProvider({ kind: 'SecretProvider', name: 'aws', namespace: 'payments' })).toBe(
      'SecretProvider payments/aws',
    );
  });
});
