// The v1alpha1 JSON schemas: the one source of the CRDs in crds/, the TypeScript types in
// types.generated.ts and the edge validation in parse.ts.
//
// Rules the generated CRDs must keep:
// - Structural schemas: every node has a `type`; no `$ref`, `allOf` tricks or `additionalProperties: false`.
// - No `default:` anywhere. Server-side defaults make Argo CD and Flux show a permanent diff, so
//   defaults live in defaults.ts.
// - Every cross-field rule is a CEL rule built with `celRule`, which also carries the same rule as
//   TypeScript so parse.ts can re-check objects written before a CRD upgrade.
// - CEL never iterates lists or maps, so the cost estimate stays far below the API server's budget.

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps these schemas use. */
export interface JSONSchemaProps {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  enum?: readonly string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: readonly string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  'x-kubernetes-validations'?: readonly ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: readonly string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

/** One `x-kubernetes-validations` entry. */
export interface ValidationRule {
  rule: string;
  message: string;
  fieldPath?: string;
}

// ---------------------------------------------------------------------------------------------
// Names for the generated TypeScript types, and the code twin of every CEL rule. Both are kept
// beside the schema objects rather than in them, so the CRDs carry neither.

interface TypeName {
  name: string;
  /** The canonical schema of that type: the first one built, with a description of the type itself. */
  canonical: JSONSchemaProps;
}

const typeNames = new WeakMap<JSONSchemaProps, TypeName>();
const ruleChecks = new WeakMap<ValidationRule, (self: never) => boolean>();

/** The TypeScript type name a schema node was built as, if it was built by a named factory. */
export function typeNameOf(schema: JSONSchemaProps): TypeName | undefined {
  return typeNames.get(schema);
}

/** The TypeScript twin of a CEL rule; undefined only for a rule not built with `celRule`. */
export function ruleCheckOf(rule: ValidationRule): ((self: unknown) => boolean) | undefined {
  return ruleChecks.get(rule) as ((self: unknown) => boolean) | undefined;
}

/**
 * A CEL rule and the same rule in TypeScript. The check runs after the schema validated the
 * shape, so `self` has the schema's type (an object node is a plain object, a string node a string).
 */
function celRule<Self>(
  rule: string,
  message: string,
  check: (self: Self) => boolean,
  fieldPath?: string,
): ValidationRule {
  const entry: ValidationRule = fieldPath === undefined ? { rule, message } : { rule, message, fieldPath };
  ruleChecks.set(entry, check as (self: never) => boolean);
  return entry;
}

/**
 * A factory for a reusable schema that becomes one named TypeScript type. Each use gets its own
 * description (what the field means where it is used); the type gets `typeDescription`.
 */
function namedType(
  name: string,
  typeDescription: string,
  build: (description: string) => JSONSchemaProps,
): (description: string) => JSONSchemaProps {
  const canonical = build(typeDescription);
  const tag: TypeName = { name, canonical };
  typeNames.set(canonical, tag);
  return (description) => {
    const schema = build(description);
    typeNames.set(schema, tag);
    return schema;
  };
}

type Fields = Record<string, unknown>;

/** CEL `has(self.field)`: the field is present (the schema has no nullable fields). */
const has = (self: Fields, field: string): boolean => self[field] !== undefined;
const count = (self: Fields, fields: readonly string[]): number => fields.filter((f) => has(self, f)).length;
/** CEL for "exactly one of" / "at most one of", written without iterating anything. */
const celCount = (fields: readonly string[]): string =>
  fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(' + ');

function exactlyOneOf(fields: readonly string[], message: string): ValidationRule {
  return celRule<Fields>(`${celCount(fields)} == 1`, message, (self) => count(self, fields) === 1);
}

function atMostOneOf(fields: readonly string[], message: string): ValidationRule {
  return celRule<Fields>(`${celCount(fields)} <= 1`, message, (self) => count(self, fields) <= 1);
}

// ---------------------------------------------------------------------------------------------
// Small builders

const string = (
  description: string,
  extra: Omit<JSONSchemaProps, 'type' | 'description'> = {},
): JSONSchemaProps => ({
  description,
  type: 'string',
  ...extra,
});

const boolean = (description: string): JSONSchemaProps => ({ description, type: 'boolean' });

const object = (
  description: string,
  properties: Record<string, JSONSchemaProps>,
  extra: Omit<JSONSchemaProps, 'type' | 'description' | 'properties'> = {},
): JSONSchemaProps => ({ description, type: 'object', properties, ...extra });

const list = (
  description: string,
  items: JSONSchemaProps,
  maxItems: number,
  extra: Omit<JSONSchemaProps, 'type' | 'description' | 'items' | 'maxItems'> = {},
): JSONSchemaProps => ({ description, type: 'array', items, maxItems, ...extra });

const stringMap = (description: string): JSONSchemaProps => ({
  description,
  type: 'object',
  additionalProperties: { type: 'string' },
});

const enumOf = (description: string, values: readonly string[]): JSONSchemaProps => ({
  description,
  type: 'string',
  enum: values,
});

const dateTime = (description: string): JSONSchemaProps => string(description, { format: 'date-time' });

const generation = (description: string): JSONSchemaProps => ({
  description,
  type: 'integer',
  format: 'int64',
  minimum: 0,
});

// Kubernetes object names (DNS-1123 subdomain) and Secret data keys.
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const SECRET_KEY = '^[-._a-zA-Z0-9]+$';

const objectName = (description: string): JSONSchemaProps =>
  string(description, { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN });
const namespaceName = (description: string): JSONSchemaProps =>
  string(description, { maxLength: 63, pattern: `^$|${DNS_LABEL}` });
const secretDataKey = (description: string): JSONSchemaProps =>
  string(description, { minLength: 1, maxLength: 253, pattern: SECRET_KEY });

/** Go-style duration as Kubernetes users write them: 1h, 30m, 1h30m, 45s, 500ms, 1.5h. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
/** A percentage of the interval ("10%") or a Go-style duration. */
export const JITTER_PATTERN = '^(([0-9]{1,3}(\\.[0-9]+)?%)|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$';
/** Five whitespace-separated cron fields; croner checks the fields themselves. */
export const CRON_PATTERN = '^[0-9A-Za-z*/,?#-]+( +[0-9A-Za-z*/,?#-]+){4}$';
const TIME_ZONE_PATTERN = '^[A-Za-z0-9_+/-]+$';

const NAMESPACE_RULE =
  'A SecretProvider may only name its own namespace (the default). For a ClusterSecretProvider the default is the namespace of the SecretSource being synced.';

// ---------------------------------------------------------------------------------------------
// Shared pieces

const secretKeyRef = namedType('SecretKeySelector', 'A key of a Kubernetes Secret.', (description) =>
  object(
    description,
    {
      name: objectName('Name of the Secret.'),
      key: secretDataKey('Key within the Secret data.'),
      namespace: namespaceName(`Namespace of the Secret. ${NAMESPACE_RULE}`),
    },
    { required: ['name', 'key'] },
  ),
);

const serviceAccountRef = namedType('ServiceAccountSelector', 'A Kubernetes ServiceAccount.', (description) =>
  object(
    description,
    {
      name: objectName('Name of the ServiceAccount.'),
      namespace: namespaceName(`Namespace of the ServiceAccount. ${NAMESPACE_RULE}`),
    },
    { required: ['name'] },
  ),
);

const audiences = (description: string): JSONSchemaProps =>
  list(description, string('An audience.', { minLength: 1, maxLength: 253 }), 16);

const CONDITION_TYPE_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$';
const CONDITION_REASON_PATTERN = '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$';

const condition = namedType(
  'Condition',
  'One aspect of the current state of the object (the shape of metav1.Condition).',
  (description) =>
    object(
      description,
      {
        type: string('Type of the condition, e.g. Ready.', {
          maxLength: 316,
          pattern: CONDITION_TYPE_PATTERN,
        }),
        status: enumOf('Status of the condition.', ['True', 'False', 'Unknown']),
        reason: string('Machine-readable reason for the last transition, in CamelCase.', {
          minLength: 1,
          maxLength: 1024,
          pattern: CONDITION_REASON_PATTERN,
        }),
        message: string('Human-readable details of the last transition. Never contains secret values.', {
          maxLength: 32768,
        }),
        lastTransitionTime: dateTime('When the status last changed.'),
        observedGeneration: generation('The .metadata.generation the condition was computed for.'),
      },
      { required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'] },
    ),
);

const conditions = (description: string): JSONSchemaProps =>
  list(description, condition('A condition.'), 32, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });

const labelSelectorRequirement = namedType(
  'LabelSelectorRequirement',
  'A label key, an operator and values.',
  (description) =>
    object(
      description,
      {
        key: string('The label key the requirement applies to.', { minLength: 1, maxLength: 317 }),
        operator: enumOf('How the key relates to the values.', ['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: list(
          'Values for In and NotIn; empty for Exists and DoesNotExist.',
          string('A label value.', { maxLength: 63 }),
          256,
        ),
      },
      { required: ['key', 'operator'] },
    ),
);

const labelSelector = namedType(
  'LabelSelector',
  'A Kubernetes label selector. An empty selector selects everything.',
  (description) =>
    object(
      description,
      {
        matchLabels: stringMap('Labels that must all be present with these values.'),
        matchExpressions: list(
          'Requirements that must all hold.',
          labelSelectorRequirement('A requirement.'),
          32,
        ),
      },
      { 'x-kubernetes-map-type': 'atomic' },
    ),
);

// ---------------------------------------------------------------------------------------------
// Providers: spec.vault

const vaultTokenAuth = namedType('VaultTokenAuth', 'Authenticate with a static Vault token.', (description) =>
  object(
    description,
    { secretRef: secretKeyRef('The Secret key holding the Vault token.') },
    { required: ['secretRef'] },
  ),
);

const vaultKubernetesAuth = namedType(
  'VaultKubernetesAuth',
  "Authenticate with Vault's Kubernetes auth method and a ServiceAccount token requested for the purpose.",
  (description) =>
    object(
      description,
      {
        mountPath: string('Mount path of the Kubernetes auth method. Default: kubernetes.', {
          maxLength: 256,
        }),
        role: string('Vault role to log in as.', { minLength: 1, maxLength: 256 }),
        serviceAccountRef: serviceAccountRef('The ServiceAccount whose token is presented to Vault.'),
        audiences: audiences('Audiences of the requested ServiceAccount token. Default: none.'),
      },
      { required: ['role', 'serviceAccountRef'] },
    ),
);

const vaultAppRoleAuth = namedType(
  'VaultAppRoleAuth',
  "Authenticate with Vault's AppRole method.",
  (description) =>
    object(
      description,
      {
        path: string('Mount path of the AppRole auth method. Default: approle.', { maxLength: 256 }),
        roleId: string('The AppRole role ID.', { minLength: 1, maxLength: 256 }),
        secretRef: secretKeyRef('The Secret key holding the AppRole secret ID.'),
      },
      { required: ['roleId', 'secretRef'] },
    ),
);

const vaultAuth = namedType(
  'VaultAuth',
  'How the operator logs in to Vault: exactly one method.',
  (description) =>
    object(
      description,
      {
        token: vaultTokenAuth('A static token read from a Secret.'),
        kubernetes: vaultKubernetesAuth('The Kubernetes auth method.'),
        appRole: vaultAppRoleAuth('The AppRole auth method.'),
      },
      {
        'x-kubernetes-validations': [
          exactlyOneOf(
            ['token', 'kubernetes', 'appRole'],
            'auth must set exactly one of token, kubernetes or appRole',
          ),
        ],
      },
    ),
);

const vaultProvider = namedType(
  'VaultProvider',
  'A HashiCorp Vault or OpenBao KV secrets engine.',
  (description) =>
    object(
      description,
      {
        server: string('Base URL of the Vault server, e.g. https://vault.example:8200.', {
          maxLength: 2048,
          pattern: '^https?://[^\\s]+$',
        }),
        path: string('Mount path of the KV secrets engine. Default: secret.', { maxLength: 256 }),
        version: enumOf('Version of the KV secrets engine. Default: v2.', ['v1', 'v2']),
        namespace: string('Vault Enterprise / OpenBao namespace. Empty means none.', { maxLength: 256 }),
        caBundle: string(
          'PEM bundle of the CAs the server certificate must chain to. Empty means the system CAs.',
        ),
        caRef: secretKeyRef('A Secret key holding the PEM CA bundle, instead of caBundle.'),
        auth: vaultAuth('How the operator logs in to Vault.'),
      },
      {
        required: ['server', 'auth'],
        'x-kubernetes-validations': [
          celRule<Fields>(
            '!(has(self.caBundle) && size(self.caBundle) > 0 && has(self.caRef))',
            'set at most one of caBundle and caRef',
            (self) => !(typeof self.caBundle === 'string' && self.caBundle.length > 0 && has(self, 'caRef')),
          ),
        ],
      },
    ),
);

// ---------------------------------------------------------------------------------------------
// Providers: spec.aws

const awsAccessKeyRef = namedType(
  'AwsAccessKeyRef',
  'A Secret holding a static AWS access key.',
  (description) =>
    object(
      description,
      {
        name: objectName('Name of the Secret.'),
        namespace: namespaceName(`Namespace of the Secret. ${NAMESPACE_RULE}`),
        accessKeyIdKey: secretDataKey('Key holding the access key ID.'),
        secretAccessKeyKey: secretDataKey('Key holding the secret access key.'),
        sessionTokenKey: secretDataKey('Key holding a session token, for temporary credentials.'),
      },
      { required: ['name', 'accessKeyIdKey', 'secretAccessKeyKey'] },
    ),
);

const awsWebIdentityAuth = namedType(
  'AwsWebIdentityAuth',
  'Assume a role with a ServiceAccount token (AssumeRoleWithWebIdentity, as IRSA does).',
  (description) =>
    object(
      description,
      {
        serviceAccountRef: serviceAccountRef(
          'The ServiceAccount whose token is exchanged for AWS credentials.',
        ),
        roleArn: string('ARN of the role to assume with the token.', { minLength: 1, maxLength: 2048 }),
        audiences: audiences('Audiences of the requested ServiceAccount token. Default: sts.amazonaws.com.'),
      },
      { required: ['serviceAccountRef', 'roleArn'] },
    ),
);

const awsAuth = namedType(
  'AwsAuth',
  'How the operator gets AWS credentials: at most one method; none uses the default credential chain.',
  (description) =>
    object(
      description,
      {
        secretRef: awsAccessKeyRef('A static access key read from a Secret.'),
        webIdentity: awsWebIdentityAuth('A ServiceAccount token exchanged for a role.'),
      },
      {
        'x-kubernetes-validations': [
          atMostOneOf(['secretRef', 'webIdentity'], 'auth may set at most one of secretRef or webIdentity'),
        ],
      },
    ),
);

const awsProvider = namedType('AwsProvider', 'AWS Secrets Manager in one region.', (description) =>
  object(
    description,
    {
      region: string('AWS region, e.g. eu-west-1.', { minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' }),
      endpoint: string('Endpoint URL override, e.g. for a VPC endpoint. Empty means the regional endpoint.', {
        maxLength: 2048,
      }),
      role: string('ARN of a role to assume after authenticating. Empty means none.', { maxLength: 2048 }),
      externalId: string('External ID to present when assuming role.', { maxLength: 1224 }),
      sessionName: string('Session name when assuming role. Default: chosen by the operator.', {
        maxLength: 64,
      }),
      auth: awsAuth('How the operator gets AWS credentials. Omit for the default credential chain.'),
    },
    { required: ['region'] },
  ),
);

// ---------------------------------------------------------------------------------------------
// Providers: spec.azure

const azureServicePrincipalAuth = namedType(
  'AzureServicePrincipalAuth',
  'Authenticate as an Entra ID application with a client secret or a client certificate.',
  (description) =>
    object(
      description,
      {
        clientId: string('Application (client) ID.', { minLength: 1, maxLength: 256 }),
        secretRef: secretKeyRef('The Secret key holding the client secret.'),
        certificateRef: secretKeyRef(
          'The Secret key holding the PEM client certificate and its private key.',
        ),
      },
      {
        required: ['clientId'],
        'x-kubernetes-validations': [
          exactlyOneOf(
            ['secretRef', 'certificateRef'],
            'servicePrincipal must set exactly one of secretRef or certificateRef',
          ),
        ],
      },
    ),
);

const azureWorkloadIdentityAuth = namedType(
  'AzureWorkloadIdentityAuth',
  'Authenticate with Entra Workload ID: a ServiceAccount token exchanged for an application token.',
  (description) =>
    object(
      description,
      {
        clientId: string('Application (client) ID the ServiceAccount is federated with.', {
          minLength: 1,
          maxLength: 256,
        }),
        serviceAccountRef: serviceAccountRef('The ServiceAccount whose token is exchanged.'),
        audiences: audiences(
          'Audiences of the requested ServiceAccount token. Default: api://AzureADTokenExchange.',
        ),
      },
      { required: ['clientId', 'serviceAccountRef'] },
    ),
);

const azureManagedIdentityAuth = namedType(
  'AzureManagedIdentityAuth',
  'Authenticate with the managed identity of the node the operator runs on.',
  (description) =>
    object(description, {
      clientId: string('Client ID of a user-assigned identity. Empty means the system-assigned identity.', {
        maxLength: 256,
      }),
    }),
);

const azureAuth = namedType(
  'AzureAuth',
  'How the operator authenticates to Azure: exactly one method.',
  (description) =>
    object(
      description,
      {
        servicePrincipal: azureServicePrincipalAuth('An application with a client secret or certificate.'),
        workloadIdentity: azureWorkloadIdentityAuth('Entra Workload ID.'),
        managedIdentity: azureManagedIdentityAuth('A managed identity.'),
      },
      {
        'x-kubernetes-validations': [
          exactlyOneOf(
            ['servicePrincipal', 'workloadIdentity', 'managedIdentity'],
            'auth must set exactly one of servicePrincipal, workloadIdentity or managedIdentity',
          ),
        ],
      },
    ),
);

const azureProvider = namedType('AzureProvider', 'One Azure Key Vault.', (description) =>
  object(
    description,
    {
      vaultUrl: string('URL of the key vault, e.g. https://payments.vault.azure.net.', {
        maxLength: 2048,
        pattern: '^https?://[^\\s]+$',
      }),
      tenantId: string(
        'Entra ID tenant (directory) ID. Required for servicePrincipal and workloadIdentity.',
        {
          minLength: 1,
          maxLength: 256,
        },
      ),
      authorityHost: string('Entra ID authority host for sovereign clouds. Default: the public cloud.', {
        maxLength: 2048,
      }),
      auth: azureAuth('How the operator authenticates to Azure.'),
    },
    {
      required: ['vaultUrl', 'auth'],
      'x-kubernetes-validations': [
        celRule<Fields>(
          'has(self.tenantId) || !(has(self.auth.servicePrincipal) || has(self.auth.workloadIdentity))',
          'tenantId is required for servicePrincipal and workloadIdentity auth',
          (self) => {
            const auth = self.auth as Fields;
            return has(self, 'tenantId') || !(has(auth, 'servicePrincipal') || has(auth, 'workloadIdentity'));
          },
          '.tenantId',
        ),
      ],
    },
  ),
);

// ---------------------------------------------------------------------------------------------
// Providers: spec and status

const BACKENDS = ['vault', 'aws', 'azure'] as const;

const providerSpecProperties = (): Record<string, JSONSchemaProps> => ({
  vault: vaultProvider('Connect to HashiCorp Vault or OpenBao.'),
  aws: awsProvider('Connect to AWS Secrets Manager.'),
  azure: azureProvider('Connect to Azure Key Vault.'),
});

const backendRule = (): ValidationRule =>
  exactlyOneOf(BACKENDS, 'spec must set exactly one of vault, aws or azure');

export const secretProviderSpecSchema: JSONSchemaProps = namedType(
  'SecretProviderSpec',
  'One connection to one backend, usable by SecretSources in the same namespace.',
  (description) =>
    object(description, providerSpecProperties(), { 'x-kubernetes-validations': [backendRule()] }),
)('One connection to one backend, usable by SecretSources in the same namespace.');

const namespaceCondition = namedType(
  'NamespaceCondition',
  'Namespaces allowed to use a ClusterSecretProvider: those named, and those the selector selects.',
  (description) =>
    object(
      description,
      {
        namespaces: list(
          'Names of namespaces allowed to use the provider.',
          namespaceName('A namespace.'),
          256,
        ),
        namespaceSelector: labelSelector(
          'Labels of namespaces allowed to use the provider. An empty selector allows every namespace.',
        ),
      },
      {
        'x-kubernetes-validations': [
          celRule<Fields>(
            'has(self.namespaces) || has(self.namespaceSelector)',
            'a condition must set namespaces or namespaceSelector',
            (self) => has(self, 'namespaces') || has(self, 'namespaceSelector'),
          ),
        ],
      },
    ),
);

export const clusterSecretProviderSpecSchema: JSONSchemaProps = namedType(
  'ClusterSecretProviderSpec',
  'One connection to one backend, usable by SecretSources in the namespaces its conditions allow.',
  (description) =>
    object(
      description,
      {
        conditions: list(
          'Which namespaces may use this provider. A namespace may use it when any condition matches; no condition means no namespace.',
          namespaceCondition('A condition.'),
          64,
        ),
        ...providerSpecProperties(),
      },
      { 'x-kubernetes-validations': [backendRule()] },
    ),
)('One connection to one backend, usable by SecretSources in the namespaces its conditions allow.');

export const providerStatusSchema: JSONSchemaProps = namedType(
  'ProviderStatus',
  'The observed state of a provider, written by the operator.',
  (description) =>
    object(description, {
      conditions: conditions('Ready is True when the operator could authenticate to the backend.'),
      observedGeneration: generation('The .metadata.generation the status was computed for.'),
      backend: enumOf('Which backend the provider connects to.', BACKENDS),
    }),
)('The observed state of a provider, written by the operator.');

// ---------------------------------------------------------------------------------------------
// SecretSource: spec

export const PROVIDER_KINDS = ['SecretProvider', 'ClusterSecretProvider'] as const;
export const DECODINGS = ['None', 'Base64', 'Base64URL', 'Auto'] as const;
export const CREATION_POLICIES = ['Owner', 'Orphan', 'Merge'] as const;
export const DELETION_POLICIES = ['Retain', 'Delete'] as const;
export const REFRESH_POLICIES = ['Periodic', 'OnChange', 'CreatedOnce'] as const;
export const RESTART_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export const DUPLICATE_KEYS_POLICIES = ['Error', 'LastWins'] as const;
/** Secret types that grant cluster access; the operator never writes them. */
export const FORBIDDEN_SECRET_TYPES = [
  'kubernetes.io/service-account-token',
  'bootstrap.kubernetes.io/token',
] as const;

const decoding = (description: string): JSONSchemaProps =>
  namedDecoding(
    `${description} None (the default) keeps the value as fetched; Auto decodes base64 when it is valid.`,
  );
const namedDecoding = namedType(
  'Decoding',
  'How a fetched value is decoded before it is stored.',
  (description) => enumOf(description, DECODINGS),
);

const remotePath = (description: string): JSONSchemaProps =>
  string(description, { minLength: 1, maxLength: 1024 });

const providerRef = namedType('ProviderRef', 'A SecretProvider or ClusterSecretProvider.', (description) =>
  object(
    description,
    {
      kind: enumOf('Kind of the provider.', PROVIDER_KINDS),
      name: objectName('Name of the provider. A SecretProvider is looked up in the SecretSource namespace.'),
    },
    { required: ['kind', 'name'] },
  ),
);

const remoteRef = namedType('RemoteRef', 'One secret in the backend.', (description) =>
  object(
    description,
    {
      path: remotePath('Path or name of the secret in the backend, e.g. payments/db.'),
      property: string('Property of a JSON or key/value secret to take. Empty takes the whole value.', {
        maxLength: 1024,
      }),
      version: string('Version of the secret. Empty means the latest.', { maxLength: 256 }),
    },
    { required: ['path'] },
  ),
);

const dataItem = namedType(
  'SecretSourceData',
  'One key of the target Secret from one remote value.',
  (description) =>
    object(
      description,
      {
        key: secretDataKey('Key in the target Secret.'),
        remoteRef: remoteRef('Where the value comes from.'),
        decoding: decoding('How the value is decoded.'),
      },
      { required: ['key', 'remoteRef'] },
    ),
);

const findName = namedType('FindName', 'A match on secret names.', (description) =>
  object(
    description,
    {
      regexp: string(
        'Regular expression the secret name must match (RE2, Go syntax, unanchored; linear time, no lookarounds or backreferences).',
        { minLength: 1, maxLength: 1024 },
      ),
    },
    { required: ['regexp'] },
  ),
);

const findQuery = namedType('FindQuery', 'Search for secrets in the backend.', (description) =>
  object(
    description,
    {
      path: remotePath('Only secrets under this path.'),
      name: findName('Only secrets whose name matches.'),
      tags: stringMap('Only secrets carrying all of these tags.'),
    },
    {
      'x-kubernetes-validations': [
        celRule<Fields>(
          'has(self.path) || has(self.name) || has(self.tags)',
          'find must set at least one of path, name or tags',
          (self) => has(self, 'path') || has(self, 'name') || has(self, 'tags'),
        ),
      ],
    },
  ),
);

const rewriteRegexp = namedType('RewriteRegexp', 'A regular expression replacement.', (description) =>
  object(
    description,
    {
      source: string('Regular expression matched against each key (RE2, Go syntax).', {
        minLength: 1,
        maxLength: 1024,
      }),
      target: string('Replacement; $1 and ${name} refer to groups of source.', { maxLength: 1024 }),
    },
    { required: ['source', 'target'] },
  ),
);

const rewrite = namedType('Rewrite', 'One rewrite of the keys found.', (description) =>
  object(
    description,
    { regexp: rewriteRegexp('Replace with a regular expression.') },
    { required: ['regexp'] },
  ),
);

const dataFromItem = namedType(
  'SecretSourceDataFrom',
  'Many keys of the target Secret: every key of one remote map, or every secret a search finds.',
  (description) =>
    object(
      description,
      {
        path: remotePath('Path of a remote key/value secret whose every key is copied.'),
        find: findQuery('A search whose every result is copied, keyed by secret name.'),
        rewrite: list('Rewrites applied to the keys in order.', rewrite('A rewrite.'), 16),
        decoding: decoding('How the values are decoded.'),
      },
      {
        'x-kubernetes-validations': [
          exactlyOneOf(['path', 'find'], 'each dataFrom entry must set exactly one of path or find'),
        ],
      },
    ),
);

const configMapTemplateRef = namedType(
  'ConfigMapTemplateRef',
  'A ConfigMap in the SecretSource namespace whose values are templates.',
  (description) =>
    object(
      description,
      {
        name: objectName('Name of the ConfigMap.'),
        items: list('Keys of the ConfigMap to use. Empty uses every key.', secretDataKey('A key.'), 256),
      },
      { required: ['name'] },
    ),
);

const secretTemplate = namedType(
  'SecretTemplate',
  'Templates rendered with the fetched values, e.g. "postgres://{{ .user }}:{{ .password }}@db".',
  (description) =>
    object(description, {
      data: stringMap('Secret keys and the templates that produce their values.'),
      labels: stringMap('Labels of the target Secret, as templates.'),
      annotations: stringMap('Annotations of the target Secret, as templates.'),
      configMapRef: configMapTemplateRef('More templates, kept in a ConfigMap.'),
    }),
);

const dockerConfig = namedType(
  'DockerConfig',
  'Build a .dockerconfigjson entry from the fetched values.',
  (description) =>
    object(
      description,
      {
        registry: string('Registry host, e.g. ghcr.io.', { minLength: 1, maxLength: 1024 }),
        username: string('Template of the user name, e.g. "{{ .username }}".', {
          minLength: 1,
          maxLength: 1024,
        }),
        password: string(
          'Template of the password, e.g. "{{ .password }}". Keep the value itself out of Git.',
          {
            minLength: 1,
            maxLength: 1024,
          },
        ),
        email: string('Template of the e-mail address.', { maxLength: 1024 }),
      },
      { required: ['registry', 'username', 'password'] },
    ),
);

const secretTarget = namedType('SecretTarget', 'The Kubernetes Secret the operator writes.', (description) =>
  object(description, {
    name: objectName('Name of the Secret. Default: the SecretSource name.'),
    type: string('Type of the Secret. Default: Opaque.', {
      minLength: 1,
      maxLength: 253,
      'x-kubernetes-validations': [
        celRule<string>(
          FORBIDDEN_SECRET_TYPES.map((t) => `self != '${t}'`).join(' && '),
          `type must not be ${FORBIDDEN_SECRET_TYPES.join(' or ')}: these Secrets grant access to the cluster`,
          (self) => !(FORBIDDEN_SECRET_TYPES as readonly string[]).includes(self),
        ),
      ],
    }),
    template: secretTemplate('Build the Secret from templates instead of copying the values.'),
    dockerConfig: dockerConfig('Build a registry credential (.dockerconfigjson) from the fetched values.'),
    labels: stringMap('Labels added to the Secret.'),
    annotations: stringMap('Annotations added to the Secret.'),
    creationPolicy: enumOf(
      'Owner (the default) creates the Secret and lets it be garbage collected with the SecretSource; Orphan creates it without an owner; Merge only adds keys to an existing Secret that no other SecretSource owns (several Merge sources may share one Secret). Each SecretSource writes as its own field manager and repairs only the keys, labels and annotations it wrote; keys others added are left alone.',
      CREATION_POLICIES,
    ),
    deletionPolicy: enumOf(
      'What happens to the Secret when the SecretSource is deleted: Retain (the default) keeps it, Delete removes it (with creationPolicy Merge: removes only the keys this SecretSource wrote).',
      DELETION_POLICIES,
    ),
    immutable: boolean('Write the Secret as immutable. Default: false.'),
  }),
);

const refresh = namedType('Refresh', 'When the operator fetches the values again.', (description) =>
  object(
    description,
    {
      interval: string(
        'Time between syncs as a Go duration, e.g. 1h, 30m, 1h30m. Default: 1h unless schedule is set.',
        {
          maxLength: 64,
          pattern: DURATION_PATTERN,
        },
      ),
      schedule: string(
        'Five-field cron schedule, e.g. "0 3 * * *". Instead of interval. A schedule that matches no date (e.g. "0 0 31 2 *") is refused: Ready=False, reason InvalidSpec, nothing is read.',
        {
          maxLength: 256,
          pattern: CRON_PATTERN,
        },
      ),
      timeZone: string('IANA time zone of schedule, e.g. Europe/Berlin. Default: UTC.', {
        maxLength: 64,
        pattern: TIME_ZONE_PATTERN,
      }),
      jitter: string(
        'Random spread of each refresh, so objects with the same interval do not hit the backend at once: a percentage of the interval ("10%") or a Go duration ("5m").',
        { maxLength: 64, pattern: JITTER_PATTERN },
      ),
      policy: enumOf(
        'Periodic (the default) syncs on every refresh and repairs hand edits of its keys; OnChange syncs only when the SecretSource changes and repairs hand edits; CreatedOnce syncs once and then leaves the Secret to its users (hand edits are kept; a deleted Secret is recreated).',
        REFRESH_POLICIES,
      ),
    },
    {
      'x-kubernetes-validations': [
        celRule<Fields>(
          '!(has(self.interval) && has(self.schedule))',
          'set interval or schedule, not both',
          (self) => !(has(self, 'interval') && has(self, 'schedule')),
        ),
        celRule<Fields>(
          '!has(self.timeZone) || has(self.schedule)',
          'timeZone applies only to schedule',
          (self) => !has(self, 'timeZone') || has(self, 'schedule'),
          '.timeZone',
        ),
      ],
    },
  ),
);

const restartTarget = namedType(
  'RestartTarget',
  'A workload in the SecretSource namespace, rolled when the Secret content changes.',
  (description) =>
    object(
      description,
      {
        kind: enumOf('Kind of the workload.', RESTART_KINDS),
        name: objectName('Name of the workload.'),
      },
      { required: ['kind', 'name'] },
    ),
);

export const secretSourceSpecSchema: JSONSchemaProps = namedType(
  'SecretSourceSpec',
  'What to fetch, where to write it and how often.',
  (description) =>
    object(
      description,
      {
        providerRef: providerRef('The provider the values are fetched through.'),
        data: list('Keys of the target Secret, each from one remote value.', dataItem('A key.'), 1000, {
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['key'],
        }),
        dataFrom: list(
          'Sources of many keys at once. A key produced twice (by two entries, or by data and dataFrom) is an InvalidSpec error unless duplicateKeys is LastWins.',
          dataFromItem('A source.'),
          100,
        ),
        duplicateKeys: enumOf(
          'What a key produced by two entries does. Error (the default): an InvalidSpec error naming both entries. LastWins: entries are applied in the order dataFrom[0], dataFrom[1], …, then data[0], data[1], … (within one dataFrom entry, remote keys in sorted order) and a later entry replaces an earlier one, so data overrides dataFrom (the order of External Secrets Operator).',
          DUPLICATE_KEYS_POLICIES,
        ),
        allowEmpty: boolean(
          'Accept an empty result. Default false: a dataFrom entry (path or find) that yields no keys, or a Secret that would hold no keys, is an EmptyResult error and the existing Secret is kept as it is. true: such a result is written, even a Secret with no keys.',
        ),
        target: secretTarget('The Secret to write. Default: an Opaque Secret named like the SecretSource.'),
        refresh: refresh('When to fetch again. Default: every hour.'),
        restartTargets: list(
          'Workloads to roll when the Secret content changes (not on the first sync, not on a refresh that finds nothing new): their pod template gets the annotation secretsource.dev/content-hash with the new fingerprint, so the workload controller replaces the pods. A missing workload is a RestartTargetNotFound Warning, not a failed sync.',
          restartTarget('A workload.'),
          32,
          { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['kind', 'name'] },
        ),
      },
      {
        required: ['providerRef'],
        'x-kubernetes-validations': [
          celRule<Fields>(
            '(has(self.data) && self.data.size() > 0) || (has(self.dataFrom) && self.dataFrom.size() > 0)',
            'set at least one entry in data or dataFrom',
            (self) =>
              (Array.isArray(self.data) && self.data.length > 0) ||
              (Array.isArray(self.dataFrom) && self.dataFrom.length > 0),
          ),
        ],
      },
    ),
)('What to fetch, where to write it and how often.');

/** Longest force-sync annotation value status.lastForceSync holds verbatim; longer ones as a digest. */
export const MAX_LAST_FORCE_SYNC_LENGTH = 1024;

export const secretSourceStatusSchema: JSONSchemaProps = namedType(
  'SecretSourceStatus',
  'The observed state of a SecretSource, written by the operator.',
  (description) =>
    object(description, {
      conditions: conditions('Ready is True when the Secret holds the values of the last sync.'),
      observedGeneration: generation('The .metadata.generation the status was computed for.'),
      lastSyncTime: dateTime('When the Secret was last brought in line with the backend.'),
      lastRefreshTime: dateTime(
        'The last recorded refresh: the values were read from the provider and compared with the Secret, whether or not anything had changed. Exact for intervals of an hour or more; for shorter ones refreshes that find nothing new are recorded once an hour.',
      ),
      nextRefreshTime: dateTime(
        'The next refresh the status will record (a checkpoint): the next refresh for intervals of an hour or more, otherwise one refresh an hour. Never in the past while the SecretSource is Ready.',
      ),
      syncedHash: string(
        'Fingerprint of the keys this SecretSource last wrote: hmac-sha256:… under a key only the operator holds, so it reveals nothing about the values.',
        { maxLength: 256 },
      ),
      targetName: string('Name of the Secret written.', { maxLength: 253 }),
      syncedKeys: {
        description: 'How many keys the Secret holds.',
        type: 'integer',
        format: 'int32',
        minimum: 0,
      },
      provider: string('The provider used for the last sync, as Kind/name.', { maxLength: 512 }),
      certificateNotAfter: dateTime('Expiry of the certificate in the Secret, when it holds one.'),
      lastForceSync: string(
        `The value of the secretsource.dev/force-sync annotation the last sync answered; a new value syncs now. A value longer than ${MAX_LAST_FORCE_SYNC_LENGTH} characters is recorded as "sha256:" and the hex SHA-256 of the value.`,
        { maxLength: MAX_LAST_FORCE_SYNC_LENGTH },
      ),
    }),
)('The observed state of a SecretSource, written by the operator.');

// ---------------------------------------------------------------------------------------------
// Whole objects

export const GROUP = 'secretsource.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export type Kind = 'SecretSource' | 'SecretProvider' | 'ClusterSecretProvider';

interface KindInfo {
  description: string;
  namespaced: boolean;
  spec: JSONSchemaProps;
  status: JSONSchemaProps;
}

export const KINDS: Readonly<Record<Kind, KindInfo>> = {
  SecretSource: {
    description: 'Fetches secrets from a provider into a Kubernetes Secret and keeps it current.',
    namespaced: true,
    spec: secretSourceSpecSchema,
    status: secretSourceStatusSchema,
  },
  SecretProvider: {
    description:
      'A connection to Vault/OpenBao, AWS Secrets Manager or Azure Key Vault for its own namespace.',
    namespaced: true,
    spec: secretProviderSpecSchema,
    status: providerStatusSchema,
  },
  ClusterSecretProvider: {
    description:
      'A connection to Vault/OpenBao, AWS Secrets Manager or Azure Key Vault for the namespaces its conditions allow.',
    namespaced: false,
    spec: clusterSecretProviderSpecSchema,
    status: providerStatusSchema,
  },
};

const objectMeta = (namespaced: boolean): JSONSchemaProps =>
  namedType(
    namespaced ? 'NamespacedObjectMeta' : 'ObjectMeta',
    'The parts of the Kubernetes object metadata the operator reads.',
    (description) =>
      object(
        description,
        {
          name: objectName('Name of the object.'),
          namespace: string('Namespace of the object.', { minLength: 1, maxLength: 63 }),
          uid: string('Unique ID of the object.'),
          generation: generation('Sequence number of the desired state.'),
          resourceVersion: string('Version of the object for optimistic concurrency.'),
          labels: stringMap('Labels of the object.'),
          annotations: stringMap('Annotations of the object.'),
          deletionTimestamp: dateTime('When the object was asked to be deleted.'),
          finalizers: {
            description: 'Finalizers that must be removed before the object is deleted.',
            type: 'array',
            items: { type: 'string', description: 'A finalizer name.' },
          },
        },
        { required: namespaced ? ['name', 'namespace'] : ['name'] },
      ),
  )('Standard object metadata.');

/**
 * The schema of a whole object. For the CRD (`metadata: 'crd'`) metadata stays `{type: object}`:
 * the API server validates it and refuses a CRD that describes more than name and generateName.
 * For the types and parse.ts, metadata lists the fields the operator reads and apiVersion and kind
 * are fixed.
 */
export function objectSchema(kind: Kind, metadata: 'crd' | 'typed'): JSONSchemaProps {
  const info = KINDS[kind];
  const typed = metadata === 'typed';
  const schema = object(
    info.description,
    {
      apiVersion: string(
        'APIVersion defines the versioned schema of this representation of an object.',
        typed ? { enum: [API_VERSION] } : {},
      ),
      kind: string(
        'Kind is a string value representing the REST resource this object represents.',
        typed ? { enum: [kind] } : {},
      ),
      metadata: typed ? objectMeta(info.namespaced) : { type: 'object' },
      spec: info.spec,
      status: info.status,
    },
    { required: typed ? ['apiVersion', 'kind', 'metadata', 'spec'] : ['spec'] },
  );
  if (typed) {
    const canonical = { ...schema, description: info.description };
    typeNames.set(schema, { name: kind, canonical });
    typeNames.set(canonical, { name: kind, canonical });
  }
  return schema;
}
