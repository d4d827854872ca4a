import { resolveSecretSourceSpec } from './defaults.js';
import type { SecretSource } from './types.generated.js';

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
      duplicateKeys: 'Error',
      allowEmpty: false,
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
      lease: { renewFraction: 2 / 3 },
      restartTargets: [],
      generate: [],
    });
  });

  it('resolves dynamic entries and the lease policy', () => {
    const resolved = resolveSecretSourceSpec(
      source({
        dataFrom: [
          { dynamic: { path: 'rabbitmq/creds/app' } },
          { dynamic: { path: 'pki/issue/web', parameters: { common_name: 'web.example' } } },
          { dynamic: { path: 'kubernetes/creds/app', method: 'GET', parameters: { ttl: '10m' } } },
        ],
        lease: { renewAt: '80%', revokeAfter: '30s' },
      }),
    );
    expect(resolved.dataFrom.map((entry) => entry.dynamic)).toEqual([
      { path: 'rabbitmq/creds/app', method: 'GET', parameters: {} },
      { path: 'pki/issue/web', method: 'POST', parameters: { common_name: 'web.example' } },
      { path: 'kubernetes/creds/app', method: 'GET', parameters: { ttl: '10m' } },
    ]);
    expect(resolved.lease).toEqual({ renewFraction: 0.8, revokeAfter: '30s' });
    expect(resolveSecretSourceSpec(source({ lease: { renewAt: '', revokeAfter: '' } })).lease).toEqual({
      renewFraction: 2 / 3,
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

  it.each(['Error', 'LastWins'] as const)('keeps duplicateKeys %s', (duplicateKeys) => {
    const resolved = resolveSecretSourceSpec(
      source({ data: [{ key: 'k', remoteRef: { path: 'p' } }], duplicateKeys }),
    );
    expect(resolved.duplicateKeys).toBe(duplicateKeys);
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
