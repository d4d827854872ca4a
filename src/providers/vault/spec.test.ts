import { refusal, validatedSpec } from '../testing/validated-spec.js';
import { parseVaultSpec, vaultReferencesDefaultNamespace } from './spec.js';

const subject = { provider: 'ClusterSecretProvider vault-prod' };
/** As the controller does it: the schema first (parse.ts), then the provider's own rules. */
const parse = (field: unknown) => parseVaultSpec(validatedSpec('vault', field, 'vault-prod'), subject);
const token = { token: { secretRef: { name: 'vault-token', key: 'token' } } };

describe('parseVaultSpec', () => {
  test('applies defaults in code', () => {
    expect(parse({ server: 'https://vault.example:8200/', auth: token })).toEqual({
      server: 'https://vault.example:8200',
      mount: 'secret',
      kvVersion: 2,
      auth: { method: 'token', secretRef: { name: 'vault-token', key: 'token' } },
    });
  });

  test('reads every field', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n';
    const settings = parse({
      server: 'http://bao:8200',
      path: '/kv/team-a/',
      version: 'v1',
      namespace: 'admin/team',
      caBundle: Buffer.from(pem).toString('base64'),
      auth: {
        kubernetes: {
          role: 'app',
          serviceAccountRef: { name: 'default', namespace: 'apps' },
          audiences: ['vault'],
        },
      },
    });
    expect(settings).toEqual({
      server: 'http://bao:8200',
      mount: 'kv/team-a',
      kvVersion: 1,
      namespace: 'admin/team',
      caBundle: pem,
      auth: {
        method: 'kubernetes',
        mountPath: 'kubernetes',
        role: 'app',
        serviceAccountRef: { name: 'default', namespace: 'apps' },
        audiences: ['vault'],
      },
    });
    expect(
      parse({ server: 'https://v', auth: { appRole: { roleId: 'r', secretRef: { name: 's', key: 'k' } } } })
        .auth,
    ).toEqual({ method: 'appRole', path: 'approle', roleId: 'r', secretRef: { name: 's', key: 'k' } });
  });

  test.each([
    ['no spec', undefined],
    ['no server', { auth: token }],
    ['bad server', { server: 'vault:8200', auth: token }],
    ['ftp server', { server: 'ftp://vault', auth: token }],
    ['credentials in the URL', { server: 'https://u:p@vault', auth: token }],
    ['bad version', { server: 'https://v', version: 'v3', auth: token }],
    ['traversal in mount', { server: 'https://v', path: 'secret/../sys', auth: token }],
    ['no auth', { server: 'https://v' }],
    [
      'two auth methods',
      {
        server: 'https://v',
        auth: { ...token, appRole: { roleId: 'r', secretRef: { name: 'a', key: 'b' } } },
      },
    ],
    ['token without key', { server: 'https://v', auth: { token: { secretRef: { name: 'x' } } } }],
    [
      'kubernetes without role',
      { server: 'https://v', auth: { kubernetes: { serviceAccountRef: { name: 'd' } } } },
    ],
    [
      'bad audiences',
      {
        server: 'https://v',
        auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'd' }, audiences: [''] } },
      },
    ],
    [
      'caBundle and caRef',
      { server: 'https://v', caBundle: '-----BEGIN X', caRef: { name: 'c', key: 'ca' }, auth: token },
    ],
    ['caBundle not PEM', { server: 'https://v', caBundle: 'bm90IHBlbQ==', auth: token }],
  ])('rejects %s', (_name, spec) => {
    expect(refusal(() => parse(spec)).reason).toBe('InvalidSpec');
  });

  test('an empty caBundle or namespace means none (GitOps-friendly empty strings)', () => {
    const settings = parse({ server: 'https://v', caBundle: '', namespace: '', auth: token });
    expect(settings.caBundle).toBeUndefined();
    expect(settings.namespace).toBeUndefined();
  });
});

describe('vaultReferencesDefaultNamespace', () => {
  test('true when some reference leaves its namespace to the SecretSource', () => {
    const withNs = { name: 'vault-token', key: 'token', namespace: 'system' };
    const settingsOf = (spec: object) => parse({ server: 'https://v', ...spec });
    expect(vaultReferencesDefaultNamespace(settingsOf({ auth: token }))).toBe(true);
    expect(vaultReferencesDefaultNamespace(settingsOf({ auth: { token: { secretRef: withNs } } }))).toBe(
      false,
    );
    expect(
      vaultReferencesDefaultNamespace(
        settingsOf({ caRef: { name: 'ca', key: 'ca.crt' }, auth: { token: { secretRef: withNs } } }),
      ),
    ).toBe(true);
    expect(
      vaultReferencesDefaultNamespace(
        settingsOf({
          auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'sa', namespace: 'system' } } },
        }),
      ),
    ).toBe(false);
  });
});
