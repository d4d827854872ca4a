// Dynamic credentials (dataFrom[].dynamic, spec.lease; docs/adr/0016) against the real OpenBao dev
// server, observed from outside as a consumer would see them:
// - PKI: a certificate issued into a kubernetes.io/tls Secret with a 30-second TTL is replaced
//   before it expires, and a Secret sampled every 300 ms never holds an expired certificate;
// - a renewable lease (OpenBao's rabbitmq engine; the broker's management API is a loopback
//   stand-in, e2e/support/rabbitmq-management.ts): renewed in place (same lease, same Secret),
//   replaced near its maximum lifetime with the Secret never empty nor holding dead credentials,
//   and the replaced lease revoked after spec.lease.revokeAfter;
// - an operator restarted mid-lease picks the lease up from status and renews it, issuing nothing.
// Every issued password and private key is registered with the fixture's leak check. Assertions
// are on what was observed, never on how fast.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { jest } from '@jest/globals';
import { openBaoTokenProvider } from '../cases/openbao.js';
import { eventually, uniqueName } from '../support/kube.js';
import { holdsFor } from '../support/wait.js';
import { OpenBaoAdmin } from '../support/openbao-admin.js';
import type { RunningOperator } from '../support/operator.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { scrape, total, type Sample } from '../support/prometheus.js';
import { mountPki, pkiIssuePolicy } from '../support/openbao-pki.js';
import { RabbitMqManagement } from '../support/rabbitmq-management.js';
import { bytesOf, type SecretSourceObjects, type SourceObject } from '../support/secret-sources.js';

jest.setTimeout(150_000);

const PROVIDER = 'openbao-dynamic';
const admin = OpenBaoAdmin.fromEnv();
/** Each run mounts its own engines and policy. */
const run = uniqueName('dyn');
const pki = `pki-${run}`;
const rabbitmq = `rabbitmq-${run}`;
let broker: RabbitMqManagement;

const fx = useOperatorFixture({
  name: 'dynamic',
  defaultProvider: PROVIDER,
  beforeOperator: async (fixture) => {
    broker = new RabbitMqManagement(fixture.generated(), (password) => fixture.neverPrint(password));
    await broker.start();
    fixture.onCleanup(() => broker.stop());
    await mountPki(admin, pki, fixture.onCleanup.bind(fixture));
    await mountRabbitMq(fixture.onCleanup.bind(fixture));
    // What the operator's token needs, and no more (docs/rotation.md, "Dynamic credentials").
    await admin.putPolicy(
      run,
      [...pkiIssuePolicy(pki), `path "${rabbitmq}/creds/app" { capabilities = ["read"] }`].join('\n'),
    );
    fixture.onCleanup(() => admin.deletePolicy(run));
    const token = await admin.createToken([run], '1h');
    fixture.neverPrint(token);
    fixture.onCleanup(() => admin.revokeToken(token));
    await fixture.core.createNamespacedSecret({
      namespace: fixture.namespace,
      body: { metadata: { name: 'openbao-token' }, stringData: { token } },
    });
    await fixture.objects.createProvider(PROVIDER, openBaoTokenProvider('openbao-token'));
  },
});
let objects: SecretSourceObjects;
beforeAll(async () => {
  ({ objects } = fx);
  await objects.waitProviderReady(PROVIDER, 'True');
});

/** The rabbitmq engine on the broker stand-in: 20 s leases, renewable up to 60 s. */
async function mountRabbitMq(onCleanup: (step: () => Promise<unknown>) => void): Promise<void> {
  await admin.request('POST', `sys/mounts/${rabbitmq}`, { type: 'rabbitmq' });
  // Deleting the mount revokes its leases, which deletes their users: before the broker stops.
  onCleanup(() => admin.request('DELETE', `sys/mounts/${rabbitmq}`));
  await admin.request('POST', `${rabbitmq}/config/connection`, {
    connection_uri: broker.url,
    username: broker.adminUser,
    password: broker.adminPassword,
  });
  await admin.request('POST', `${rabbitmq}/config/lease`, { ttl: '20s', max_ttl: '60s' });
  await admin.request('POST', `${rabbitmq}/roles/app`, {
    vhosts: JSON.stringify({ '/': { configure: '.*', write: '.*', read: '.*' } }),
  });
}

/** Whether OpenBao still knows the lease (sys/leases/lookup answers 400 for a revoked one). */
async function leaseExists(leaseId: string): Promise<boolean> {
  try {
    await admin.request('POST', 'sys/leases/lookup', { lease_id: leaseId });
    return true;
  } catch (error) {
    if (String(error).includes('HTTP 400')) return false;
    throw error;
  }
}

function text(secret: Awaited<ReturnType<SecretSourceObjects['getSecret']>>, key: string): string {
  return bytesOf(secret, key)?.toString('utf8') ?? '';
}

interface Lease {
  leaseId?: string;
  renewable: boolean;
  issueTime: string;
  renewTime?: string;
  expireTime: string;
}

function leaseOf(source: SourceObject | undefined): Lease | undefined {
  return source?.status?.leases?.[0] as Lease | undefined;
}

async function deleteSource(name: string): Promise<void> {
  await objects.deleteSource(name);
  await eventually(async () => {
    if (await objects.getSource(name)) throw new Error(`SecretSource ${name} is still there`);
  });
}

const metric = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  total(samples, name, (l) => Object.entries(labels).every(([k, v]) => l[k] === v));

test('PKI: a 30-second certificate in a kubernetes.io/tls Secret is replaced before it expires; no sample ever holds an expired one', async () => {
  await objects.createSource('web-tls', {
    dataFrom: [
      {
        dynamic: {
          path: `${pki}/issue/web`,
          parameters: { common_name: 'web.example.test', ttl: '30s' },
        },
      },
    ],
    target: {
      name: 'web-tls',
      type: 'kubernetes.io/tls',
      // The engine answers certificate, private_key, issuing_ca, ca_chain, serial_number, ...:
      // the template keeps the three a TLS Secret holds, under their names.
      template: {
        data: {
          'tls.crt': '{{ .certificate }}',
          'tls.key': '{{ .private_key }}',
          'ca.crt': '{{ .issuing_ca }}',
        },
      },
    },
  });
  const ready = await objects.waitReady('web-tls', 'True', 'Synced');
  const first = leaseOf(ready)!;
  expect(first).toMatchObject({ renewable: false });
  expect(first.leaseId).toBeUndefined(); // PKI certificates come without a lease: replaced, not renewed
  expect(ready.status?.certificateNotAfter).toBe(first.expireTime);

  // Sample as a consumer would until the certificate was replaced twice (at about two thirds
  // of each 30 s life); a slow operator makes this longer, never a pass by luck.
  const serials = new Set<string>();
  const problems = { expired: 0, keyMismatch: 0, notFromCa: 0, incomplete: 0 };
  let samples = 0;
  const sample = async (): Promise<void> => {
    const secret = await objects.getSecret('web-tls');
    const sampledAt = Date.now();
    samples++;
    const [crt, key, ca] = ['tls.crt', 'tls.key', 'ca.crt'].map((k) => text(secret, k));
    if (!crt || !key || !ca || secret?.type !== 'kubernetes.io/tls') {
      problems.incomplete++;
    } else {
      fx.neverPrint(key);
      const certificate = new X509Certificate(crt);
      serials.add(certificate.serialNumber);
      if (Date.parse(certificate.validTo) <= sampledAt) problems.expired++;
      if (!certificate.checkPrivateKey(createPrivateKey(key))) problems.keyMismatch++;
      if (!certificate.verify(new X509Certificate(ca).publicKey)) problems.notFromCa++;
    }
  };
  await holdsFor(sample, 110_000, { intervalMs: 300, until: () => serials.size >= 3 });
  expect(problems).toEqual({ expired: 0, keyMismatch: 0, notFromCa: 0, incomplete: 0 });
  expect(samples).toBeGreaterThan(50);
  // The first certificate and two replacements, each seen in the Secret.
  expect(serials.size).toBeGreaterThanOrEqual(3);

  const source = await objects.getSource('web-tls');
  expect(source?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  expect(leaseOf(source)!.issueTime > first.issueTime).toBe(true);
  await objects.waitEvent('web-tls', 'Normal', 'CredentialsReplaced');
  const samplesNow = await fx.metrics();
  expect(
    metric(samplesNow, 'secretsource_dynamic_issues_total', { reason: 'expiring', result: 'issued' }),
  ).toBeGreaterThanOrEqual(serials.size - 1);
  await deleteSource('web-tls');
});

test('a renewable lease is renewed in place, replaced near its max TTL without a gap, and the replaced one revoked', async () => {
  const before = await fx.metrics();
  await objects.createSource('broker', {
    dataFrom: [{ dynamic: { path: `${rabbitmq}/creds/app` } }],
    lease: { revokeAfter: '5s' },
  });
  const ready = await objects.waitReady('broker', 'True', 'Synced');
  const first = leaseOf(ready)!;
  expect(first.renewable).toBe(true);
  expect(first.leaseId).toMatch(new RegExp(`^${rabbitmq}/creds/app/`));
  const secret = await objects.getSecret('broker');
  const credentials = { username: text(secret, 'username'), password: text(secret, 'password') };
  expect(broker.accepts(credentials.username, credentials.password)).toBe(true);
  expect(fx.leaked(JSON.stringify(ready.status))).toBe(0);

  // Sample until the lease is replaced (by the max TTL, at about 50 s) and a little beyond.
  const renewTimes = new Set<string>();
  const problems = { empty: 0, deadCredentials: 0, changedWhileRenewing: 0 };
  let replacedAt: number | undefined;
  let second: Lease | undefined;
  const sample = async (): Promise<void> => {
    const [current, source] = await Promise.all([objects.getSecret('broker'), objects.getSource('broker')]);
    const username = text(current, 'username');
    const password = text(current, 'password');
    if (!username || !password) problems.empty++;
    // The credentials a consumer reads right now are live at the broker.
    else if (!broker.accepts(username, password)) problems.deadCredentials++;
    const lease = leaseOf(source);
    if (lease?.leaseId === first.leaseId) {
      if (lease?.renewTime) renewTimes.add(lease.renewTime);
      if (username !== credentials.username || password !== credentials.password)
        problems.changedWhileRenewing++;
    } else if (lease?.leaseId !== undefined && replacedAt === undefined) {
      replacedAt = Date.now();
      second = lease;
    }
  };
  await holdsFor(sample, 100_000, {
    intervalMs: 400,
    until: () => replacedAt !== undefined && Date.now() >= replacedAt + 3_000,
  });
  expect(problems).toEqual({ empty: 0, deadCredentials: 0, changedWhileRenewing: 0 });
  expect(replacedAt).toBeDefined();
  // 20 s leases renewed at about two thirds, up to 60 s: renewed at least twice before the cap.
  expect(renewTimes.size).toBeGreaterThanOrEqual(2);
  expect(second!.leaseId).not.toBe(first.leaseId);
  const replaced = await objects.getSecret('broker');
  const next = { username: text(replaced, 'username'), password: text(replaced, 'password') };
  expect(next.username).not.toBe(credentials.username);
  expect(broker.accepts(next.username, next.password)).toBe(true);

  const afterReplace = await fx.metrics();
  const delta = (name: string, labels: Record<string, string>) =>
    metric(afterReplace, name, labels) - metric(before, name, labels);
  expect(delta('secretsource_lease_renewals_total', { result: 'renewed' })).toBeGreaterThanOrEqual(2);
  expect(delta('secretsource_lease_renewals_total', { result: 'max_ttl' })).toBe(1);
  expect(delta('secretsource_lease_renewals_total', { result: 'error' })).toBe(0);
  expect(delta('secretsource_dynamic_issues_total', { reason: 'max_ttl', result: 'issued' })).toBe(1);
  const expiry = afterReplace.find(
    (s) => s.name === 'secretsource_lease_expiry_timestamp_seconds' && s.labels.secretsource === 'broker',
  );
  expect(expiry?.value).toBeGreaterThanOrEqual(Date.parse(second!.expireTime) / 1000);
  // The next refresh (the next renewal) is planned inside the new lease, before it expires.
  const nextRefresh = afterReplace.find(
    (s) => s.name === 'secretsource_next_refresh_timestamp_seconds' && s.labels.secretsource === 'broker',
  );
  expect(nextRefresh?.value).toBeGreaterThan(Date.parse(second!.issueTime) / 1000);
  expect(nextRefresh?.value).toBeLessThan(Date.parse(second!.expireTime) / 1000);
  await objects.waitEvent('broker', 'Normal', 'LeaseRenewed');
  await objects.waitEvent('broker', 'Normal', 'CredentialsReplaced');

  // revokeAfter: 5 s after the Secret held the new credentials, the old lease and its user go.
  await eventually(async () => {
    if (await leaseExists(first.leaseId!)) throw new Error(`lease ${first.leaseId} is not revoked yet`);
  }, 30_000);
  expect(broker.users.get(credentials.username)?.deletedAt).toBeDefined();
  expect(await leaseExists(second!.leaseId!)).toBe(true);
  await objects.waitEvent('broker', 'Normal', 'LeaseRevoked');
  await eventually(async () => {
    const source = await objects.getSource('broker');
    if (source?.status?.replacedLeases?.length) throw new Error('status still lists the replaced lease');
    const samples = await fx.metrics();
    if (metric(samples, 'secretsource_lease_revocations_total', { result: 'revoked' }) < 1)
      throw new Error('no revocation counted yet');
  });
  expect(metric(await fx.metrics(), 'secretsource_lease_revocations_total', { result: 'error' })).toBe(0);
  expect(fx.leaked(JSON.stringify((await objects.getSource('broker'))?.status))).toBe(0);
  await deleteSource('broker');
});

test('an operator restarted mid-lease picks the lease up from status and renews it, issuing nothing', async () => {
  await objects.createSource('resume', { dataFrom: [{ dynamic: { path: `${rabbitmq}/creds/app` } }] });
  const ready = await objects.waitReady('resume', 'True', 'Synced');
  const lease = leaseOf(ready)!;
  const secret = await objects.getSecret('resume');
  const credentials = `${text(secret, 'username')}:${text(secret, 'password')}`;
  const users = broker.users.size;

  expect(await fx.operator.stop()).toBe(0);
  const operator: RunningOperator = await fx.startOperator();

  // The new operator renews the recorded lease when its time comes (about 13 s after the issue).
  const renewed = await eventually(async () => {
    const current = leaseOf(await objects.getSource('resume'));
    if (!current || current.leaseId !== lease.leaseId || current.renewTime === undefined)
      throw new Error(`lease ${lease.leaseId} not renewed by the new operator yet`);
    return current;
  }, 40_000);
  expect(Date.parse(renewed.expireTime)).toBeGreaterThan(Date.parse(lease.expireTime));
  const samples = await scrape(operator.metricsUrl);
  expect(metric(samples, 'secretsource_dynamic_issues_total')).toBe(0);
  expect(metric(samples, 'secretsource_lease_renewals_total', { result: 'renewed' })).toBeGreaterThanOrEqual(
    1,
  );
  expect(broker.users.size).toBe(users); // the engine was asked for no new credentials
  const after = await objects.getSecret('resume');
  expect(`${text(after, 'username')}:${text(after, 'password')}` === credentials).toBe(true);
  expect(fx.leaked(operator.output())).toBe(0);
});
