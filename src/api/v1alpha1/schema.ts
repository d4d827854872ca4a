// The v1alpha1 JSON schemas: the one source of the CRDs in crds/, the TypeScript types in
// types.generated.ts and the edge validation in parse.ts.
//
// Rules the generated CRDs must keep:
// - Structural schemas: every node has a `type`; no `$ref`, `allOf` tricks or `additionalProperties: false`.
// - No `default:` anywhere. Server-side defaults make Argo CD and Flux show a permanent diff, so
//   defaults live in code: defaults.ts, and each provider's spec.ts.
// - Every cross-field rule is a CEL rule built with `celRule`, which also carries the same rule as
//   TypeScript so parse.ts can re-check objects written before a CRD upgrade.
// - CEL never iterates lists or maps, so the cost estimate stays far below the API server's budget;
//   the one exception is the dynamic-secrets rules, which look at each (bounded) dataFrom entry once
//   with has() (docs/adr/0016-dynamic-secrets-and-leases.md).
//
// The building blocks live in schema-builders.ts and each provider's `spec.<type>` in
// src/providers/<type>/schema.ts, a leaf listed in providers.ts (ADR 0017).
import { API_VERSION, FINGERPRINT_ANNOTATION, FORCE_SYNC_ANNOTATION, type Kind } from './names.js';
import { PROVIDER_SCHEMAS, PROVIDER_TYPES } from './providers.js';
import { reason } from './reasons.js';
import {
  boolean,
  celRule,
  dateTime,
  enumOf,
  exactlyOneOf,
  generation,
  has,
  list,
  namedType,
  namespaceName,
  object,
  objectName,
  orList,
  secretDataKey,
  string,
  stringMap,
  tagTypeName,
  type Fields,
  type JSONSchemaProps,
  type ValidationRule,
} from './schema-builders.js';

export { ruleCheckOf, typeNameOf, type JSONSchemaProps, type ValidationRule } from './schema-builders.js';

/** Go-style duration as Kubernetes users write them: 1h, 30m, 1h30m, 45s, 500ms, 1.5h. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
/** A percentage of the interval ("10%") or a Go-style duration. */
export const JITTER_PATTERN = '^(([0-9]{1,3}(\\.[0-9]+)?%)|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$';
/** Five whitespace-separated cron fields; croner checks the fields themselves. */
export const CRON_PATTERN = '^[0-9A-Za-z*/,?#-]+( +[0-9A-Za-z*/,?#-]+){4}$';
const TIME_ZONE_PATTERN = '^[A-Za-z0-9_+/-]+$';

// ---------------------------------------------------------------------------------------------
// Shared pieces

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
// Providers: spec and status, one `spec.<type>` per entry of providers.ts

/** The spec fields that name a backend, in the order of the provider list. */
export const BACKENDS = PROVIDER_TYPES;

const providerSpecProperties = (): Record<string, JSONSchemaProps> =>
  Object.fromEntries(PROVIDER_SCHEMAS.map((provider) => [provider.type, provider.schema]));

const backendRule = (): ValidationRule =>
  exactlyOneOf(BACKENDS, `spec must set exactly one of ${orList(BACKENDS)}`);

/** "Vault/OpenBao, AWS Secrets Manager or Azure Key Vault", for the kinds' descriptions. */
const BACKEND_NAMES = orList(PROVIDER_SCHEMAS.map((provider) => provider.displayName));

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

export const ISSUE_METHODS = ['GET', 'POST'] as const;

const dynamicSecret = namedType(
  'DynamicSecret',
  'Credentials a secrets engine issues on request, usually under a lease (Vault/OpenBao: PKI certificates, database or RabbitMQ users, Kubernetes tokens). Every key of the response data is copied, as for path; the operator renews the lease and issues new credentials before the old ones expire (spec.lease).',
  (description) =>
    object(
      description,
      {
        path: remotePath(
          "The issuing endpoint: a Vault API path without /v1, e.g. pki/issue/web or database/creds/app. Not relative to the provider's KV mount.",
        ),
        method: enumOf(
          'The HTTP method of the request. Default: POST when parameters are set, else GET.',
          ISSUE_METHODS,
        ),
        parameters: stringMap(
          'Request parameters, e.g. common_name and ttl for pki/issue: the body of a POST, the query of a GET. Values are strings; Vault reads "true" and "30" as a boolean and a number where a field is one.',
        ),
      },
      { required: ['path'] },
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
        dynamic: dynamicSecret(
          'Credentials issued for this SecretSource (dynamic secrets): every key of what the engine returns is copied. Cannot be combined with data or with path or find entries.',
        ),
        rewrite: list('Rewrites applied to the keys in order.', rewrite('A rewrite.'), 16),
        decoding: decoding('How the values are decoded.'),
      },
      {
        'x-kubernetes-validations': [
          exactlyOneOf(
            ['path', 'find', 'dynamic'],
            'each dataFrom entry must set exactly one of path, find or dynamic',
          ),
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
        `Five-field cron schedule, e.g. "0 3 * * *". Instead of interval. A schedule that matches no date (e.g. "0 0 31 2 *") is refused: Ready=False, reason ${reason('InvalidSpec')}, nothing is read.`,
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

/** A percentage above 0 and below 100, e.g. "67%" or "66.7%". */
export const LEASE_FRACTION_PATTERN = '^[1-9][0-9]?(\\.[0-9]+)?%$';

const leasePolicy = namedType(
  'LeasePolicy',
  'How dynamic credentials (dataFrom[].dynamic) are kept current: when leases are renewed, and whether replaced credentials are revoked.',
  (description) =>
    object(description, {
      renewAt: string(
        'When a renewable lease is renewed, and non-renewable credentials (a certificate, a lease that reached its maximum lifetime) are replaced by new ones, as a percentage of the time they were granted for, e.g. 67%. Each time falls at random up to a tenth of that earlier, so SecretSources issued together do not all renew at once. Default: two thirds (66.7%).',
        { maxLength: 16, pattern: LEASE_FRACTION_PATTERN },
      ),
      revokeAfter: string(
        'Revoke the lease of replaced credentials this long (a Go duration, e.g. 30s) after the Secret holds their replacement, so consumers have time to pick the new ones up. Unset (the default): replaced credentials are left to expire at the end of their lease.',
        { maxLength: 64, pattern: DURATION_PATTERN },
      ),
    }),
);

/** Whether any dataFrom entry is dynamic (CEL and TypeScript). */
const HAS_DYNAMIC = 'has(self.dataFrom) && self.dataFrom.exists(e, has(e.dynamic))';
const hasDynamic = (self: Fields): boolean =>
  Array.isArray(self.dataFrom) && self.dataFrom.some((entry: Fields) => has(entry, 'dynamic'));

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

const integer = (description: string, minimum: number, maximum: number): JSONSchemaProps => ({
  description,
  type: 'integer',
  format: 'int32',
  minimum,
  maximum,
});

const passwordGenerator = namedType(
  'PasswordGenerator',
  'A random password: letters, digits and symbols from the CSPRNG, shuffled.',
  (description) =>
    object(
      description,
      {
        length: integer('Total characters.', 8, 256),
        digits: integer('At least this many digits. Default: 0.', 0, 256),
        symbols: integer('At least this many symbols. Default: 0.', 0, 256),
        symbolCharacters: string('The symbols to draw from. Default: ~!@#$%^&*()_+-={}[]:;<>,.?/', {
          minLength: 1,
          maxLength: 64,
        }),
        noUpper: boolean('No upper-case letters. Default: false.'),
      },
      { required: ['length'] },
    ),
);

const randomBytesGenerator = namedType(
  'RandomBytesGenerator',
  'Random bytes, stored as text.',
  (description) =>
    object(
      description,
      {
        length: integer('Bytes before encoding.', 16, 4096),
        encoding: enumOf('How the bytes are stored. Default: base64.', ['base64', 'base64url', 'hex']),
      },
      { required: ['length'] },
    ),
);

const keyPairGenerator = namedType(
  'KeyPairGenerator',
  'An asymmetric key pair: the private key as PKCS#8 PEM under the key, the public key under the key with .pub appended (Secret key and remote property alike).',
  (description) =>
    object(
      description,
      {
        algorithm: enumOf('Key type.', ['RSA', 'ECDSA', 'Ed25519']),
        bits: integer('RSA modulus size in bits. Default: 3072.', 2048, 4096),
        curve: enumOf('ECDSA curve. Default: P-256.', ['P-256', 'P-384', 'P-521']),
        publicKeyFormat: enumOf('The public key format. Default: PEM (SPKI).', ['PEM', 'OpenSSH']),
      },
      {
        required: ['algorithm'],
        'x-kubernetes-validations': [
          celRule<Fields>(
            "!has(self.bits) || self.algorithm == 'RSA'",
            'bits applies to RSA keys only',
            (self) => self['bits'] === undefined || self['algorithm'] === 'RSA',
          ),
          celRule<Fields>(
            "!has(self.curve) || self.algorithm == 'ECDSA'",
            'curve applies to ECDSA keys only',
            (self) => self['curve'] === undefined || self['algorithm'] === 'ECDSA',
          ),
        ],
      },
    ),
);

const generateItem = namedType(
  'SecretSourceGenerate',
  'A value the operator generates, writes to the backend, then syncs into the Secret: rotation at the source.',
  (description) =>
    object(
      description,
      {
        key: secretDataKey('Key in the target Secret.'),
        remoteRef: namedType('GenerateRemoteRef', 'Where the generated value is written.', (d) =>
          object(
            d,
            {
              path: remotePath('Path or name of the secret in the backend, e.g. payments/db.'),
              property: string(
                'Property of a JSON or key/value secret to write; other properties are kept. Empty writes the whole secret. Required for keyPair.',
                { maxLength: 1024 },
              ),
            },
            { required: ['path'] },
          ),
        )('Where the generated value is written.'),
        password: passwordGenerator('Generate a password.'),
        randomBytes: randomBytesGenerator('Generate random bytes.'),
        keyPair: keyPairGenerator('Generate a key pair.'),
      },
      {
        required: ['key', 'remoteRef'],
        'x-kubernetes-validations': [
          exactlyOneOf(
            ['password', 'randomBytes', 'keyPair'],
            'set exactly one of password, randomBytes or keyPair',
          ),
          celRule<Fields>(
            "!has(self.keyPair) || (has(self.remoteRef.property) && self.remoteRef.property != '')",
            'keyPair needs remoteRef.property (the public key goes to the property with .pub appended)',
            (self) =>
              self['keyPair'] === undefined ||
              Boolean((self['remoteRef'] as Fields | undefined)?.['property']),
          ),
        ],
      },
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
          `Sources of many keys at once. A key produced twice (by two entries, or by data and dataFrom) is an ${reason('InvalidSpec')} error unless duplicateKeys is LastWins.`,
          dataFromItem('A source.'),
          100,
        ),
        duplicateKeys: enumOf(
          `What a key produced by two entries does. Error (the default): an ${reason('InvalidSpec')} error naming both entries. LastWins: entries are applied in the order dataFrom[0], dataFrom[1], …, then data[0], data[1], … (within one dataFrom entry, remote keys in sorted order) and a later entry replaces an earlier one, so data overrides dataFrom (the order of External Secrets Operator).`,
          DUPLICATE_KEYS_POLICIES,
        ),
        generate: list(
          'Values the operator generates and writes to the backend (through the provider), then syncs into the Secret like data entries: rotation at the source. A new value is generated when the remote value does not exist yet, at each scheduled refresh, and on a force-sync; the Secret is written only once the backend holds the value. The provider must support writes (Vault/OpenBao KV, AWS Secrets Manager, Azure Key Vault).',
          generateItem('A generated value.'),
          16,
          { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['key'] },
        ),
        allowEmpty: boolean(
          `Accept an empty result. Default false: a dataFrom entry (path or find) that yields no keys, or a Secret that would hold no keys, is an ${reason('EmptyResult')} error and the existing Secret is kept as it is. true: such a result is written, even a Secret with no keys.`,
        ),
        target: secretTarget('The Secret to write. Default: an Opaque Secret named like the SecretSource.'),
        refresh: refresh(
          "When to fetch again. Default: every hour. Dynamic credentials are renewed and replaced on their leases' schedule instead (spec.lease); those without a lifetime (no lease, no expiration) are issued again at each refresh.",
        ),
        lease: leasePolicy(
          'How dynamic credentials are renewed, replaced and revoked. Applies only to dataFrom[].dynamic entries.',
        ),
        restartTargets: list(
          `Workloads to roll when the Secret content changes (not on the first sync, not on a refresh that finds nothing new): their pod template gets the annotation ${FINGERPRINT_ANNOTATION} with the new fingerprint, so the workload controller replaces the pods. A missing workload is a RestartTargetNotFound Warning, not a failed sync.`,
          restartTarget('A workload.'),
          32,
          { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['kind', 'name'] },
        ),
      },
      {
        required: ['providerRef'],
        'x-kubernetes-validations': [
          celRule<Fields>(
            '(has(self.data) && self.data.size() > 0) || (has(self.dataFrom) && self.dataFrom.size() > 0) || (has(self.generate) && self.generate.size() > 0)',
            'set at least one entry in data, dataFrom or generate',
            (self) =>
              (Array.isArray(self.data) && self.data.length > 0) ||
              (Array.isArray(self.dataFrom) && self.dataFrom.length > 0) ||
              (Array.isArray(self.generate) && self.generate.length > 0),
          ),
          celRule<Fields>(
            `!(${HAS_DYNAMIC}) || ((!has(self.data) || self.data.size() == 0) && self.dataFrom.all(e, has(e.dynamic)))`,
            'dataFrom entries with dynamic cannot be combined with data or with path or find entries: dynamic credentials are issued together and kept on their leases',
            (self) =>
              !hasDynamic(self) ||
              ((!Array.isArray(self.data) || self.data.length === 0) &&
                (self.dataFrom as Fields[]).every((entry) => has(entry, 'dynamic'))),
          ),
          celRule<Fields>(
            `!(${HAS_DYNAMIC}) || !has(self.refresh) || !has(self.refresh.policy) || self.refresh.policy == 'Periodic'`,
            "dynamic credentials need refresh.policy Periodic (the default): they are renewed and replaced on their leases' schedule",
            (self) =>
              !hasDynamic(self) ||
              (self.refresh as Fields | undefined)?.policy === undefined ||
              (self.refresh as Fields).policy === 'Periodic',
          ),
        ],
      },
    ),
)('What to fetch, where to write it and how often.');

/** Longest force-sync annotation value status.lastForceSync holds verbatim; longer ones as a digest. */
export const MAX_LAST_FORCE_SYNC_LENGTH = 1024;

const seconds = (description: string): JSONSchemaProps => ({
  description,
  type: 'integer',
  format: 'int64',
  minimum: 0,
});

const leaseStatus = namedType(
  'LeaseStatus',
  'The lease of one dataFrom[].dynamic entry, as the operator last recorded it: the lease, never the credentials.',
  (description) =>
    object(
      description,
      {
        entry: {
          description: 'The dataFrom entry (its index) the credentials were issued for.',
          type: 'integer',
          format: 'int32',
          minimum: 0,
        },
        path: remotePath('The path they were issued on.'),
        leaseId: string('The lease id; unset for credentials without a lease (e.g. a PKI certificate).', {
          maxLength: 2048,
        }),
        leaseDuration: seconds(
          'Seconds the credentials were last granted for, at issue or at the last renewal.',
        ),
        renewable: boolean(
          'Whether the lease is renewed; false for credentials without a renewable lease and once a renewal reached the maximum lifetime, after which they are replaced.',
        ),
        issueTime: dateTime('When the credentials were issued.'),
        renewTime: dateTime('When the lease was last renewed.'),
        expireTime: dateTime('When the credentials expire unless the lease is renewed.'),
      },
      { required: ['entry', 'path', 'renewable', 'issueTime', 'expireTime'] },
    ),
);

const replacedLease = namedType(
  'ReplacedLease',
  'The lease of replaced credentials, revoked at revokeTime (spec.lease.revokeAfter).',
  (description) =>
    object(
      description,
      {
        leaseId: string('The lease id.', { minLength: 1, maxLength: 2048 }),
        expireTime: dateTime('When the lease expires anyway; it is not revoked after that.'),
        revokeTime: dateTime('When the operator revokes it.'),
      },
      { required: ['leaseId', 'expireTime', 'revokeTime'] },
    ),
);

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
        'The next refresh the status will record (a checkpoint): the next refresh for intervals of an hour or more, otherwise one refresh an hour; for dynamic credentials, the next renewal or replacement of their leases. Never in the past while the SecretSource is Ready.',
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
      leases: list(
        'The leases of the dynamic credentials the Secret holds, one per dataFrom[].dynamic entry with a lifetime: what the operator renews and replaces, also after a restart or a leader change. Never the credentials themselves.',
        leaseStatus('A lease.'),
        100,
      ),
      replacedLeases: list(
        'Leases of replaced dynamic credentials waiting to be revoked (spec.lease.revokeAfter).',
        replacedLease('A replaced lease.'),
        100,
      ),
      lastForceSync: string(
        `The value of the ${FORCE_SYNC_ANNOTATION} annotation the last sync answered; a new value syncs now. A value longer than ${MAX_LAST_FORCE_SYNC_LENGTH} characters is recorded as "sha256:" and the hex SHA-256 of the value.`,
        { maxLength: MAX_LAST_FORCE_SYNC_LENGTH },
      ),
    }),
)('The observed state of a SecretSource, written by the operator.');

// ---------------------------------------------------------------------------------------------
// Whole objects

export { API_VERSION, GROUP, VERSION, type Kind } from './names.js';

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
    description: `A connection to ${BACKEND_NAMES} for its own namespace.`,
    namespaced: true,
    spec: secretProviderSpecSchema,
    status: providerStatusSchema,
  },
  ClusterSecretProvider: {
    description: `A connection to ${BACKEND_NAMES} for the namespaces its conditions allow.`,
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
    tagTypeName(schema, { name: kind, canonical });
    tagTypeName(canonical, { name: kind, canonical });
  }
  return schema;
}
