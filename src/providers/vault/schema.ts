// spec.vault of a SecretProvider / ClusterSecretProvider: its piece of the v1alpha1 JSON schema, from
// which the CRDs, the generated VaultProvider type and the edge validation (parse.ts) are built.
import {
  celRule,
  enumOf,
  exactlyOneOf,
  has,
  namedType,
  object,
  secretKeyRef,
  serviceAccountRef,
  string,
  audiences,
  type Fields,
  type ProviderSchema,
} from '../../api/v1alpha1/schema-builders.js';

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

/** A server for the samples: .example names never resolve (RFC 2606). */
const SERVER = 'https://vault.example:8200';

/** spec.vault: the provider's piece of the API, listed in src/api/v1alpha1/providers.ts. */
export const vaultSchema: ProviderSchema<'vault'> = {
  type: 'vault',
  displayName: 'Vault/OpenBao',
  schema: vaultProvider('Connect to HashiCorp Vault or OpenBao.'),
  referenceSamples: [
    { server: SERVER, auth: { token: { secretRef: { name: 'vault-token', key: 'token' } } } },
    {
      server: SERVER,
      caRef: { name: 'ca', key: 'ca.crt' },
      auth: { token: { secretRef: { name: 'vault-token', key: 'token' } } },
    },
    { server: SERVER, auth: { kubernetes: { role: 'app', serviceAccountRef: { name: 'app' } } } },
    { server: SERVER, auth: { appRole: { roleId: 'role', secretRef: { name: 'approle', key: 'id' } } } },
  ],
};
