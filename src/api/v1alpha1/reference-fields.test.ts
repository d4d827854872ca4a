import { renderProviderNamespacePolicy } from './admission-policy.js';
import { parseSecretProvider } from './parse.js';
import { PROVIDER_SCHEMAS } from './providers.js';
import { namespacedReferencePaths, namespacedReferenceSpecs, referenceFields } from './reference-fields.js';
import { API_VERSION } from './schema.js';
import type { ProviderSchema } from './schema-builders.js';

const asSecretProvider = (spec: Record<string, unknown>) =>
  parseSecretProvider({
    apiVersion: API_VERSION,
    kind: 'SecretProvider',
    metadata: { name: 'p', namespace: 'team' },
    spec,
  });

describe('the credential references of the provider schemas', () => {
  test('are found by walking the schemas; every one names a namespace under the namespace rule', () => {
    const fields = referenceFields('SecretProvider');
    expect(fields.filter((field) => !field.namespaced)).toEqual([]);
    expect(namespacedReferencePaths()).toEqual(expect.arrayContaining(['spec.vault.auth.token.secretRef']));
    expect(referenceFields('SecretSource').map((field) => field.path)).toEqual([
      'spec.providerRef',
      'spec.restartTargets[]',
      'spec.target.template.configMapRef',
    ]);
  });

  test.each(PROVIDER_SCHEMAS.map((provider) => [provider.type, provider] as const))(
    'every reference sample of %s is a valid SecretProvider spec',
    (type, provider) => {
      for (const sample of provider.referenceSamples)
        expect(() => asSecretProvider({ [type]: sample })).not.toThrow();
    },
  );

  test('each reference has a spec that sets it, pointed at the namespace given and no other', () => {
    const specs = namespacedReferenceSpecs();
    expect([...specs.keys()]).toEqual(namespacedReferencePaths());
    for (const [path, spec] of specs) {
      const built = spec('elsewhere');
      expect(() => asSecretProvider(built)).not.toThrow();
      const ref = path
        .split('.')
        .slice(1)
        .reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, built);
      expect({ path, namespace: ref['namespace'] }).toEqual({ path, namespace: 'elsewhere' });
      expect(JSON.stringify(built).match(/"namespace"/g)).toHaveLength(1);
    }
  });
});

describe('the provider namespace admission policy', () => {
  const policy = renderProviderNamespacePolicy('test');

  test('checks every credential reference the schemas have', () => {
    const listed = [...policy.matchAll(/'(spec\.[^']+)': object\.spec/g)].map((match) => match[1]);
    expect(listed).toEqual(namespacedReferencePaths());
  });

  test("refuses each provider's way of borrowing the operator's identity, with the factory's message", () => {
    expect(policy).toContain(
      "'!has(object.spec.aws) || !(!has(object.spec.aws.auth) || !(has(object.spec.aws.auth.secretRef) || has(object.spec.aws.auth.webIdentity)))'",
    );
    expect(policy).toContain(
      "'!has(object.spec.azure) || !(has(object.spec.azure.auth) && has(object.spec.azure.auth.managedIdentity))'",
    );
    for (const { operatorIdentity } of PROVIDER_SCHEMAS as readonly ProviderSchema[])
      if (operatorIdentity) expect(policy).toContain(operatorIdentity.message.replaceAll("'", "''"));
  });
});
