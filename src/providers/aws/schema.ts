// spec.aws of a SecretProvider / ClusterSecretProvider: its piece of the v1alpha1 JSON schema, from
// which the CRDs, the generated AwsProvider type and the edge validation (parse.ts) are built.
import {
  atMostOneOf,
  audiences,
  namedType,
  namespaceName,
  NAMESPACE_RULE,
  object,
  objectName,
  secretDataKey,
  serviceAccountRef,
  string,
  type JSONSchemaProps,
} from '../../api/v1alpha1/schema-builders.js';

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

/** The `spec.aws` schema. */
export const awsSpecSchema: JSONSchemaProps = awsProvider('Connect to AWS Secrets Manager.');
