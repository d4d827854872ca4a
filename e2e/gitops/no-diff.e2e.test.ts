// No permanent diffs for GitOps tools. Every sample in config/samples and SecretSources that
// together set every optional field of the SecretSource schema are server-side applied under a
// GitOps tool's field manager; the operator (as its config/rbac ServiceAccount) syncs them; then
// `kubectl diff --server-side` of the same manifests shows nothing (exit code 0), applying them
// again changes nothing, and managedFields show that the operator's managers own only status and
// the finalizer, never a field of spec or metadata the GitOps manager owns.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import YAML from 'yaml';
import { secretSourceSpecSchema, type JSONSchemaProps } from '../../src/api/v1alpha1/schema.js';
import { eventually, readyCondition, repoRoot, requireEnv, uniqueName } from '../support/kube.js';
import { openBaoTokenProvider } from '../cases/openbao.js';
import { OpenBaoAdmin } from '../support/openbao-admin.js';
import { mountPki, pkiIssuePolicy } from '../support/openbao-pki.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import type { SecretSourceObjects } from '../support/secret-sources.js';
import { kubectl, parseManifests, type Manifest } from './manifests.js';

jest.setTimeout(120_000);

/** Flux's field manager; Argo CD's server-side apply uses argocd-controller the same way. */
const GITOPS_MANAGER = 'kustomize-controller';
/**
 * The operator's field manager on its own kinds (src/controller/kube-gateway.ts):
 * secretsource-operator, for every status patch and the finalizer. Nothing else writes these
 * objects here.
 */
const OPERATOR_MANAGERS = ['secretsource-operator'];
const FINALIZER_FIELDS = { 'f:metadata': { 'f:finalizers': { 'v:"secretsource.dev/finalizer"': {} } } };
/** A closed port on loopback: the samples' backends are examples, and nothing may leave this machine. */
const NOWHERE = 'https://127.0.0.1:9';

// The operator syncs what the test applies (the SecretProvider `moto` among it); the manifests are
// written before it starts.
const fx = useOperatorFixture({
  name: 'e2e-gitops',
  defaultProvider: 'moto',
  beforeOperator: async (fixture) => {
    ({ namespace, objects } = fixture);
    await prepare();
  },
});
const { kc, core } = fx;
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const aws = new SecretsManagerClient({
  region: requireEnv('AWS_REGION'),
  endpoint: requireEnv('AWS_ENDPOINT_URL'),
});
const prefix = uniqueName('e2e-gitops');
const awsSecrets: string[] = [];
const workDir = mkdtempSync(path.join(tmpdir(), 'e2e-gitops-'));
const clusterProvider = uniqueName('e2e-gitops-vault-prod');
const pki = uniqueName('pki-gitops');

let namespace: string;
let objects: SecretSourceObjects;
let manifestFile: string;
let manifests: Manifest[];

async function awsSecret(name: string, value: string, tags?: Record<string, string>): Promise<string> {
  const id = `${prefix}/${name}`;
  await aws.send(
    new CreateSecretCommand({
      Name: id,
      SecretString: value,
      Tags: Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  awsSecrets.push(id);
  return id;
}

const generated = (): string => fx.generated();

/** config/samples, moved into this test's namespace and names, with every backend on NOWHERE. */
function samples(): Manifest[] {
  const dir = path.join(repoRoot, 'config/samples');
  const objects = readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .sort()
    .flatMap((file) => parseManifests(readFileSync(path.join(dir, file), 'utf8')));
  for (const object of objects) {
    const spec = object.spec as Record<string, Record<string, unknown>>;
    if (object.kind === 'ClusterSecretProvider') {
      object.metadata.name = clusterProvider;
      spec.conditions = [{ namespaces: [namespace] }] as unknown as Record<string, unknown>;
    } else {
      object.metadata.namespace = namespace;
    }
    if (object.kind === 'SecretSource') (spec.providerRef as { name: string }).name = clusterProvider;
    if (spec.vault) spec.vault.server = NOWHERE;
    if (spec.aws) spec.aws.endpoint = NOWHERE;
    if (spec.azure) spec.azure.vaultUrl = NOWHERE;
  }
  return objects;
}

/** SecretSources that, between them, set every field of the schema (checked below). */
async function everyFieldSources(): Promise<Manifest[]> {
  const db = await awsSecret('db', JSON.stringify({ username: 'app', password: generated() }));
  const token = await awsSecret('token', Buffer.from(generated()).toString('base64'));
  const conn = await awsSecret('conn', JSON.stringify({ host: 'db.payments.svc', port: 'p:5432' }));
  await awsSecret('found/one', generated(), { team: 'payments' });
  // Created by the operator (spec.generate below); removed with the others.
  awsSecrets.push(...['password', 'api-key', 'rsa', 'ecdsa'].map((name) => `${prefix}/generated/${name}`));
  const source = (name: string, spec: Record<string, unknown>): Manifest => ({
    apiVersion: 'secretsource.dev/v1alpha1',
    kind: 'SecretSource',
    metadata: { name, namespace },
    spec: { providerRef: { kind: 'SecretProvider', name: 'moto' }, ...spec },
  });
  return [
    source('every-field', {
      data: [
        {
          key: 'password',
          remoteRef: { path: db, property: 'password', version: 'AWSCURRENT' },
          decoding: 'None',
        },
        { key: 'token', remoteRef: { path: token }, decoding: 'Base64' },
      ],
      dataFrom: [
        { path: conn, decoding: 'Auto', rewrite: [{ regexp: { source: '^(.*)$', target: 'conn_$1' } }] },
        {
          find: { path: `${prefix}/found/`, name: { regexp: 'one$' }, tags: { team: 'payments' } },
          rewrite: [{ regexp: { source: '/', target: '_' } }],
        },
      ],
      duplicateKeys: 'LastWins',
      allowEmpty: true,
      target: {
        name: 'every-field',
        type: 'Opaque',
        labels: { app: 'payments' },
        annotations: { 'payments.example/team': 'payments' },
        template: {
          data: { dsn: 'postgres://app:{{ .password }}@{{ .conn_host }}' },
          labels: { tier: 'db' },
          annotations: { 'payments.example/rendered': 'yes' },
          configMapRef: { name: 'templates', items: ['greeting'] },
        },
        creationPolicy: 'Owner',
        deletionPolicy: 'Retain',
        immutable: false,
      },
      refresh: { interval: '1h', jitter: '10%', policy: 'Periodic' },
      restartTargets: [{ kind: 'Deployment', name: 'api' }],
    }),
    source('scheduled', {
      data: [
        { key: 'username', remoteRef: { path: db, property: 'username' } },
        { key: 'password', remoteRef: { path: db, property: 'password' } },
      ],
      target: {
        name: 'registry',
        type: 'kubernetes.io/dockerconfigjson',
        dockerConfig: {
          registry: 'registry.example',
          username: '{{ .username }}',
          password: '{{ .password }}',
          email: 'ops@example.com',
        },
        creationPolicy: 'Orphan',
        deletionPolicy: 'Delete',
        immutable: true,
      },
      refresh: { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', policy: 'OnChange' },
    }),
    // dataFrom[].dynamic: a certificate OpenBao issues, kept on its lease.
    source('dynamic', {
      providerRef: { kind: 'SecretProvider', name: 'openbao' },
      dataFrom: [
        {
          dynamic: {
            path: `${pki}/issue/web`,
            method: 'POST',
            parameters: { common_name: 'web.example.test', ttl: '5m' },
          },
        },
      ],
      lease: { renewAt: '67%', revokeAfter: '30s' },
      target: { name: 'dynamic' },
    }),
    // spec.generate: the operator writes these values to moto first (rotation at the source).
    source('generated', {
      generate: [
        {
          key: 'password',
          remoteRef: { path: `${prefix}/generated/password` },
          password: { length: 24, digits: 2, symbols: 2, symbolCharacters: '-_.', noUpper: true },
        },
        {
          key: 'api-key',
          remoteRef: { path: `${prefix}/generated/api-key` },
          randomBytes: { length: 16, encoding: 'hex' },
        },
        {
          key: 'rsa',
          remoteRef: { path: `${prefix}/generated/rsa`, property: 'key' },
          keyPair: { algorithm: 'RSA', bits: 2048, publicKeyFormat: 'PEM' },
        },
        {
          key: 'ecdsa',
          remoteRef: { path: `${prefix}/generated/ecdsa`, property: 'key' },
          keyPair: { algorithm: 'ECDSA', curve: 'P-256', publicKeyFormat: 'OpenSSH' },
        },
      ],
      target: { name: 'generated' },
    }),
  ];
}

/** Every field path of a schema: `a.b`, `a[]` for list items, `a{}` for map entries. */
function schemaPaths(schema: JSONSchemaProps, at = ''): string[] {
  const here = at === '' ? [] : [at];
  const join = (name: string) => (at === '' ? name : `${at}.${name}`);
  return [
    ...here,
    ...Object.entries(schema.properties ?? {}).flatMap(([name, child]) => schemaPaths(child, join(name))),
    ...(schema.items ? schemaPaths(schema.items, `${at}[]`) : []),
    ...(schema.additionalProperties ? schemaPaths(schema.additionalProperties, `${at}{}`) : []),
  ];
}

/** The field paths an object sets, named as schemaPaths names them. */
function setPaths(value: unknown, schema: JSONSchemaProps, at = ''): string[] {
  const here = at === '' ? [] : [at];
  const join = (name: string) => (at === '' ? name : `${at}.${name}`);
  if (Array.isArray(value) && schema.items)
    return [...here, ...value.flatMap((item) => setPaths(item, schema.items!, `${at}[]`))];
  if (value === null || typeof value !== 'object') return here;
  const entries = Object.entries(value as Record<string, unknown>);
  if (schema.properties)
    return [
      ...here,
      ...entries.flatMap(([name, child]) =>
        schema.properties![name]
          ? setPaths(child, schema.properties![name]!, join(name))
          : [`${join(name)} (unknown)`],
      ),
    ];
  if (schema.additionalProperties)
    return [
      ...here,
      ...entries.flatMap(([, child]) => setPaths(child, schema.additionalProperties!, `${at}{}`)),
    ];
  return here;
}

function diff(): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    requireEnv('KUBECTL'),
    ['diff', '--server-side', `--field-manager=${GITOPS_MANAGER}`, '-f', manifestFile],
    { encoding: 'utf8', env: { ...process.env } },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Live extends Manifest {
  metadata: Manifest['metadata'] & {
    generation: number;
    resourceVersion: string;
    finalizers?: string[];
    managedFields?: k8s.V1ManagedFieldsEntry[];
  };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason: string }[] };
}

const PLURALS: Record<string, string> = {
  SecretSource: 'secretsources',
  SecretProvider: 'secretproviders',
  ClusterSecretProvider: 'clustersecretproviders',
};

async function live(object: Manifest): Promise<Live> {
  const api = {
    group: 'secretsource.dev',
    version: 'v1alpha1',
    plural: PLURALS[object.kind]!,
    name: object.metadata.name,
  };
  return (
    object.metadata.namespace === undefined
      ? await custom.getClusterCustomObject(api)
      : await custom.getNamespacedCustomObject({ ...api, namespace: object.metadata.namespace })
  ) as Live;
}

const describe_ = (object: Manifest) => `${object.kind} ${object.metadata.name}`;

/** The credentials, template and manifests the test applies; cleanups of what it leaves in moto. */
async function prepare(): Promise<void> {
  fx.onCleanup(async () => {
    await custom
      .deleteClusterCustomObject({
        group: 'secretsource.dev',
        version: 'v1alpha1',
        plural: 'clustersecretproviders',
        name: clusterProvider,
      })
      .catch(() => undefined);
    for (const id of awsSecrets)
      await aws
        .send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }))
        .catch(() => undefined);
    aws.destroy();
    rmSync(workDir, { recursive: true, force: true });
  });
  // Not the samples' aws-creds: that sample provider must stay without credentials.
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'moto-creds' },
      stringData: { id: requireEnv('AWS_ACCESS_KEY_ID'), secret: requireEnv('AWS_SECRET_ACCESS_KEY') },
    },
  });
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'templates' }, data: { greeting: 'port {{ .conn_port }}', unused: 'x' } },
  });
  const moto: Manifest = {
    apiVersion: 'secretsource.dev/v1alpha1',
    kind: 'SecretProvider',
    metadata: { name: 'moto', namespace },
    spec: {
      aws: {
        region: requireEnv('AWS_REGION'),
        endpoint: requireEnv('AWS_ENDPOINT_URL'),
        auth: { secretRef: { name: 'moto-creds', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' } },
      },
    },
  };
  manifests = [...samples(), moto, await openBaoPki(), ...(await everyFieldSources())];
  manifestFile = path.join(workDir, 'manifests.yaml');
  // YAML 1.1, as kubectl reads it: `yes`, `on` and the like are quoted, not booleans.
  writeFileSync(manifestFile, manifests.map((o) => YAML.stringify(o, { version: '1.1' })).join('---\n'));
}

/** A SecretProvider `openbao` whose token may issue certificates from this run's PKI mount. */
async function openBaoPki(): Promise<Manifest> {
  const admin = OpenBaoAdmin.fromEnv();
  const onCleanup = fx.onCleanup.bind(fx);
  await mountPki(admin, pki, onCleanup);
  await admin.putPolicy(pki, pkiIssuePolicy(pki).join('\n'));
  onCleanup(() => admin.deletePolicy(pki));
  const token = await admin.createToken([pki], '1h');
  fx.neverPrint(token);
  onCleanup(() => admin.revokeToken(token));
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'openbao-token' }, stringData: { token } },
  });
  return {
    apiVersion: 'secretsource.dev/v1alpha1',
    kind: 'SecretProvider',
    metadata: { name: 'openbao', namespace },
    spec: openBaoTokenProvider('openbao-token'),
  };
}

test('the SecretSources applied set every optional field of the schema', () => {
  const wanted = schemaPaths(secretSourceSpecSchema);
  const set = new Set(
    manifests
      .filter((o) => o.kind === 'SecretSource')
      .flatMap((o) => setPaths(o.spec, secretSourceSpecSchema)),
  );
  expect(wanted.length).toBeGreaterThan(40);
  expect({ notSet: wanted.filter((p) => !set.has(p)) }).toEqual({ notSet: [] });
  expect({ unknown: [...set].filter((p) => p.endsWith('(unknown)')) }).toEqual({ unknown: [] });
});

test('after the operator synced, kubectl diff --server-side shows nothing and managedFields are ours', async () => {
  kubectl(['apply', '--server-side', `--field-manager=${GITOPS_MANAGER}`, '-f', manifestFile]);

  // The operator has answered every object: a status for the current generation, and for the
  // SecretSources that can sync (the samples' backends are nowhere) Ready=True with the finalizer.
  for (const object of manifests) {
    await eventually(async () => {
      const current = await live(object);
      if (current.status?.observedGeneration !== current.metadata.generation || !readyCondition(current))
        throw new Error(`${describe_(object)}: no status for generation ${current.metadata.generation} yet`);
    }, 30_000);
  }
  for (const name of ['every-field', 'scheduled', 'generated', 'dynamic']) {
    await objects.waitReady(name, 'True', 'Synced', 30_000);
    // Written after the first sync: Owner + Retain (the default) and Orphan + Delete need it.
    await eventually(async () => {
      if (!(await objects.getSource(name))?.metadata.finalizers?.includes('secretsource.dev/finalizer'))
        throw new Error(`SecretSource ${name} has no finalizer yet`);
    });
  }
  await objects.waitProviderReady('moto', 'True', 'Valid');
  await objects.waitProviderReady('openbao', 'True', 'Valid');
  const before = await Promise.all(manifests.map(live));

  const result = diff();
  expect({ exit: result.status, diff: result.stdout, stderr: result.stderr }).toEqual({
    exit: 0,
    diff: '',
    stderr: '',
  });

  // Applying the same manifests again changes no spec: no object gets a new generation.
  kubectl(['apply', '--server-side', `--field-manager=${GITOPS_MANAGER}`, '-f', manifestFile]);
  const after = await Promise.all(manifests.map(live));
  expect(after.map((o) => [describe_(o), o.metadata.generation])).toEqual(
    before.map((o) => [describe_(o), o.metadata.generation]),
  );

  for (const object of after) {
    const entries = object.metadata.managedFields ?? [];
    const ours = entries.filter((e) => e.manager === GITOPS_MANAGER);
    expect({ object: describe_(object), gitops: ours.map((e) => e.operation) }).toEqual({
      object: describe_(object),
      gitops: ['Apply'],
    });
    expect(Object.keys((ours[0]!.fieldsV1 ?? {}) as object)).toContain('f:spec');
    for (const entry of entries.filter((e) => e.manager !== GITOPS_MANAGER)) {
      const fields = entry.fieldsV1 as Record<string, unknown>;
      const what = { object: describe_(object), manager: entry.manager, subresource: entry.subresource };
      expect(OPERATOR_MANAGERS).toContain(entry.manager);
      if (entry.subresource === 'status')
        expect({ ...what, fields: Object.keys(fields) }).toEqual({ ...what, fields: ['f:status'] });
      else expect({ ...what, fields }).toEqual({ ...what, fields: FINALIZER_FIELDS });
    }
  }
});
