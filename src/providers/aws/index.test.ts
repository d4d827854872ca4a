import { FakeClock } from '../../kube/clock.js';
import { scopeCredentials, type CredentialSource } from '../credentials.js';
import { ProviderNotAllowedError } from '../errors.js';
import { silentLogger, type ProviderIdentity } from '../types.js';
import { awsProviderFactory } from './index.js';

const namespaced: ProviderIdentity = { kind: 'SecretProvider', name: 'aws', namespace: 'payments' };
const cluster: ProviderIdentity = { kind: 'ClusterSecretProvider', name: 'aws' };
const secretRef = { name: 'aws-creds', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' };
const noCredentials: CredentialSource = {
  secretKey: () => Promise.reject(new Error('not used')),
  serviceAccountToken: () => Promise.reject(new Error('not used')),
};

describe('awsProviderFactory', () => {
  test('the default chain (the operator identity) is for ClusterSecretProviders only', () => {
    const factory = awsProviderFactory();
    expect(factory.type).toBe('aws');
    expect(() => factory.prepare({ region: 'eu-west-1' }, namespaced)).toThrow(ProviderNotAllowedError);
    expect(() => factory.prepare({ region: 'eu-west-1' }, namespaced)).toThrow(
      "SecretProvider payments/aws: spec.aws without auth is the AWS SDK's default chain, the operator's own identity: only a ClusterSecretProvider may use it; set spec.aws.auth.secretRef or spec.aws.auth.webIdentity",
    );
    expect(() => factory.prepare({ region: 'eu-west-1', auth: {} }, namespaced)).toThrow(
      ProviderNotAllowedError,
    );
    expect(() =>
      factory.prepare({ region: 'eu-west-1', role: 'arn:aws:iam::123456789012:role/r' }, namespaced),
    ).toThrow(ProviderNotAllowedError);
    expect(factory.prepare({ region: 'eu-west-1' }, cluster).referencesDefaultNamespace).toBe(false);
    expect(factory.prepare({ region: 'eu-west-1', auth: { secretRef } }, namespaced)).toBeDefined();
  });

  test('a ClusterSecretProvider whose Secret has no namespace needs one client per SecretSource namespace', () => {
    expect(
      awsProviderFactory().prepare({ region: 'eu-west-1', auth: { secretRef } }, cluster)
        .referencesDefaultNamespace,
    ).toBe(true);
  });

  test('create makes no call and offers every capability', async () => {
    const calls: string[] = [];
    const prepared = awsProviderFactory().prepare({ region: 'eu-west-1', auth: { secretRef } }, namespaced);
    const client = await prepared.create({
      provider: namespaced,
      credentials: scopeCredentials(noCredentials, { provider: namespaced }),
      clock: new FakeClock(),
      logger: silentLogger,
      onCall: (_type, operation) => calls.push(operation),
      signal: new AbortController().signal,
    });
    expect(typeof client.getMany).toBe('function');
    expect(typeof client.find).toBe('function');
    expect(typeof client.write).toBe('function');
    await client.close();
    await client.close();
    expect(calls).toEqual([]);
  });
});
