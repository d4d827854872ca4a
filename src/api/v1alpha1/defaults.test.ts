import { resolveSecretSourceSpec, resolveVaultSpec } from './defaults.js';
import type { SecretSource, VaultProvider } from './types.generated.js';

const source = (spec: Partial<SecretSource['spec']> = {}): SecretSource => ({
  apiVersion: 'secretsource.dev/v1alpha1',
  kind: 'SecretSource',
  metadata: { name: 'db', namespace: 'payments' },
  spec: { providerRef: { kind: 'SecretProvider', name: 'vault' }, ...spec },
});

describe('resolveSecretSourceSpec', () => {
  it('fills every default', () => {
    const resolved = resolveSecretSourceSpec(source({ data: [{ key: 'k', remoteRef: { path: 'p' } }] }));
    expect(resolved).toEqual({
      providerRef: { kind: 'SecretProvider', name: 'vault' },
      data: [{ key: 'k', remoteRef: { path: 'p' }, decoding: 'None' }],
      dataFrom: [],
      target: {
        name: 'db',
        type: 'Opaque',
        creationPolicy: 'Owner',
        deletionPolicy: 'Retain',
        immutable: false,
        labels: {},
        annotations: {},
      },
      refresh: { policy: 'Periodic', interval: '1h' },
      restartTargets: [],
    });
  });

  it('keeps what the user wrote', () => {
    const resolved = resolveSecretSourceSpec(
      source({
        dataFrom: [
          { path: 'a', decoding: 'Auto' },
          { find: { name: { regexp: '^db-' } }, rewrite: [{ regexp: { source: '^db-', target: '' } }] },
        ],
        target: {
          name: 'db-credentials',
          type: 'kubernetes.io/basic-auth',
          creationPolicy: 'Merge',
          deletionPolicy: 'Delete',
          immutable: true,
          labels: { a: 'b' },
          template: { data: { url: 'postgres://{{ .user }}@db' } },
        },
        refresh: { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', jitter: '10%', policy: 'OnChange' },
        restartTargets: [{ kind: 'Deployment', name: 'api' }],
      }),
    );
    expect(resolved.dataFrom).toEqual([
      { path: 'a', decoding: 'Auto', rewrite: [] },
      {
        find: { name: { regexp: '^db-' } },
        decoding: 'None',
        rewrite: [{ regexp: { source: '^db-', target: '' } }],
      },
    ]);
    expect(resolved.target).toEqual({
      name: 'db-credentials',
      type: 'kubernetes.io/basic-auth',
      creationPolicy: 'Merge',
      deletionPolicy: 'Delete',
      immutable: true,
      labels: { a: 'b' },
      annotations: {},
      template: { data: { url: 'postgres://{{ .user }}@db' } },
    });
    // A schedule replaces the default interval.
    expect(resolved.refresh).toEqual({
      schedule: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      jitter: '10%',
      policy: 'OnChange',
    });
    expect(resolved.restartTargets).toEqual([{ kind: 'Deployment', name: 'api' }]);
  });

  it('reads empty strings as unset', () => {
    const resolved = resolveSecretSourceSpec(source({ target: { name: '' }, refresh: { jitter: '' } }));
    expect(resolved.target.name).toBe('db');
    expect(resolved.refresh).toEqual({ policy: 'Periodic', interval: '1h' });
  });

  it('is frozen and independent of its input', () => {
    const input = source({ data: [{ key: 'k', remoteRef: { path: 'p' } }] });
    const resolved = resolveSecretSourceSpec(input);
    input.spec.data![0]!.key = 'changed';
    expect(resolved.data[0]!.key).toBe('k');
    expect(Object.isFrozen(resolved.data[0]!.remoteRef)).toBe(true);
    expect(input.spec.target).toBeUndefined();
  });
});

describe('resolveVaultSpec', () => {
  const vault = (extra: Partial<VaultProvider>): VaultProvider => ({
    server: 'https://vault:8200',
    auth: { token: { secretRef: { name: 't', key: 'token' } } },
    ...extra,
  });

  it('defaults the KV mount and version and drops empty optionals', () => {
    expect(resolveVaultSpec(vault({ namespace: '', caBundle: '' }))).toEqual({
      server: 'https://vault:8200',
      path: 'secret',
      version: 'v2',
      auth: { method: 'token', secretRef: { name: 't', key: 'token' } },
    });
  });

  it('keeps what the user wrote', () => {
    expect(
      resolveVaultSpec(
        vault({ path: 'kv', version: 'v1', namespace: 'team-a', caRef: { name: 'ca', key: 'ca.crt' } }),
      ),
    ).toMatchObject({ path: 'kv', version: 'v1', namespace: 'team-a', caRef: { name: 'ca', key: 'ca.crt' } });
  });

  it('defaults the kubernetes auth mount and audiences', () => {
    expect(
      resolveVaultSpec(
        vault({ auth: { kubernetes: { role: 'app', serviceAccountRef: { name: 'default' } } } }),
      ).auth,
    ).toEqual({
      method: 'kubernetes',
      mountPath: 'kubernetes',
      role: 'app',
      serviceAccountRef: { name: 'default' },
      audiences: [],
    });
    expect(
      resolveVaultSpec(
        vault({
          auth: {
            kubernetes: {
              mountPath: 'k8s-prod',
              role: 'app',
              serviceAccountRef: { name: 'x' },
              audiences: ['vault'],
            },
          },
        }),
      ).auth,
    ).toMatchObject({ mountPath: 'k8s-prod', audiences: ['vault'] });
  });

  it('defaults the AppRole mount', () => {
    expect(
      resolveVaultSpec(vault({ auth: { appRole: { roleId: 'r', secretRef: { name: 's', key: 'id' } } } }))
        .auth,
    ).toEqual({
      method: 'appRole',
      path: 'approle',
      roleId: 'r',
      secretRef: { name: 's', key: 'id' },
    });
  });

  it('refuses an auth with no method', () => {
    expect(() => resolveVaultSpec(vault({ auth: {} }))).toThrow('spec.vault.auth sets no method');
  });
});
