// spec.aws of a SecretProvider / ClusterSecretProvider: its piece of the v1alpha1 JSON schema, from
// which the CRDs, the generated AwsProvider type and the edge validation (parse.ts) are built.
import {
  atMostOneOf,
  audiences,
  celRule,
  has,
  namedType,
  namespaceName,
  NAMESPACE_RULE,
  object,
  objectName,
  secretDataKey,
  serviceAccountRef,
  string,
  type Fields,
  type OperatorIdentity,
  type ProviderSchema,
  type ValidationRule,
} from '../../api/v1alpha1/schema-builders.js';

// The forms IAM and STS accept. The CEL rules match with the literals' source, which RE2 reads as
// JavaScript does here. RE2 repeats at most 1000 times: an external ID's 1224 is its maxLength.
const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[A-Za-z0-9_+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[A-Za-z0-9_+=,.@:/-]{2,}$/;
const SESSION_NAME = /^[A-Za-z0-9_+=,.@-]{2,64}$/;

/**
 * A CEL rule: the string field matches `pattern`. An optional field may also be absent or empty
 * (empty means "not set" in this API).
 */
function fieldMatches(field: string, pattern: RegExp, message: string, optional: boolean): ValidationRule {
  // A raw CEL string, so the pattern's backslashes reach RE2 as they are.
  const matches = `self.${field}.matches(r'${pattern.source}')`;
  return celRule<Fields>(
    optional ? `!has(self.${field}) || size(self.${field}) == 0 || ${matches}` : matches,
    message,
    (self) => {
      const value = self[field];
      return typeof value !== 'string' || (optional && value === '') || pattern.test(value);
    },
    `.${field}`,
  );
}

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
      {
        required: ['serviceAccountRef', 'roleArn'],
        'x-kubernetes-validations': [
          fieldMatches('roleArn', ROLE_ARN, 'roleArn must be an IAM role ARN', false),
        ],
      },
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
    {
      required: ['region'],
      'x-kubernetes-validations': [
        fieldMatches('role', ROLE_ARN, 'role must be an IAM role ARN', true),
        fieldMatches(
          'externalId',
          EXTERNAL_ID,
          'externalId must be 2-1224 characters of [\\w+=,.@:/-]',
          true,
        ),
        fieldMatches('sessionName', SESSION_NAME, 'sessionName must be 2-64 characters of [\\w+=,.@-]', true),
        celRule<Fields>(
          '!has(self.externalId) || size(self.externalId) == 0 || (has(self.role) && size(self.role) > 0)',
          'externalId is only used with role',
          (self) =>
            !has(self, 'externalId') || self.externalId === '' || (has(self, 'role') && self.role !== ''),
          '.externalId',
        ),
      ],
    },
  ),
);

/** Without auth, or with an empty one, the SDK's default chain: the operator's own AWS identity. */
export const awsOperatorIdentity: OperatorIdentity = {
  when: (spec) => `!has(${spec}.auth) || !(has(${spec}.auth.secretRef) || has(${spec}.auth.webIdentity))`,
  message:
    "spec.aws without auth is the AWS SDK's default chain, the operator's own identity: only a " +
    'ClusterSecretProvider may use it; set spec.aws.auth.secretRef or spec.aws.auth.webIdentity',
};

/** spec.aws: the provider's piece of the API, listed in src/api/v1alpha1/providers.ts. */
export const awsSchema: ProviderSchema<'aws'> = {
  type: 'aws',
  displayName: 'AWS Secrets Manager',
  schema: awsProvider('Connect to AWS Secrets Manager.'),
  referenceSamples: [
    {
      region: 'eu-west-1',
      auth: { secretRef: { name: 'aws', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' } },
    },
    {
      region: 'eu-west-1',
      auth: {
        webIdentity: { serviceAccountRef: { name: 'app' }, roleArn: 'arn:aws:iam::123456789012:role/app' },
      },
    },
  ],
  operatorIdentity: awsOperatorIdentity,
};
