import { refusal, validatedSpec } from '../testing/validated-spec.js';
import type { ProviderIdentity } from '../types.js';
import { awsReferencesDefaultNamespace, defaultSessionName, parseAwsSpec } from './spec.js';

const provider: ProviderIdentity = { kind: 'ClusterSecretProvider', name: 'aws-prod' };
const subject = { provider: 'ClusterSecretProvider aws-prod' };
/** As the controller does it: the schema first (parse.ts), then the provider's own rules. */
const parse = (raw: unknown) => parseAwsSpec(validatedSpec('aws', raw, 'aws-prod'), provider, subject);

describe('parseAwsSpec', () => {
  test('region alone uses the default chain and a session name derived from the provider', () => {
    expect(parse({ region: 'eu-west-1' })).toEqual({
      region: 'eu-west-1',
      sessionName: 'secretsource-aws-prod',
      auth: { method: 'defaultChain' },
    });
  });

  test('empty strings mean unset, as in GitOps manifests', () => {
    const settings = parse({ region: 'eu-west-1', endpoint: '', role: '', externalId: '', sessionName: '' });
    expect(settings.endpoint).toBeUndefined();
    expect(settings.role).toBeUndefined();
    expect(parse({ region: 'eu-west-1', auth: {} }).auth).toEqual({ method: 'defaultChain' });
  });

  test('secretRef keeps the keys and the optional namespace and session token key', () => {
    const settings = parse({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:4566/',
      auth: {
        secretRef: {
          name: 'aws-creds',
          accessKeyIdKey: 'id',
          secretAccessKeyKey: 'secret',
          sessionTokenKey: 'token',
        },
      },
    });
    expect(settings.endpoint).toBe('http://127.0.0.1:4566');
    expect(settings.auth).toEqual({
      method: 'secretRef',
      secretRef: {
        name: 'aws-creds',
        accessKeyIdKey: 'id',
        secretAccessKeyKey: 'secret',
        sessionTokenKey: 'token',
      },
    });
    expect(awsReferencesDefaultNamespace(settings)).toBe(true);
  });

  test('webIdentity defaults the audience to sts.amazonaws.com; role, externalId and session name', () => {
    const settings = parse({
      region: 'eu-central-1',
      role: 'arn:aws:iam::123456789012:role/path/reader',
      externalId: 'ext-1234',
      sessionName: 'payments@cluster-1',
      auth: {
        webIdentity: {
          serviceAccountRef: { name: 'payments', namespace: 'payments' },
          roleArn: 'arn:aws:iam::123456789012:role/web',
        },
      },
    });
    expect(settings).toEqual({
      region: 'eu-central-1',
      sessionName: 'payments@cluster-1',
      role: { arn: 'arn:aws:iam::123456789012:role/path/reader', externalId: 'ext-1234' },
      auth: {
        method: 'webIdentity',
        serviceAccountRef: { name: 'payments', namespace: 'payments' },
        roleArn: 'arn:aws:iam::123456789012:role/web',
        audiences: ['sts.amazonaws.com'],
      },
    });
    expect(awsReferencesDefaultNamespace(settings)).toBe(false);
  });

  test.each([
    [{}, /spec.aws.region: required/],
    [{ region: 'EU West' }, /region/],
    [{ region: 'eu-west-1', endpoint: 'ftp://x' }, /endpoint must be an http/],
    [{ region: 'eu-west-1', endpoint: 'https://u:p@host' }, /credentials/],
    [{ region: 'eu-west-1', role: 'admin' }, /role must be an IAM role ARN/],
    [{ region: 'eu-west-1', externalId: 'abc' }, /externalId is only used with role/],
    [{ region: 'eu-west-1', sessionName: 'has space' }, /sessionName/],
    [
      { region: 'eu-west-1', auth: { secretRef: { name: 'x', accessKeyIdKey: 'a' } } },
      /secretAccessKeyKey: required/,
    ],
    [
      {
        region: 'eu-west-1',
        auth: {
          secretRef: { name: 'x', accessKeyIdKey: 'a', secretAccessKeyKey: 'b' },
          webIdentity: { serviceAccountRef: { name: 'sa' }, roleArn: 'arn:aws:iam::123456789012:role/r' },
        },
      },
      /at most one/,
    ],
    [
      { region: 'eu-west-1', auth: { webIdentity: { serviceAccountRef: { name: 'sa' }, roleArn: 'nope' } } },
      /roleArn must be an IAM role ARN/,
    ],
    [
      {
        region: 'eu-west-1',
        auth: {
          webIdentity: {
            serviceAccountRef: { name: 'sa' },
            roleArn: 'arn:aws:iam::123456789012:role/r',
            audiences: [''],
          },
        },
      },
      /audiences/,
    ],
    ['aws', /spec.aws: must be object/],
  ])('rejects %j', (raw, message) => {
    const refused = refusal(() => parse(raw));
    expect(refused.reason).toBe('InvalidSpec');
    expect(refused.message).toMatch(message);
  });

  test('the default session name only uses characters STS accepts and at most 64 of them', () => {
    const name = defaultSessionName({ kind: 'SecretProvider', name: `a${'b'.repeat(80)}`, namespace: 'n' });
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(defaultSessionName({ kind: 'SecretProvider', name: 'x:y', namespace: 'n' })).toBe(
      'secretsource-x-y',
    );
  });
});
