// config/admission/provider_namespace.yaml, rendered by `make manifests`: the references it checks
// come from the schema walk (reference-fields.ts) and the operator-identity rules from the
// providers' schema leaves, so a provider's reference or identity rule is refused at admission
// without a line here.
import { PROVIDER_SCHEMAS } from './providers.js';
import { namespacedReferencePaths } from './reference-fields.js';
import { GROUP } from './schema.js';
import type { ProviderSchema } from './schema-builders.js';

export const PROVIDER_NAMESPACE_POLICY_FILE = 'provider_namespace.yaml';

/** CEL for the namespace a reference at `path` names: '' when it or anything above it is unset. */
const namespaceOf = (path: string): string =>
  `object.spec${path
    .split('.')
    .slice(1)
    .map((key) => `.?${key}`)
    .join('')}.?namespace.orValue('')`;

/** A YAML single-quoted scalar. */
const quoted = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** The policy and its binding, as YAML (formatted by the caller). */
export function renderProviderNamespacePolicy(generatedBy: string): string {
  const refs = namespacedReferencePaths()
    .map((path) => `          '${path}': ${namespaceOf(path)}`)
    .join(',\n');
  const identityRules = PROVIDER_SCHEMAS.flatMap(({ type, operatorIdentity }: ProviderSchema) => {
    if (operatorIdentity === undefined) return [];
    const spec = `object.spec.${type}`;
    return [
      `    - expression: ${quoted(`!has(${spec}) || !(${operatorIdentity.when(spec)})`)}`,
      `      message: ${quoted(operatorIdentity.message)}`,
      `      reason: Forbidden`,
    ];
  });
  return `# ${generatedBy}
#
# A namespaced SecretProvider reads credentials from its own namespace only. The operator enforces
# this on every read (src/providers/credentials.ts resolveCredentialNamespace: ProviderNotAllowed,
# nothing read); this policy refuses such a reference before it is stored, so a tenant learns at
# \`kubectl apply\` and no object shaped to escape its namespace ever exists. One entry per field of
# the provider schemas that names a namespace, found by walking the schemas
# (src/api/v1alpha1/reference-fields.ts).
# It also refuses the ways of borrowing the operator's own cloud identity, which the operator
# refuses too (ProviderNotAllowed): each provider's operatorIdentity in src/providers/<type>/schema.ts.
# (ClusterSecretProviders are created by cluster administrators and may name any namespace and use
# the operator's identity.)
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: secretsource-provider-namespace
  labels: { app.kubernetes.io/name: secretsource-operator }
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: [${GROUP}]
        apiVersions: ['*']
        operations: [CREATE, UPDATE]
        resources: [secretproviders]
  matchConditions:
    # Only a changed spec: finalizer and label updates of objects admitted earlier pass.
    - name: spec-changed
      expression: 'oldObject == null || object.spec != oldObject.spec'
  variables:
    # Reference field -> the namespace it names ('' when unset).
    - name: refs
      expression: >-
        {
${refs}
        }
    - name: escaping
      expression: "variables.refs.filter(f, variables.refs[f] != '' && variables.refs[f] != object.metadata.namespace)"
  validations:
    - expression: 'variables.escaping.size() == 0'
      messageExpression: >-
        variables.escaping[0] + '.namespace is ' + variables.refs[variables.escaping[0]] +
        ': a SecretProvider may only name its own namespace (' + object.metadata.namespace +
        '); leave the namespace out, or ask for a ClusterSecretProvider'
      reason: Forbidden
${identityRules.join('\n')}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: secretsource-provider-namespace
  labels: { app.kubernetes.io/name: secretsource-operator }
spec:
  policyName: secretsource-provider-namespace
  validationActions: [Deny]
`;
}
