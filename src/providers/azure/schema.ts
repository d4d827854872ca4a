// spec.azure of a SecretProvider / ClusterSecretProvider: its piece of the v1alpha1 JSON schema, from
// which the CRDs, the generated AzureProvider type and the edge validation (parse.ts) are built.
import {
  audiences,
  celRule,
  exactlyOneOf,
  has,
  namedType,
  object,
  secretKeyRef,
  serviceAccountRef,
  string,
  type Fields,
  type JSONSchemaProps,
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

/** The `spec.azure` schema. */
export const azureSpecSchema: JSONSchemaProps = azureProvider('Connect to Azure Key Vault.');
