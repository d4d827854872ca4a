import { ApiException } from '@kubernetes/client-node';
import {
  KubernetesCredentialSource,
  resolveCredentialNamespace,
  scopeCredentials,
  type CoreV1CredentialApi,
  type CredentialSource,
} from './credentials.js';
import {
  CredentialsUnavailableError,
  InvalidSpecError,
  ProviderNotAllowedError,
  UnauthorizedError,
  UnavailableError,
} from './errors.js';

describe('resolveCredentialNamespace', () => {
  test('a SecretProvider reads from its own namespace', () => {
    expect(
      resolveCredentialNamespace({
        providerKind: 'SecretProvider',
        providerNamespace: 'payments',
        consumerNamespace: 'payments',
      }),
    ).toBe('payments');
    expect(
      resolveCredentialNamespace({
        providerKind: 'SecretProvider',
        providerNamespace: 'payments',
        refNamespace: 'payments',
      }),
    ).toBe('payments');
  });

  test('a SecretProvider may not name another namespace', () => {
    expect(() =>
      resolveCredentialNamespace({
        providerKind: 'SecretProvider',
        providerNamespace: 'payments',
        refNamespace: 'kube-system',
        consumerNamespace: 'payments',
        what: 'Secret vault-token',
      }),
    ).toThrow(ProviderNotAllowedError);
  });

  test('a ClusterSecretProvider uses the ref namespace, else the SecretSource namespace', () => {
    expect(
      resolveCredentialNamespace({
        providerKind: 'ClusterSecretProvider',
        refNamespace: 'secretsource-system',
        consumerNamespace: 'team-a',
      }),
    ).toBe('secretsource-system');
    expect(
      resolveCredentialNamespace({ providerKind: 'ClusterSecretProvider', consumerNamespace: 'team-a' }),
    ).toBe('team-a');
    expect(
      resolveCredentialNamespace({
        providerKind: 'ClusterSecretProvider',
        refNamespace: '',
        consumerNamespace: 'team-a',
      }),
    ).toBe('team-a');
  });

  test('without a namespace to default to, an unqualified ref is refused', () => {
    expect(() => resolveCredentialNamespace({ providerKind: 'ClusterSecretProvider' })).toThrow(
      InvalidSpecError,
    );
    expect(() => resolveCredentialNamespace({ providerKind: 'SecretProvider' })).toThrow(InvalidSpecError);
  });
});

describe('scopeCredentials', () => {
  const calls: string[] = [];
  const source: CredentialSource = {
    secretKey: (ref) => {
      calls.push(`secret ${ref.namespace}/${ref.name}/${ref.key}`);
      return Promise.resolve({ value: Buffer.from('v'), resourceVersion: '1' });
    },
    serviceAccountToken: (ref, audiences, seconds) => {
      calls.push(`sa ${ref.namespace}/${ref.name} ${audiences.join(',')} ${seconds}`);
      return Promise.resolve({ token: 't', expiresAt: new Date(0) });
    },
  };
  const signal = new AbortController().signal;

  beforeEach(() => (calls.length = 0));

  test('applies the rule to every call', async () => {
    const scoped = scopeCredentials(source, {
      provider: { kind: 'SecretProvider', name: 'vault', namespace: 'payments' },
      consumerNamespace: 'payments',
    });
    await scoped.secretKey({ name: 'token', key: 'value' }, signal);
    await scoped.serviceAccountToken({ name: 'app' }, ['vault'], 600, signal);
    await expect(
      scoped.secretKey({ name: 'token', key: 'value', namespace: 'other' }, signal),
    ).rejects.toThrow(ProviderNotAllowedError);
    await expect(
      scoped.serviceAccountToken({ name: 'app', namespace: 'other' }, [], 600, signal),
    ).rejects.toThrow(ProviderNotAllowedError);
    expect(calls).toEqual(['secret payments/token/value', 'sa payments/app vault 600']);
  });

  test('a cluster provider defaults to the consumer namespace', async () => {
    const scoped = scopeCredentials(source, {
      provider: { kind: 'ClusterSecretProvider', name: 'vault' },
      consumerNamespace: 'team-a',
    });
    await scoped.secretKey({ name: 'token', key: 'value' }, signal);
    await scoped.secretKey({ name: 'token', key: 'value', namespace: 'shared' }, signal);
    expect(calls).toEqual(['secret team-a/token/value', 'secret shared/token/value']);
  });
});

describe('KubernetesCredentialSource', () => {
  const signal = new AbortController().signal;

  function fakeCore(overrides: Partial<CoreV1CredentialApi>): CoreV1CredentialApi {
    return {
      readNamespacedSecret: () => Promise.reject(new Error('unexpected')),
      createNamespacedServiceAccountToken: () => Promise.reject(new Error('unexpected')),
      ...overrides,
    } as CoreV1CredentialApi;
  }

  test('reads one key of a Secret with its resourceVersion', async () => {
    const requests: unknown[] = [];
    const source = new KubernetesCredentialSource(
      fakeCore({
        readNamespacedSecret: ((param: unknown) => {
          requests.push(param);
          return Promise.resolve({
            metadata: { resourceVersion: '42' },
            data: { token: Buffer.from('s3cret').toString('base64') },
          });
        }) as CoreV1CredentialApi['readNamespacedSecret'],
      }),
    );
    const got = await source.secretKey({ namespace: 'ns', name: 'vault', key: 'token' }, signal);
    expect(got.value.toString()).toBe('s3cret');
    expect(got.resourceVersion).toBe('42');
    expect(requests).toEqual([{ name: 'vault', namespace: 'ns' }]);
  });

  test('a missing key, a missing Secret, RBAC and API failures are typed', async () => {
    const answer = (result: Promise<unknown>) =>
      new KubernetesCredentialSource(
        fakeCore({ readNamespacedSecret: (() => result) as CoreV1CredentialApi['readNamespacedSecret'] }),
      );
    const ref = { namespace: 'ns', name: 'vault', key: 'token' };
    await expect(answer(Promise.resolve({ data: {} })).secretKey(ref, signal)).rejects.toThrow(
      CredentialsUnavailableError,
    );
    const notFound = new ApiException(404, 'not found', { message: 'secret body' }, {});
    await expect(answer(Promise.reject(notFound)).secretKey(ref, signal)).rejects.toThrow(
      CredentialsUnavailableError,
    );
    const forbidden = new ApiException(403, 'forbidden', {}, {});
    await expect(answer(Promise.reject(forbidden)).secretKey(ref, signal)).rejects.toThrow(UnauthorizedError);
    const failed = new ApiException(500, 'boom', {}, {});
    await expect(answer(Promise.reject(failed)).secretKey(ref, signal)).rejects.toThrow(UnavailableError);
    await expect(
      answer(Promise.reject(new TypeError('fetch failed'))).secretKey(ref, signal),
    ).rejects.toThrow(UnavailableError);
  });

  test('requests a ServiceAccount token with audiences and lifetime', async () => {
    const requests: unknown[] = [];
    const source = new KubernetesCredentialSource(
      fakeCore({
        createNamespacedServiceAccountToken: ((param: unknown) => {
          requests.push(param);
          return Promise.resolve({
            spec: { audiences: ['vault'] },
            status: { token: 'jwt', expirationTimestamp: new Date('2030-01-01T00:00:00Z') },
          });
        }) as CoreV1CredentialApi['createNamespacedServiceAccountToken'],
      }),
    );
    const got = await source.serviceAccountToken({ namespace: 'ns', name: 'app' }, ['vault'], 600, signal);
    expect(got).toEqual({ token: 'jwt', expiresAt: new Date('2030-01-01T00:00:00Z') });
    expect(requests).toEqual([
      { name: 'app', namespace: 'ns', body: { spec: { audiences: ['vault'], expirationSeconds: 600 } } },
    ]);
  });

  test('an aborted call rejects with the abort reason', async () => {
    const controller = new AbortController();
    const source = new KubernetesCredentialSource(
      fakeCore({
        readNamespacedSecret: (() => {
          controller.abort(new Error('stop'));
          return Promise.reject(new Error('aborted fetch'));
        }) as CoreV1CredentialApi['readNamespacedSecret'],
      }),
    );
    await expect(
      source.secretKey({ namespace: 'ns', name: 'x', key: 'k' }, controller.signal),
    ).rejects.toThrow('stop');
  });
});
