// No leaks, by scan. The operator runs at debug level through the main scenarios (syncs, a
// template, a rotation, force-sync, failures) against OpenBao, and against a backend that quotes
// every request back in its errors (echo-backend.ts): posing as Vault (token and AppRole logins,
// KV reads and a generated value written) and as AWS Secrets Manager (a session token, reads and a
// generated value written, quoted even as the error code). Then every generated value, every
// credential, and every value the echo backend was sent, as text, base64 and hex, is looked for in
// the operator's logs, the Events, every status, /metrics and the API server's audit log: zero hits.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { OpenBaoUnderTest } from '../cases/openbao.js';
import { EchoBackend } from '../support/echo-backend.js';
import { eventually, readyCondition, requireEnv } from '../support/kube.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { auditLogFiles } from '../support/rbac-audit.js';
import type { SecretSourceObjects } from '../support/secret-sources.js';

jest.setTimeout(120_000);

const runId = randomBytes(4).toString('hex');
const echo = new EchoBackend();
// OpenBao with token auth, writable (a rotation), as SecretProvider `openbao`; the operator at
// debug level. Every value this file makes is registered with the fixture, and scanned for below.
const openbao = new OpenBaoUnderTest({ writable: true });
const fx = useOperatorFixture({
  name: 'e2e-leaks',
  provider: openbao,
  authModes: ['token'],
  providerNames: { token: 'openbao' },
  operatorArgs: ['--log-level=debug'],
  beforeOperator: async () => {
    await echo.start();
    fx.onCleanup(() => echo.stop());
    // Credentials for the echo backend: it is sent them, quotes them back, and they must go no further.
    await secret('echo-token', { token: generated() });
    await secret('echo-approle', { 'secret-id': generated() });
    await secret('echo-aws', {
      id: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secret: generated(),
      session: generated(),
    });
  },
});
const { core } = fx;
const custom = fx.kc.makeApiClient(k8s.CustomObjectsApi);
let objects: SecretSourceObjects;
beforeAll(() => {
  ({ objects } = fx);
});

/** A value that must never be seen outside the Secret and the backend. Starts with a letter, like an AWS error code. */
function generated(): string {
  const value = `V${randomBytes(16).toString('hex')}`;
  fx.neverPrint(value);
  return value;
}

/** The forms a value could leak in. */
const forms = (value: string): string[] => [
  value,
  Buffer.from(value).toString('base64'),
  Buffer.from(value).toString('base64url'),
  Buffer.from(value).toString('hex'),
];

/** Which of `values` appear in `text` in any form; only their index and form are returned, never the value. */
function leaks(where: string, text: string, values: readonly string[]): string[] {
  return values.flatMap((value, i) =>
    forms(value)
      .map((form, f) =>
        text.includes(form) ? `${where}: value #${i} as ${['text', 'base64', 'base64url', 'hex'][f]}` : '',
      )
      .filter(Boolean),
  );
}

async function secret(name: string, data: Record<string, string>): Promise<void> {
  await core.createNamespacedSecret({
    namespace: fx.namespace,
    body: { metadata: { name }, stringData: data },
  });
}

test('main scenarios against OpenBao: syncs, a template, a rotation, force-sync and failures', async () => {
  const [user, password, rotated] = [generated(), generated(), generated()];
  const db = await openbao.put('db', { user, password });
  await objects.createSource('db', {
    refresh: { interval: '2s' },
    data: [
      { key: 'user', remoteRef: { path: db, property: 'user' } },
      { key: 'password', remoteRef: { path: db, property: 'password' } },
    ],
    target: { template: { data: { url: 'postgres://{{ .user }}:{{ .password }}@db' } } },
  });
  await objects.waitReady('db', 'True', 'Synced');
  await openbao.remote.update(db, { user, password: rotated });
  await objects.waitValue('db', 'url', `postgres://${user}:${rotated}@db`);
  await objects.patchSource('db', { metadata: { annotations: { 'secretsource.dev/force-sync': runId } } });

  // Failures whose messages are close to the values: a template that parses a value as JSON, a value
  // that is not a valid label, a missing path, a value that is not a registry credential.
  await objects.createSource('bad-json', {
    data: [{ key: 'password', remoteRef: { path: db, property: 'password' } }],
    target: { template: { data: { x: '{{ .password | fromJson }}' } } },
  });
  await objects.createSource('bad-label', {
    data: [{ key: 'password', remoteRef: { path: db, property: 'password' } }],
    target: { template: { labels: { leaked: '{{ .password }}!' } } },
  });
  await objects.createSource('missing', {
    data: [{ key: 'x', remoteRef: { path: openbao.remote.path('none') } }],
  });
  await objects.createSource('bad-docker', {
    data: [{ key: '.dockerconfigjson', remoteRef: { path: db, property: 'password' } }],
    target: { type: 'kubernetes.io/dockerconfigjson' },
  });
  await objects.waitReady('bad-json', 'False', 'InvalidTemplate');
  await objects.waitReady('bad-label', 'False', 'InvalidTemplate');
  await objects.waitReady('missing', 'False', 'RemoteNotFound');
  await objects.waitReady('bad-docker', 'False', 'InvalidSpec');
});

test('a backend that quotes every request back: each failure has a clear condition', async () => {
  const vault = (auth: object) => ({ vault: { server: echo.url, path: 'secret', version: 'v2', auth } });
  await objects.createProvider(
    'echo-token',
    vault({ token: { secretRef: { name: 'echo-token', key: 'token' } } }),
  );
  await objects.createProvider(
    'echo-approle',
    vault({ appRole: { roleId: 'role', secretRef: { name: 'echo-approle', key: 'secret-id' } } }),
  );
  await objects.createProvider('echo-aws', {
    aws: {
      region: requireEnv('AWS_REGION'),
      endpoint: echo.url,
      auth: {
        secretRef: {
          name: 'echo-aws',
          accessKeyIdKey: 'id',
          secretAccessKeyKey: 'secret',
          sessionTokenKey: 'session',
        },
      },
    },
  });
  const read = [{ key: 'x', remoteRef: { path: 'app/db', property: 'password' } }];
  // A generated password of letters only: quoted back as an AWS error code, it would look like one.
  const write = [
    { key: 'p', remoteRef: { path: 'app/generated' }, password: { length: 40, digits: 0, symbols: 0 } },
  ];
  for (const provider of ['echo-token', 'echo-approle', 'echo-aws']) {
    await objects.createSource(`${provider}-read`, { data: read }, provider);
    await objects.createSource(`${provider}-write`, { generate: write }, provider);
  }
  for (const provider of ['echo-token', 'echo-approle', 'echo-aws'])
    for (const what of ['read', 'write'])
      await eventually(async () => {
        const ready = readyCondition(await objects.getSource(`${provider}-${what}`));
        expect(ready).toMatchObject({ status: 'False', reason: expect.stringMatching(/^[A-Z][A-Za-z]+$/) });
        expect(ready?.message).toContain(provider);
      });
  expect(echo.sentSecrets().length).toBeGreaterThan(0);
});

test('zero hits: no value or credential in logs, Events, any status, /metrics or the audit log', async () => {
  const metrics = await (await fetch(fx.operator.metricsUrl)).text();
  const events = await core.listNamespacedEvent({ namespace: objects.namespace });
  const statuses = await Promise.all(
    ['secretsources', 'secretproviders'].map((plural) =>
      custom.listNamespacedCustomObject({
        group: 'secretsource.dev',
        version: 'v1alpha1',
        namespace: objects.namespace,
        plural,
      }),
    ),
  );
  const audit = auditLogFiles()
    .map((file) => readFileSync(file, 'utf8'))
    .join('');
  const values = [...fx.neverPrinted, ...echo.sentSecrets()];
  expect(values.length).toBeGreaterThan(10);
  const found = [
    ...leaks('operator log', fx.operator.output(), values),
    ...leaks('Events', JSON.stringify(events.items), values),
    ...leaks('status', JSON.stringify(statuses), values),
    ...leaks('/metrics', metrics, values),
    ...leaks('audit log', audit, values),
  ];
  expect({ found }).toEqual({ found: [] });
});
