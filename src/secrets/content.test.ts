import { randomBytes, X509Certificate } from 'node:crypto';
import { RenderBudget } from './template-engine.js';
import { buildSecretContent, type SecretContentInput } from './content.js';
import { SecretContentError, SecretSpecError, SecretTemplateError } from './errors.js';
import { makeChain, makeCertificate } from './test-pki.js';

const now = new Date();
const password = randomBytes(16).toString('hex');
const username = `user-${randomBytes(4).toString('hex')}`;
const b = (text: string): Buffer => Buffer.from(text, 'utf8');
const input = (overrides: Partial<SecretContentInput> = {}): SecretContentInput => ({
  type: 'Opaque',
  data: [
    { key: 'password', value: b(password) },
    { key: 'username', value: b(username) },
  ],
  now,
  ...overrides,
});
/** The error thrown, checked to be typed and free of generated values. */
const failure = (spec: SecretContentInput): SecretContentError => {
  try {
    buildSecretContent(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretContentError);
    const message = (error as Error).message;
    expect(message.includes(password) || message.includes(username)).toBe(false);
    return error as SecretContentError;
  }
  throw new Error('built without error');
};

describe('Opaque', () => {
  test('without templates the fetched keys are the Secret', () => {
    const content = buildSecretContent(input({ labels: { team: 'a' }, annotations: { note: 'x' } }));
    expect(content.type).toBe('Opaque');
    expect([...content.data.keys()].sort()).toEqual(['password', 'username']);
    expect(content.data.get('password')!.equals(b(password))).toBe(true);
    expect(content.labels).toEqual({ team: 'a' });
    expect(content.annotations).toEqual({ note: 'x' });
    expect(content.certificate).toBeUndefined();
  });

  test('the same inputs build the same bytes (a stable content hash)', () => {
    const spec = input({ template: { data: { dsn: 'postgres://{{ .username }}:{{ .password }}@db' } } });
    const first = buildSecretContent(spec);
    const second = buildSecretContent(spec);
    expect(first.type).toBe(second.type);
    expect([...first.data.keys()]).toEqual([...second.data.keys()]);
    for (const [key, value] of first.data) expect(value.equals(second.data.get(key)!)).toBe(true);
  });

  test('a fetched key that is not a valid Secret key is refused with its origin', () => {
    const error = failure(
      input({ data: [], dataFrom: [{ values: new Map([['payments/db', b(password)]]) }] }),
    );
    expect(error).toBeInstanceOf(SecretSpecError);
    expect(error.message).toBe(
      'key "payments/db" from dataFrom[0] may only hold letters, digits, "-", "_" and "."',
    );
  });

  test('a rewrite makes such keys valid', () => {
    const content = buildSecretContent(
      input({
        data: [],
        dataFrom: [
          {
            values: new Map([['payments/db', b(password)]]),
            rewrite: [{ regexp: { source: '/', target: '_' } }],
          },
        ],
      }),
    );
    expect([...content.data.keys()]).toEqual(['payments_db']);
  });

  test('the same key from data and dataFrom is InvalidSpec', () => {
    const error = failure(input({ dataFrom: [{ values: new Map([['password', b(password)]]) }] }));
    expect(error.reason).toBe('InvalidSpec');
    expect(error.message).toBe('key "password" is produced by both dataFrom[0] and data[0]');
  });

  test('duplicateKeys LastWins is passed through: data replaces the dataFrom key, and the swap is reported', () => {
    const replacedValue = randomBytes(16);
    const content = buildSecretContent(
      input({ dataFrom: [{ values: new Map([['password', replacedValue]]) }], duplicateKeys: 'LastWins' }),
    );
    expect(content.data.get('password')!.equals(b(password))).toBe(true);
    expect(content.replacedKeys).toEqual([{ key: 'password', replaced: 'dataFrom[0]', by: 'data[0]' }]);
  });

  test('duplicateKeys Error is the same as unset; without duplicates nothing is reported replaced', () => {
    const duplicate = { dataFrom: [{ values: new Map([['password', b(password)]]) }] };
    expect(failure(input({ ...duplicate, duplicateKeys: 'Error' })).message).toBe(
      'key "password" is produced by both dataFrom[0] and data[0]',
    );
    expect(buildSecretContent(input({ duplicateKeys: 'LastWins' }))).not.toHaveProperty('replacedKeys');
  });

  test('LastWins does not relax the template checks: template.data and ConfigMap, dockerConfig and template', () => {
    const configMap = { name: 'tpl', data: { a: 'x' } };
    expect(
      failure(
        input({
          duplicateKeys: 'LastWins',
          template: { data: { a: 'y' }, configMapRef: { name: 'tpl' } },
          templateConfigMap: configMap,
        }),
      ).message,
    ).toBe('key "a" is produced by both target.template.data and ConfigMap tpl');
    expect(
      failure(
        input({
          duplicateKeys: 'LastWins',
          type: 'kubernetes.io/dockerconfigjson',
          dockerConfig: { registry: 'ghcr.io', username: '{{ .username }}', password: '{{ .password }}' },
          template: { data: { '.dockerconfigjson': '{}' } },
        }),
      ).message,
    ).toBe('key .dockerconfigjson is produced by both target.dockerConfig and a template');
  });

  test('over 1 MiB in total is refused, naming the largest key', () => {
    const error = failure(
      input({
        data: [
          { key: 'blob', value: randomBytes(1024 * 1024) },
          { key: 'small', value: b('x') },
        ],
      }),
    );
    expect(error.message).toMatch(
      /^the Secret would hold 1048586 bytes of data, over the 1 MiB limit \(largest key: "blob"/,
    );
  });
});

describe('templates', () => {
  test('all templates of one build share one render budget: heavy keys cannot add up', () => {
    // Each allocates 1.3 million items: within what one render allowed alone, and until now
    // nothing capped how many such keys one Secret could have.
    const heavy = (from: number) => `{{ (${from}..${from + 1_300_000}) | size }}`;
    // Time stands still: only allocations count here, whatever the machine is doing.
    const renderBudget = new RenderBudget({ now: () => 0 });
    const error = failure(
      input({ template: { data: { a: heavy(1), b: heavy(2), c: heavy(3) } }, renderBudget }),
    );
    expect(error).toBeInstanceOf(SecretTemplateError);
    expect(error.message).toMatch(
      /^target\.template\.data\["b"\] line 1, column 1: memory alloc limit exceeded/,
    );
    expect((error as SecretTemplateError).template).toBe('target.template.data["b"]');
  });

  test('with data templates the Secret holds only what they render', () => {
    const content = buildSecretContent(
      input({ template: { data: { dsn: 'postgres://{{ .username }}:{{ .password }}@db:5432/app' } } }),
    );
    expect([...content.data.keys()]).toEqual(['dsn']);
    expect(content.data.get('dsn')!.toString() === `postgres://${username}:${password}@db:5432/app`).toBe(
      true,
    );
  });

  test('labels and annotations render too, and join the literal ones', () => {
    const content = buildSecretContent(
      input({
        labels: { team: 'a' },
        template: {
          labels: { owner: '{{ .username | lower }}' },
          annotations: { rotated: 'by {{ .username }}' },
        },
      }),
    );
    expect(content.labels).toEqual({ team: 'a', owner: username });
    expect(content.annotations).toEqual({ rotated: `by ${username}` });
    expect([...content.data.keys()].sort()).toEqual(['password', 'username']);
  });

  test('templates from a ConfigMap: every key, or the listed items', () => {
    const configMap = { name: 'tpl', data: { 'app.properties': 'user={{ .username }}', other: 'x' } };
    const all = buildSecretContent(
      input({ template: { configMapRef: { name: 'tpl' } }, templateConfigMap: configMap }),
    );
    expect([...all.data.keys()]).toEqual(['app.properties', 'other']);
    const some = buildSecretContent(
      input({
        template: {
          data: { inline: '{{ .password }}' },
          configMapRef: { name: 'tpl', items: ['app.properties'] },
        },
        templateConfigMap: configMap,
      }),
    );
    expect([...some.data.keys()].sort()).toEqual(['app.properties', 'inline']);
    expect(some.data.get('app.properties')!.toString() === `user=${username}`).toBe(true);
  });

  test('ConfigMap problems are InvalidSpec', () => {
    const configMap = { name: 'tpl', data: { a: 'x' } };
    expect(
      failure(
        input({ template: { configMapRef: { name: 'tpl', items: ['b'] } }, templateConfigMap: configMap }),
      ).message,
    ).toBe('target.template.configMapRef: ConfigMap tpl has no key "b"');
    expect(
      failure(
        input({
          template: { data: { a: 'y' }, configMapRef: { name: 'tpl' } },
          templateConfigMap: configMap,
        }),
      ).message,
    ).toBe('key "a" is produced by both target.template.data and ConfigMap tpl');
    expect(failure(input({ template: { configMapRef: { name: 'tpl' } } })).message).toBe(
      'target.template.configMapRef: ConfigMap tpl was not loaded',
    );
  });

  test('a template error is InvalidTemplate naming the template key and line', () => {
    const error = failure(input({ template: { data: { dsn: 'postgres://\n{{ .usernme }}' } } }));
    expect(error).toBeInstanceOf(SecretTemplateError);
    expect(error.reason).toBe('InvalidTemplate');
    expect(error.message).toBe('target.template.data["dsn"] line 2, column 4: undefined variable: usernme');
    const fromConfigMap = failure(
      input({
        template: { configMapRef: { name: 'tpl' } },
        templateConfigMap: { name: 'tpl', data: { k: '{{ x | nope }}' } },
      }),
    );
    expect(fromConfigMap.message).toMatch(
      /^ConfigMap tpl key "k" line 1, column \d+: undefined filter: nope/,
    );
  });

  test('a template key must be a valid Secret key', () => {
    expect(failure(input({ template: { data: { 'a/b': 'x' } } })).message).toBe(
      'key "a/b" from target.template.data["a/b"] may only hold letters, digits, "-", "_" and "."',
    );
  });

  test('a template reaching for the environment finds nothing', () => {
    expect(failure(input({ template: { data: { leak: '{{ process.env }}' } } })).message).toContain(
      'undefined variable: process',
    );
  });

  test('a template rendering a huge value is refused', () => {
    const error = failure(
      input({
        template: {
          data: {
            // 32 characters doubled 14 times, written 3 times: 1.5 MiB in a few dozen render steps.
            big: '{% assign s = .password %}{% for i in (1..14) %}{% assign s = s | append: s %}{% endfor %}{{ s }}{{ s }}{{ s }}',
          },
        },
      }),
    );
    expect(error.message).toMatch(/over the 1 MiB limit/);
  });
});

describe('kubernetes.io/dockerconfigjson', () => {
  const dockerConfig = { registry: 'ghcr.io', username: '{{ .username }}', password: '{{ .password }}' };

  test('built from dockerConfig: only .dockerconfigjson is written', () => {
    const content = buildSecretContent(input({ type: 'kubernetes.io/dockerconfigjson', dockerConfig }));
    expect([...content.data.keys()]).toEqual(['.dockerconfigjson']);
    const config = JSON.parse(content.data.get('.dockerconfigjson')!.toString()) as {
      auths: Record<string, { username: string; auth: string }>;
    };
    expect(config.auths['ghcr.io']!.username).toBe(username);
    expect(
      Buffer.from(config.auths['ghcr.io']!.auth, 'base64').toString() === `${username}:${password}`,
    ).toBe(true);
  });

  test('dockerConfig with another type, or beside a .dockerconfigjson template, is refused', () => {
    expect(failure(input({ dockerConfig })).message).toBe(
      'target.dockerConfig needs target.type kubernetes.io/dockerconfigjson, not Opaque',
    );
    expect(
      failure(
        input({
          type: 'kubernetes.io/dockerconfigjson',
          dockerConfig,
          template: { data: { '.dockerconfigjson': '{}' } },
        }),
      ).message,
    ).toBe('key .dockerconfigjson is produced by both target.dockerConfig and a template');
  });

  test('a dockerConfig template error names the field', () => {
    expect(
      failure(
        input({
          type: 'kubernetes.io/dockerconfigjson',
          dockerConfig: { ...dockerConfig, password: '{{ .pw }}' },
        }),
      ).message,
    ).toBe('target.dockerConfig.password line 1, column 4: undefined variable: pw');
  });

  test('passed through when valid, refused when not', () => {
    const valid = JSON.stringify({ auths: { 'quay.io': { username, password } } });
    const data = [{ key: '.dockerconfigjson', value: b(valid) }];
    expect(buildSecretContent(input({ type: 'kubernetes.io/dockerconfigjson', data })).data.size).toBe(1);
    const broken = [{ key: '.dockerconfigjson', value: b(`{"auths": ${password}`) }];
    expect(failure(input({ type: 'kubernetes.io/dockerconfigjson', data: broken })).message).toBe(
      '.dockerconfigjson: not valid JSON',
    );
    expect(failure(input({ type: 'kubernetes.io/dockerconfigjson' })).message).toBe(
      'kubernetes.io/dockerconfigjson needs .dockerconfigjson',
    );
  });
});

describe('kubernetes.io/tls', () => {
  test('from PEM: ordered chain, ca.crt, and the notAfter for status', () => {
    const chain = makeChain();
    const content = buildSecretContent(
      input({
        type: 'kubernetes.io/tls',
        data: [
          { key: 'tls.crt', value: b(chain.root.certPem + chain.leaf.certPem + chain.intermediate.certPem) },
          { key: 'tls.key', value: b(chain.leaf.keyPem) },
        ],
      }),
    );
    expect([...content.data.keys()].sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(content.certificate?.notAfter.getTime()).toBe(
      new X509Certificate(chain.leaf.certPem).validToDate.getTime(),
    );
  });

  test('from a template that splits a bundle with the PEM helpers', () => {
    const chain = makeChain();
    const bundle = chain.leaf.keyPem + chain.leaf.certPem + chain.intermediate.certPem;
    const content = buildSecretContent(
      input({
        type: 'kubernetes.io/tls',
        data: [{ key: 'bundle', value: b(bundle) }],
        template: {
          data: {
            'tls.crt': '{{ bundle | pemLeaf }}{{ bundle | pemChain }}',
            'tls.key': '{{ bundle | pemKey }}',
          },
        },
      }),
    );
    expect(content.certificate?.expired).toBe(false);
  });

  test('a key that does not match is refused before anything is written', () => {
    const error = failure(
      input({
        type: 'kubernetes.io/tls',
        data: [
          { key: 'tls.crt', value: b(makeCertificate({ commonName: 'a' }).certPem) },
          { key: 'tls.key', value: b(makeCertificate({ commonName: 'b' }).keyPem) },
        ],
      }),
    );
    expect(error.message).toBe('tls.key does not match the certificate in tls.crt');
  });
});

describe('kubernetes.io/basic-auth and kubernetes.io/ssh-auth', () => {
  test('basic-auth needs username or password', () => {
    expect(buildSecretContent(input({ type: 'kubernetes.io/basic-auth' })).data.size).toBe(2);
    expect(
      buildSecretContent(
        input({ type: 'kubernetes.io/basic-auth', data: [{ key: 'password', value: b(password) }] }),
      ).data.size,
    ).toBe(1);
    expect(
      failure(input({ type: 'kubernetes.io/basic-auth', data: [{ key: 'token', value: b(password) }] }))
        .message,
    ).toBe('kubernetes.io/basic-auth needs username or password');
  });

  test('ssh-auth needs a PEM private key in ssh-privatekey', () => {
    const { keyPem } = makeCertificate({ commonName: 'ssh' });
    const openssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(64).toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    for (const key of [keyPem, openssh]) {
      expect(
        buildSecretContent(
          input({ type: 'kubernetes.io/ssh-auth', data: [{ key: 'ssh-privatekey', value: b(key) }] }),
        ).data.size,
      ).toBe(1);
    }
    expect(failure(input({ type: 'kubernetes.io/ssh-auth' })).message).toBe(
      'kubernetes.io/ssh-auth needs ssh-privatekey',
    );
    expect(
      failure(
        input({ type: 'kubernetes.io/ssh-auth', data: [{ key: 'ssh-privatekey', value: b(password) }] }),
      ).message,
    ).toBe('ssh-privatekey holds no PEM private key');
  });
});

describe('refused before anything else', () => {
  test.each(['kubernetes.io/service-account-token', 'bootstrap.kubernetes.io/token'])('type %s', (type) => {
    expect(failure(input({ type })).message).toMatch(new RegExp(`^target.type ${type} is refused: `));
  });

  test('token annotations, literal or templated', () => {
    expect(
      failure(input({ annotations: { 'kubernetes.io/service-account.name': 'default' } })).message,
    ).toMatch(/^target.annotations: annotation kubernetes.io\/service-account.name is refused/);
    expect(
      failure(
        input({ template: { annotations: { 'kubernetes.io/service-account.uid': '{{ .username }}' } } }),
      ).message,
    ).toMatch(/^target.template.annotations: annotation kubernetes.io\/service-account.uid is refused/);
  });
});

describe('creationPolicy Merge', () => {
  test('keys a type requires may live in the existing Secret', () => {
    const content = buildSecretContent(
      input({ type: 'kubernetes.io/tls', data: [{ key: 'extra', value: b(password) }], merge: true }),
    );
    expect([...content.data.keys()]).toEqual(['extra']);
  });

  test('merging into a token Secret is still refused', () => {
    expect(failure(input({ type: 'kubernetes.io/service-account-token', merge: true })).reason).toBe(
      'InvalidSpec',
    );
  });
});
