import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './generate.js';
import {
  InvalidSpecError,
  parseClusterSecretProvider,
  parseSecretProvider,
  parseSecretSource,
} from './parse.js';

const SAMPLES = path.join(REPO_ROOT, 'config/samples');

const source = (
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  apiVersion: 'secretsource.dev/v1alpha1',
  kind: 'SecretSource',
  metadata: { name: 'db', namespace: 'payments', uid: 'u-1', generation: 3, resourceVersion: '42' },
  spec: {
    providerRef: { kind: 'SecretProvider', name: 'vault' },
    data: [{ key: 'k', remoteRef: { path: 'p' } }],
    ...spec,
  },
  ...extra,
});

const tokenAuth = { token: { secretRef: { name: 'vault-token', key: 'token' } } };

const provider = (spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'secretsource.dev/v1alpha1',
  kind: 'SecretProvider',
  metadata: { name: 'vault', namespace: 'payments' },
  spec,
});

const clusterProvider = (spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'secretsource.dev/v1alpha1',
  kind: 'ClusterSecretProvider',
  metadata: { name: 'vault-prod' },
  spec,
});

function problemsOf(parse: () => unknown): readonly string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidSpecError) return error.problems;
    throw error;
  }
  throw new Error('expected InvalidSpecError');
}

describe('config/samples', () => {
  const parsers: Record<string, (obj: unknown) => unknown> = {
    SecretSource: parseSecretSource,
    SecretProvider: parseSecretProvider,
    ClusterSecretProvider: parseClusterSecretProvider,
  };

  it('every sample parses, and every kind has one', async () => {
    const files = (await readdir(SAMPLES)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    const kinds = new Set<string>();
    for (const file of files) {
      for (const doc of parseAllDocuments(await readFile(path.join(SAMPLES, file), 'utf8'))) {
        const obj = doc.toJS() as { kind: string };
        kinds.add(obj.kind);
        expect(() => parsers[obj.kind]!(obj)).not.toThrow();
      }
    }
    expect([...kinds].sort()).toEqual(['ClusterSecretProvider', 'SecretProvider', 'SecretSource']);
  });

  it('the kustomization lists every sample', async () => {
    const files = (await readdir(SAMPLES)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    const kustomization = await readFile(path.join(SAMPLES, 'kustomization.yaml'), 'utf8');
    for (const file of files) expect(kustomization).toContain(`- ${file}`);
  });
});

describe('parseSecretSource', () => {
  it('returns the typed object with only the metadata the operator reads', () => {
    const parsed = parseSecretSource(
      source(
        {},
        {
          status: { observedGeneration: 2, syncedKeys: 1, lastSyncTime: '2026-11-26T10:00:00Z' },
        },
      ),
    );
    const raw = source({});
    (raw.metadata as Record<string, unknown>).managedFields = [{ manager: 'kubectl' }];
    expect(parseSecretSource(raw).metadata).toEqual({
      name: 'db',
      namespace: 'payments',
      uid: 'u-1',
      generation: 3,
      resourceVersion: '42',
    });
    expect(parsed.spec.providerRef).toEqual({ kind: 'SecretProvider', name: 'vault' });
    expect(parsed.status?.lastSyncTime).toBe('2026-11-26T10:00:00Z');
  });

  it('does not share structure with the input', () => {
    const raw = source({});
    const parsed = parseSecretSource(raw);
    ((raw.spec as Record<string, unknown>).providerRef as Record<string, unknown>).name = 'changed';
    expect(parsed.spec.providerRef.name).toBe('vault');
  });

  it('drops a status that no longer fits the schema instead of refusing the object', () => {
    const parsed = parseSecretSource(source({}, { status: { syncedKeys: 'three' } }));
    expect(parsed.status).toBeUndefined();
  });

  it('names the object and the JSON path of the problem', () => {
    expect(() => parseSecretSource(source({ providerRef: { kind: 'Vault', name: 'x' } }))).toThrow(
      'SecretSource payments/db is invalid: spec.providerRef.kind: must be one of "SecretProvider", "ClusterSecretProvider"',
    );
    expect(problemsOf(() => parseSecretSource(source({ providerRef: { kind: 'SecretProvider' } })))).toEqual([
      'spec.providerRef.name: required',
    ]);
    expect(problemsOf(() => parseSecretSource({ kind: 'SecretSource' }))[0]).toMatch(/required/);
    expect(() => parseSecretSource('nonsense')).toThrow('SecretSource <unnamed> is invalid');
  });

  it('carries reason InvalidSpec', () => {
    try {
      parseSecretSource(source({ data: [] }));
      throw new Error('expected a throw');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSpecError);
      expect((error as InvalidSpecError).reason).toBe('InvalidSpec');
    }
  });

  it.each([
    ['no data and no dataFrom', { data: [] }, 'spec: set at least one entry in data, dataFrom or generate'],
    [
      'a dataFrom with path and find',
      { dataFrom: [{ path: 'a', find: { path: 'b' } }] },
      'spec.dataFrom[0]: each dataFrom entry must set exactly one of path, find or dynamic',
    ],
    [
      'a dataFrom with neither',
      { dataFrom: [{ decoding: 'Auto' }] },
      'spec.dataFrom[0]: each dataFrom entry must set exactly one of path, find or dynamic',
    ],
    [
      'a dynamic entry beside data',
      { dataFrom: [{ dynamic: { path: 'pki/issue/web' } }] },
      'spec: dataFrom entries with dynamic cannot be combined with data or with path or find entries: dynamic credentials are issued together and kept on their leases',
    ],
    [
      'a dynamic entry beside a path entry',
      { data: [], dataFrom: [{ dynamic: { path: 'pki/issue/web' } }, { path: 'app/ca' }] },
      'spec: dataFrom entries with dynamic cannot be combined with data or with path or find entries: dynamic credentials are issued together and kept on their leases',
    ],
    [
      'a dynamic entry that is synced once',
      { data: [], dataFrom: [{ dynamic: { path: 'pki/issue/web' } }], refresh: { policy: 'CreatedOnce' } },
      "spec: dynamic credentials need refresh.policy Periodic (the default): they are renewed and replaced on their leases' schedule",
    ],
    [
      'a renewal at 100%',
      { data: [], dataFrom: [{ dynamic: { path: 'pki/issue/web' } }], lease: { renewAt: '100%' } },
      'spec.lease.renewAt: must match pattern',
    ],
    [
      'an empty find',
      { dataFrom: [{ find: {} }] },
      'spec.dataFrom[0].find: find must set at least one of path, name or tags',
    ],
    [
      'interval and schedule',
      { refresh: { interval: '1h', schedule: '0 3 * * *' } },
      'spec.refresh: set interval or schedule, not both',
    ],
    [
      'timeZone without schedule',
      { refresh: { interval: '1h', timeZone: 'Europe/Berlin' } },
      'spec.refresh.timeZone: timeZone applies only to schedule',
    ],
    [
      'a service-account-token target',
      { target: { type: 'kubernetes.io/service-account-token' } },
      'spec.target.type: type must not be kubernetes.io/service-account-token or bootstrap.kubernetes.io/token: these Secrets grant access to the cluster',
    ],
    [
      'a bootstrap token target',
      { target: { type: 'bootstrap.kubernetes.io/token' } },
      'spec.target.type: type must not be',
    ],
    [
      'duplicate data keys',
      {
        data: [
          { key: 'k', remoteRef: { path: 'a' } },
          { key: 'k', remoteRef: { path: 'b' } },
        ],
      },
      'spec.data[1]: duplicate key',
    ],
  ])('refuses %s', (_name, spec, message) => {
    expect(problemsOf(() => parseSecretSource(source(spec))).join('\n')).toContain(message);
  });

  it('accepts dynamic entries alone, with a lease policy', () => {
    const spec = {
      data: [],
      dataFrom: [
        { dynamic: { path: 'pki/issue/web', method: 'POST', parameters: { common_name: 'web.example' } } },
        { dynamic: { path: 'rabbitmq/creds/app' }, rewrite: [{ regexp: { source: '^', target: 'amqp_' } }] },
      ],
      lease: { renewAt: '66.7%', revokeAfter: '30s' },
      refresh: { policy: 'Periodic' },
    };
    expect(() => parseSecretSource(source(spec))).not.toThrow();
  });

  it.each([
    [
      'a 5-field schedule with a time zone',
      { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', jitter: '5m' },
    ],
    ['an interval with a percentage jitter', { interval: '1h30m', jitter: '10%', policy: 'OnChange' }],
    ['a policy alone', { policy: 'CreatedOnce' }],
  ])('accepts refresh with %s', (_name, refresh) => {
    expect(() => parseSecretSource(source({ refresh }))).not.toThrow();
  });

  it.each([
    ['an interval without unit', { interval: '60' }, 'spec.refresh.interval: must match pattern'],
    ['an interval in days', { interval: '1d' }, 'spec.refresh.interval: must match pattern'],
    ['a 6-field schedule', { schedule: '0 0 3 * * *' }, 'spec.refresh.schedule: must match pattern'],
    ['a jitter that is neither', { jitter: 'lots' }, 'spec.refresh.jitter: must match pattern'],
    ['an unknown policy', { policy: 'Sometimes' }, 'spec.refresh.policy: must be one of'],
  ])('refuses refresh with %s', (_name, refresh, message) => {
    expect(problemsOf(() => parseSecretSource(source({ refresh }))).join('\n')).toContain(message);
  });

  it.each(['Error', 'LastWins'])('accepts duplicateKeys %s', (duplicateKeys) => {
    expect(parseSecretSource(source({ duplicateKeys })).spec.duplicateKeys).toBe(duplicateKeys);
  });

  it.each(['FirstWins', 'lastWins', ''])('refuses duplicateKeys %j, listing the allowed values', (value) => {
    expect(problemsOf(() => parseSecretSource(source({ duplicateKeys: value })))).toEqual([
      'spec.duplicateKeys: must be one of "Error", "LastWins"',
    ]);
  });

  it('never puts field values into the message', () => {
    const value = randomBytes(24).toString('hex');
    const bad = source({
      target: { type: value, name: `NOT_A_NAME_${value}`, template: { data: { k: value } } },
      data: [{ key: `bad key ${value}`, remoteRef: { path: value, property: 7 } }],
      refresh: { interval: value, schedule: value, jitter: value },
    });
    const error = (() => {
      try {
        parseSecretSource(bad);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a throw');
    })();
    expect(error.message).not.toContain(value);
    expect((error as InvalidSpecError).problems.join('\n')).not.toContain(value);
  });
});

describe('parseSecretProvider / parseClusterSecretProvider', () => {
  it('accepts each backend and auth method', () => {
    const specs = [
      { vault: { server: 'http://127.0.0.1:8200', auth: tokenAuth } },
      {
        vault: {
          server: 'https://vault:8200',
          version: 'v1',
          auth: { kubernetes: { role: 'app', serviceAccountRef: { name: 'default' }, audiences: ['vault'] } },
        },
      },
      {
        vault: {
          server: 'https://vault:8200',
          auth: { appRole: { roleId: 'r', secretRef: { name: 's', key: 'id' } } },
        },
      },
      { aws: { region: 'us-east-1' } },
      {
        aws: {
          region: 'us-east-1',
          auth: {
            webIdentity: { serviceAccountRef: { name: 'app' }, roleArn: 'arn:aws:iam::123456789012:role/x' },
          },
        },
      },
      { azure: { vaultUrl: 'https://v.vault.azure.net', auth: { managedIdentity: { clientId: '' } } } },
      {
        azure: {
          vaultUrl: 'https://v.vault.azure.net',
          tenantId: 't',
          auth: { workloadIdentity: { clientId: 'c', serviceAccountRef: { name: 'app' } } },
        },
      },
      {
        azure: {
          vaultUrl: 'https://v.vault.azure.net',
          tenantId: 't',
          auth: { servicePrincipal: { clientId: 'c', certificateRef: { name: 'cert', key: 'tls.pem' } } },
        },
      },
    ];
    for (const spec of specs) expect(() => parseSecretProvider(provider(spec))).not.toThrow();
  });

  it.each([
    ['no backend', {}, 'spec: spec must set exactly one of vault, aws or azure'],
    [
      'two backends',
      { aws: { region: 'eu-west-1' }, azure: { vaultUrl: 'https://x', auth: { managedIdentity: {} } } },
      'spec: spec must set exactly one of vault, aws or azure',
    ],
    [
      'vault without auth method',
      { vault: { server: 'https://v', auth: {} } },
      'spec.vault.auth: auth must set exactly one of token, kubernetes or appRole',
    ],
    [
      'vault with two auth methods',
      {
        vault: {
          server: 'https://v',
          auth: { ...tokenAuth, appRole: { roleId: 'r', secretRef: { name: 's', key: 'k' } } },
        },
      },
      'spec.vault.auth: auth must set exactly one of token, kubernetes or appRole',
    ],
    [
      'vault with caBundle and caRef',
      {
        vault: {
          server: 'https://v',
          caBundle: 'PEM',
          caRef: { name: 'ca', key: 'ca.crt' },
          auth: tokenAuth,
        },
      },
      'spec.vault: set at most one of caBundle and caRef',
    ],
    [
      'vault with a bad KV version',
      { vault: { server: 'https://v', version: 'v3', auth: tokenAuth } },
      'spec.vault.version: must be one of "v1", "v2"',
    ],
    [
      'vault kubernetes auth without role',
      { vault: { server: 'https://v', auth: { kubernetes: { serviceAccountRef: { name: 'd' } } } } },
      'spec.vault.auth.kubernetes.role: required',
    ],
    [
      'aws with two auth methods',
      {
        aws: {
          region: 'eu-west-1',
          auth: {
            secretRef: { name: 'a', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' },
            webIdentity: { serviceAccountRef: { name: 'app' }, roleArn: 'arn' },
          },
        },
      },
      'spec.aws.auth: auth may set at most one of secretRef or webIdentity',
    ],
    [
      'azure without auth method',
      { azure: { vaultUrl: 'https://v', auth: {} } },
      'spec.azure.auth: auth must set exactly one of',
    ],
    [
      'azure service principal with both refs',
      {
        azure: {
          vaultUrl: 'https://v',
          tenantId: 't',
          auth: {
            servicePrincipal: {
              clientId: 'c',
              secretRef: { name: 'a', key: 'b' },
              certificateRef: { name: 'a', key: 'c' },
            },
          },
        },
      },
      'spec.azure.auth.servicePrincipal: servicePrincipal must set exactly one of secretRef or certificateRef',
    ],
    [
      'azure service principal without tenant',
      {
        azure: {
          vaultUrl: 'https://v',
          auth: { servicePrincipal: { clientId: 'c', secretRef: { name: 'a', key: 'b' } } },
        },
      },
      'spec.azure.tenantId: tenantId is required for servicePrincipal and workloadIdentity auth',
    ],
  ])('refuses %s', (_name, spec, message) => {
    expect(problemsOf(() => parseSecretProvider(provider(spec))).join('\n')).toContain(message);
  });

  it('SecretProvider needs a namespace; ClusterSecretProvider conditions must say something', () => {
    const namespaceless = { ...provider({ aws: { region: 'eu-west-1' } }), metadata: { name: 'aws' } };
    expect(problemsOf(() => parseSecretProvider(namespaceless))).toEqual(['metadata.namespace: required']);
    expect(
      problemsOf(() =>
        parseClusterSecretProvider(clusterProvider({ conditions: [{}], aws: { region: 'eu-west-1' } })),
      ),
    ).toEqual(['spec.conditions[0]: a condition must set namespaces or namespaceSelector']);
    expect(
      parseClusterSecretProvider(
        clusterProvider({
          conditions: [
            { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] } },
          ],
          aws: { region: 'eu-west-1' },
        }),
      ).spec.conditions,
    ).toHaveLength(1);
  });

  it('refuses the other kind', () => {
    expect(
      problemsOf(() => parseClusterSecretProvider(provider({ aws: { region: 'eu-west-1' } }))),
    ).toContain('kind: must be one of "ClusterSecretProvider"');
  });
});
