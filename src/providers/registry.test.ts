import { InvalidSpecError } from './errors.js';
import {
  describeProvider,
  ProviderRegistry,
  type ProviderFactory,
  type ProviderSpecFields,
} from './registry.js';

const identity = { kind: 'ClusterSecretProvider' as const, name: 'vault-prod' };

/** The registry only looks at which fields are set; the fake factory reads nothing. */
const spec = (fields: Record<string, unknown>): ProviderSpecFields => fields as ProviderSpecFields;

const fakeVault: ProviderFactory = {
  type: 'vault',
  prepare: (field) => ({
    referencesDefaultNamespace: false,
    create: () => Promise.reject(new Error(`not built: ${JSON.stringify(field)}`)),
  }),
};

describe('ProviderRegistry', () => {
  test('finds the factory by the one spec field that is set', () => {
    const registry = new ProviderRegistry([fakeVault]);
    expect(registry.typeOf(spec({ vault: {} }), identity)).toBe('vault');
    expect(registry.prepare(spec({ vault: { server: 'x' } }), identity).type).toBe('vault');
  });

  test('exactly one backend field; unregistered backends are InvalidSpec', () => {
    const registry = new ProviderRegistry([fakeVault]);
    expect(() => registry.typeOf(spec({}), identity)).toThrow(InvalidSpecError);
    expect(() => registry.typeOf(spec({ vault: {}, aws: {} }), identity)).toThrow(/only one of vault, aws/);
    expect(() => registry.prepare(spec({ aws: {} }), identity)).toThrow(/aws is not supported/);
    expect(() => registry.typeOf(spec({ vault: null, aws: {} }), identity)).not.toThrow();
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
