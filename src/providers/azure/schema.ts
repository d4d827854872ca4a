// spec.azure of a SecretProvider / ClusterSecretProvider: its piece of the v1alpha1 JSON schema, from
// which the CRDs, the generated AzureProvider type and the edge validation (parse.ts) are built.
import {
  audiences,
  celRule,
  enumOf,
  exactlyOneOf,
  has,
  namedType,
  object,
  secretKeyRef,
  serviceAccountRef,
  string,
  type Fields,
  type OperatorIdentity,
  type ProviderSchema,
} from '../../api/v1alpha1/schema-builders.js';

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
          'The Secret key holding the PEM client certificate and its unencrypted private key (ClientCertificateCredential).',
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
  'Authenticate with Entra Workload ID: a TokenRequest token of the ServiceAccount, presented to Entra ID as the client assertion of the application (ClientAssertionCredential).',
  (description) =>
    object(
      description,
      {
        clientId: string('Application (client) ID the ServiceAccount is federated with.', {
          minLength: 1,
          maxLength: 256,
        }),
        serviceAccountRef: serviceAccountRef(
          'The ServiceAccount whose token is exchanged; the application needs a federated credential for it.',
        ),
        audiences: audiences(
          'Audiences of the requested ServiceAccount token. Default: api://AzureADTokenExchange.',
        ),
      },
      { required: ['clientId', 'serviceAccountRef'] },
    ),
);

const azureManagedIdentityAuth = namedType(
  'AzureManagedIdentityAuth',
  "Authenticate with the managed identity of the machine the operator runs on (ManagedIdentityCredential). Only a ClusterSecretProvider may use it: it is the operator's own identity.",
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
        pattern: '^https://[^\\s]+$',
      }),
      tenantId: string(
        'Entra ID tenant (directory) ID. Required for servicePrincipal and workloadIdentity; with managedIdentity optional. When set, a vault whose authentication challenge names another tenant is refused (AuthFailed).',
        {
          minLength: 1,
          maxLength: 256,
        },
      ),
      authorityHost: string(
        "Entra ID authority host, e.g. https://login.microsoftonline.us (Azure Government) or the one of an Azure Stack or private cloud. Default: https://login.microsoftonline.com. A host other than the public, US Government and China clouds' turns off instance discovery (disableInstanceDiscovery).",
        { maxLength: 2048, pattern: '^$|^https://[^\\s]+$' },
      ),
      caBundle: string(
        "PEM bundle of the CAs the vault's and Entra ID's server certificates must chain to; it replaces the system CAs for both connections. Empty means the system CAs.",
      ),
      versionValidity: enumOf(
        'What to do with a secret version outside its validity window (expires in the past, or notBefore in the future), which Key Vault still returns. Warn (default) syncs it, with a Warning Event and a note in the Ready condition; Refuse fails the read (InvalidRef) and keeps the Secret as it is.',
        ['Warn', 'Refuse'],
      ),
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

/** managedIdentity: the identity of the machine the operator runs on. */
export const azureOperatorIdentity: OperatorIdentity = {
  when: (spec) => `has(${spec}.auth) && has(${spec}.auth.managedIdentity)`,
  message:
    "spec.azure.auth.managedIdentity is the operator's own Azure identity: only a ClusterSecretProvider " +
    'may use it; use servicePrincipal or workloadIdentity',
};

/** A vault and a tenant for the samples. */
const SAMPLE = {
  vaultUrl: 'https://payments.vault.azure.net',
  tenantId: '00000000-0000-0000-0000-000000000001',
};

/** spec.azure: the provider's piece of the API, listed in src/api/v1alpha1/providers.ts. */
export const azureSchema: ProviderSchema<'azure'> = {
  type: 'azure',
  displayName: 'Azure Key Vault',
  schema: azureProvider('Connect to Azure Key Vault.'),
  referenceSamples: [
    {
      ...SAMPLE,
      auth: { servicePrincipal: { clientId: 'app', secretRef: { name: 'azure', key: 'secret' } } },
    },
    {
      ...SAMPLE,
      auth: { servicePrincipal: { clientId: 'app', certificateRef: { name: 'azure', key: 'cert.pem' } } },
    },
    { ...SAMPLE, auth: { workloadIdentity: { clientId: 'app', serviceAccountRef: { name: 'app' } } } },
  ],
  operatorIdentity: azureOperatorIdentity,
};
