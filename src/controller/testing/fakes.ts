// Fakes behind the controller's interfaces, so reconcile logic is unit tested without servers.
// They record what was asked of them and keep just enough state (a Secret "server", a backend of
// JSON documents) for a reconcile to read back what an earlier one wrote. Real servers are
// tested in e2e/. No jest here: this file is plain TypeScript usable from any test.
import { OPERATOR_FIELD_MANAGER } from '../../api/v1alpha1/names.js';
import type { CachedProviderClient, ProviderObject } from '../../providers/client-cache.js';
import { InvalidRefError, NotFoundError } from '../../providers/errors.js';
import { encodeDocument, propertyOf, type Document } from '../../providers/property.js';
import type {
  FindQuery,
  IssuedCredentials,
  IssueRequest,
  ProviderWarning,
  RemoteLease,
  RemoteRef,
  RemoteValue,
} from '../../providers/types.js';
import type { AppliedSecret } from '../../secrets/target.js';
import type { EventRecorder, EventType, InvolvedObject } from '../../kube/events.js';
import type {
  KubeGateway,
  LiveSecret,
  ProviderClients,
  ProviderKind,
  ReconcileLogger,
  SecretMetadataPatch,
  Store,
  WorkloadRef,
} from '../ports.js';
import { fieldLeaves, fieldsTree } from '../../kube/managed-fields.js';

/** A Store over a Map, standing in for an informer cache. */
export class MapStore<T> implements Store<T> {
  readonly #items = new Map<string, T>();

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  set(key: string, value: T): this {
    this.#items.set(key, value);
    return this;
  }

  delete(key: string): void {
    this.#items.delete(key);
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

export type KubeCall =
  | { op: 'applySecret'; secret: AppliedSecret; fieldManager: string; force: boolean }
  | { op: 'patchSecretMetadata'; namespace: string; name: string; patch: SecretMetadataPatch }
  | { op: 'deleteSecret'; namespace: string; name: string; uid: string }
  | { op: 'releaseSecret'; namespace: string; name: string; ownerUid: string }
  | { op: 'restartWorkload'; workload: WorkloadRef; annotation: string; value: string }
  | { op: 'patchSecretSourceStatus'; namespace: string; name: string; status: Record<string, unknown> }
  | {
      op: 'patchProviderStatus';
      kind: ProviderKind;
      namespace: string | undefined;
      name: string;
      status: Record<string, unknown>;
    }
  | {
      op: 'setFinalizer';
      namespace: string;
      name: string;
      finalizer: string;
      present: boolean;
      uid: string | undefined;
    };

export type KubeWriteOp = KubeCall['op'];

/** One manager's fields of one Secret, as fieldsV1 leaf paths (JSON-encoded). */
interface Ownership {
  manager: string;
  operation: 'Apply' | 'Update';
  fields: Set<string>;
}

/** A 409 as client-node reports it. */
export class FakeConflict extends Error {
  readonly code = 409;
  readonly body = { message: 'Apply failed with a conflict' };
}

/**
 * A KubeGateway over an in-memory set of Secrets that models server-side apply the way the API
 * server does: each field manager owns the fields it applied, an apply drops fields its manager
 * applied before and leaves out (removing them when no other manager owns them), a forced apply
 * takes conflicting fields from their owners, and hand edits (`updateSecret`, an Update by
 * another manager) take the fields they change. metadata.managedFields is written as the API
 * server writes it, so the code under test reads ownership the way it does in production. Writes
 * are recorded in `calls`; getSecret is counted in `reads`.
 */
export class FakeKubeGateway implements KubeGateway {
  readonly calls: KubeCall[] = [];
  /** The "server": Secrets by `namespace/name`. */
  readonly secrets = new Map<string, LiveSecret>();
  reads = 0;
  readonly #owners = new Map<string, Ownership[]>();
  readonly #history = new Map<string, LiveSecret[]>();
  readonly #failures = new Map<KubeWriteOp | 'getSecret', unknown[]>();
  #nextUid = 1;
  #resourceVersion = 1;

  /** The next call of `op` throws `error` (queued: several calls fail in order). */
  failNext(op: KubeWriteOp | 'getSecret', error: unknown): void {
    const queue = this.#failures.get(op) ?? [];
    queue.push(error);
    this.#failures.set(op, queue);
  }

  /** Recorded writes, optionally of one kind. */
  writes<Op extends KubeWriteOp>(op?: Op): Extract<KubeCall, { op: Op }>[] {
    return this.calls.filter((call) => op === undefined || call.op === op) as Extract<KubeCall, { op: Op }>[];
  }

  /** Puts a Secret on the "server" as someone else created it (no fields of ours). */
  putSecret(secret: LiveSecret): LiveSecret {
    const { namespace, name } = secret.metadata ?? {};
    const key = `${namespace}/${name}`;
    const stored: LiveSecret = structuredClone(secret);
    stored.metadata = { uid: `secret-uid-${this.#nextUid++}`, ...stored.metadata };
    stored.type ??= 'Opaque';
    this.#owners.set(key, [{ manager: 'kubectl-create', operation: 'Update', fields: objectFields(stored) }]);
    this.#store(key, stored);
    return structuredClone(this.secrets.get(key)!);
  }

  /** A hand edit (`kubectl edit`): an Update by `manager`, which takes every field it changes. */
  updateSecret(key: string, mutate: (secret: LiveSecret) => void, manager = 'kubectl-edit'): void {
    const live = structuredClone(this.secrets.get(key)!);
    const before = fieldValues(live);
    mutate(live);
    const after = fieldValues(live);
    const owners = this.#ownersOf(key);
    const changed = [...after.keys()].filter((path) => before.get(path) !== after.get(path));
    const removed = [...before.keys()].filter((path) => !after.has(path));
    for (const owner of owners) for (const path of [...changed, ...removed]) owner.fields.delete(path);
    if (changed.length > 0) {
      let entry = owners.find((o) => o.manager === manager && o.operation === 'Update');
      if (!entry) owners.push((entry = { manager, operation: 'Update', fields: new Set() }));
      for (const path of changed) entry.fields.add(path);
    }
    this.#store(key, live);
  }

  /** What an earlier version of the operator wrote: an apply by another manager, recorded as a call. */
  applyAs(fieldManager: string, secret: AppliedSecret): void {
    this.#apply(secret, fieldManager, true);
  }

  /** The managers with fields in the Secret, in managedFields order. */
  managersOf(key: string): string[] {
    return this.#ownersOf(key).map((o) => o.manager);
  }

  /** Every version of the Secret the "server" stored, oldest first. */
  history(key: string): LiveSecret[] {
    return structuredClone(this.#history.get(key) ?? []);
  }

  async getSecret(namespace: string, name: string): Promise<LiveSecret | undefined> {
    this.reads++;
    this.#maybeFail('getSecret');
    const secret = this.secrets.get(`${namespace}/${name}`);
    return secret === undefined ? undefined : structuredClone(secret);
  }

  /** ConfigMaps the fake server holds, by namespace/name. */
  readonly configMaps = new Map<string, { data?: Record<string, string> }>();

  async getConfigMap(
    namespace: string,
    name: string,
  ): Promise<{ data?: Record<string, string> } | undefined> {
    this.reads++;
    return structuredClone(this.configMaps.get(`${namespace}/${name}`));
  }

  async applySecret(
    secret: AppliedSecret,
    fieldManager: string,
    options: { force: boolean } = { force: true },
  ): Promise<LiveSecret> {
    this.calls.push({
      op: 'applySecret',
      secret: structuredClone(secret),
      fieldManager,
      force: options.force,
    });
    this.#maybeFail('applySecret');
    return this.#apply(secret, fieldManager, options.force);
  }

  async patchSecretMetadata(namespace: string, name: string, patch: SecretMetadataPatch): Promise<void> {
    this.calls.push({ op: 'patchSecretMetadata', namespace, name, patch: structuredClone(patch) });
    this.#maybeFail('patchSecretMetadata');
    const key = `${namespace}/${name}`;
    const live = structuredClone(this.secrets.get(key));
    if (!live || live.metadata?.resourceVersion !== patch.resourceVersion) throw new FakeConflict();
    const owners = (patch.managedFields ?? []).map((entry): Ownership => ({
      manager: entry.manager ?? '',
      operation: entry.operation === 'Apply' ? 'Apply' : 'Update',
      fields: new Set(fieldLeaves(entry.fieldsV1).map((path) => JSON.stringify(path))),
    }));
    for (const [annotation, value] of Object.entries(patch.annotations ?? {})) {
      if (value !== null) continue;
      delete live.metadata?.annotations?.[annotation];
      const path = JSON.stringify(['f:metadata', 'f:annotations', `f:${annotation}`]);
      for (const owner of owners) owner.fields.delete(path);
    }
    this.#owners.set(key, owners);
    this.#store(key, live);
  }

  async deleteSecret(namespace: string, name: string, uid: string): Promise<void> {
    this.calls.push({ op: 'deleteSecret', namespace, name, uid });
    this.#maybeFail('deleteSecret');
    const key = `${namespace}/${name}`;
    if (this.secrets.get(key)?.metadata?.uid === uid) {
      this.secrets.delete(key);
      this.#owners.delete(key);
    }
  }

  async releaseSecret(namespace: string, name: string, ownerUid: string): Promise<void> {
    this.calls.push({ op: 'releaseSecret', namespace, name, ownerUid });
    this.#maybeFail('releaseSecret');
    const key = `${namespace}/${name}`;
    if (this.secrets.has(key)) {
      this.updateSecret(
        key,
        (secret) => {
          const metadata = secret.metadata!;
          if (metadata.ownerReferences) {
            metadata.ownerReferences = metadata.ownerReferences.filter((o) => o.uid !== ownerUid);
          }
        },
        OPERATOR_FIELD_MANAGER,
      );
    }
  }

  async patchSecretSourceStatus(namespace: string, name: string, status: object): Promise<void> {
    this.calls.push({
      op: 'patchSecretSourceStatus',
      namespace,
      name,
      status: structuredClone(status) as Record<string, unknown>,
    });
    this.#maybeFail('patchSecretSourceStatus');
  }

  /** Workloads the fake server holds, as `Kind/namespace/name`. */
  readonly workloads = new Set<string>();

  async restartWorkload(workload: WorkloadRef, annotation: string, value: string): Promise<boolean> {
    this.calls.push({ op: 'restartWorkload', workload, annotation, value });
    this.#maybeFail('restartWorkload');
    return this.workloads.has(`${workload.kind}/${workload.namespace}/${workload.name}`);
  }

  async patchProviderStatus(
    kind: ProviderKind,
    namespace: string | undefined,
    name: string,
    status: object,
  ): Promise<void> {
    this.calls.push({
      op: 'patchProviderStatus',
      kind,
      namespace,
      name,
      status: structuredClone(status) as Record<string, unknown>,
    });
    this.#maybeFail('patchProviderStatus');
  }

  async setFinalizer(
    namespace: string,
    name: string,
    finalizer: string,
    present: boolean,
    uid: string | undefined,
  ): Promise<void> {
    this.calls.push({ op: 'setFinalizer', namespace, name, finalizer, present, uid });
    this.#maybeFail('setFinalizer');
  }

  #apply(secret: AppliedSecret, manager: string, force: boolean): LiveSecret {
    const { namespace, name } = secret.metadata;
    const key = `${namespace}/${name}`;
    const existing = this.secrets.get(key);
    const live: LiveSecret = structuredClone(existing) ?? {
      metadata: { name, namespace, uid: `secret-uid-${this.#nextUid++}` },
    };
    const owners = existing ? this.#ownersOf(key) : [];
    const wanted = fieldValues(configObject(secret));
    const current = fieldValues(live);
    for (const owner of owners) {
      if (owner.manager === manager && owner.operation === 'Apply') continue;
      for (const path of [...owner.fields]) {
        if (!wanted.has(path) || wanted.get(path) === current.get(path)) continue;
        if (!force) throw new FakeConflict();
        owner.fields.delete(path);
      }
    }
    let ours = owners.find((o) => o.manager === manager && o.operation === 'Apply');
    if (!ours) owners.push((ours = { manager, operation: 'Apply', fields: new Set() }));
    for (const path of ours.fields) {
      if (wanted.has(path)) continue;
      if (!owners.some((o) => o !== ours && o.fields.has(path))) removeField(live, JSON.parse(path));
    }
    ours.fields = new Set(wanted.keys());
    setFields(live, secret);
    this.#owners.set(key, owners);
    this.#store(key, live);
    return structuredClone(this.secrets.get(key)!);
  }

  #ownersOf(key: string): Ownership[] {
    return this.#owners.get(key) ?? [];
  }

  /** Stores a new version: managedFields rebuilt from the owners, a new resourceVersion. */
  #store(key: string, live: LiveSecret): void {
    const owners = this.#ownersOf(key).filter((o) => o.fields.size > 0);
    this.#owners.set(key, owners);
    live.metadata = {
      ...live.metadata,
      resourceVersion: String(++this.#resourceVersion),
      managedFields: owners.map((o) => ({
        manager: o.manager,
        operation: o.operation,
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: fieldsTree([...o.fields].map((path) => JSON.parse(path) as string[])),
      })),
    };
    this.secrets.set(key, live);
    const history = this.#history.get(key) ?? [];
    history.push(structuredClone(live));
    this.#history.set(key, history);
  }

  #maybeFail(op: KubeWriteOp | 'getSecret'): void {
    const error = this.#failures.get(op)?.shift();
    if (error !== undefined) throw error;
  }
}

/** The parts of an applied configuration that are fields of the Secret. */
function configObject(secret: AppliedSecret): LiveSecret {
  return {
    metadata: {
      labels: secret.metadata.labels,
      annotations: secret.metadata.annotations,
      ...(secret.metadata.ownerReferences ? { ownerReferences: secret.metadata.ownerReferences } : {}),
    },
    ...(secret.type === undefined ? {} : { type: secret.type }),
    data: secret.data,
    ...(secret.immutable === undefined ? {} : { immutable: secret.immutable }),
  };
}

/** Every field of a Secret as a fieldsV1 leaf path (JSON-encoded) with its value. */
function fieldValues(secret: LiveSecret): Map<string, string> {
  const fields = new Map<string, string>();
  const put = (path: string[], value: unknown) => fields.set(JSON.stringify(path), JSON.stringify(value));
  for (const [k, v] of Object.entries(secret.data ?? {})) put(['f:data', `f:${k}`], v);
  for (const [k, v] of Object.entries(secret.metadata?.labels ?? {}))
    put(['f:metadata', 'f:labels', `f:${k}`], v);
  for (const [k, v] of Object.entries(secret.metadata?.annotations ?? {}))
    put(['f:metadata', 'f:annotations', `f:${k}`], v);
  for (const o of secret.metadata?.ownerReferences ?? [])
    put(['f:metadata', 'f:ownerReferences', `k:${JSON.stringify({ uid: o.uid })}`], o);
  if (secret.type !== undefined) put(['f:type'], secret.type);
  if (secret.immutable !== undefined) put(['f:immutable'], secret.immutable);
  return fields;
}

function objectFields(secret: LiveSecret): Set<string> {
  return new Set(fieldValues(secret).keys());
}

function removeField(secret: LiveSecret, path: string[]): void {
  const [first, second, third] = path;
  const strip = (key: string) => key.slice(2);
  if (first === 'f:data' && second) delete secret.data?.[strip(second)];
  else if (first === 'f:type') delete secret.type;
  else if (first === 'f:immutable') delete secret.immutable;
  else if (first === 'f:metadata' && second === 'f:labels' && third)
    delete secret.metadata?.labels?.[strip(third)];
  else if (first === 'f:metadata' && second === 'f:annotations' && third)
    delete secret.metadata?.annotations?.[strip(third)];
  else if (first === 'f:metadata' && second === 'f:ownerReferences' && third) {
    const uid = (JSON.parse(third.slice(2)) as { uid: string }).uid;
    if (secret.metadata?.ownerReferences)
      secret.metadata.ownerReferences = secret.metadata.ownerReferences.filter((o) => o.uid !== uid);
  }
}

function setFields(live: LiveSecret, secret: AppliedSecret): void {
  const metadata = (live.metadata ??= {});
  metadata.labels = { ...metadata.labels, ...secret.metadata.labels };
  metadata.annotations = { ...metadata.annotations, ...secret.metadata.annotations };
  for (const owner of secret.metadata.ownerReferences ?? []) {
    const { apiVersion, kind, name, uid } = owner;
    const others = (metadata.ownerReferences ?? []).filter((o) => o.uid !== uid);
    metadata.ownerReferences = [...others, { apiVersion, kind, name, uid }];
  }
  live.data = { ...live.data, ...secret.data };
  if (secret.type !== undefined) live.type = secret.type;
  live.type ??= 'Opaque';
  if (secret.immutable) live.immutable = true;
}

// ---------------------------------------------------------------------------------------------
// Providers

/** A backend of JSON documents by path; `get` without property returns the document, as providers do. */
export class FakeBackend {
  readonly documents = new Map<string, Document>();
  readonly #errors = new Map<string, Error>();
  readonly #warnings = new Map<string, ProviderWarning[]>();
  /** Remote reads per path (the provider calls a real backend would bill). */
  readonly reads = new Map<string, number>();

  set(path: string, document: Document): this {
    this.documents.set(path, document);
    this.#errors.delete(path);
    return this;
  }

  /** Every read of `path` fails with `error` until set() or clearError(). */
  failWith(path: string, error: Error): this {
    this.#errors.set(path, error);
    return this;
  }

  clearError(path: string): void {
    this.#errors.delete(path);
  }

  /** Reads of `path` come with these warnings (synced anyway, as an expired Key Vault version). */
  warn(path: string, warnings: ProviderWarning[]): this {
    this.#warnings.set(path, warnings);
    return this;
  }

  totalReads(): number {
    let total = 0;
    for (const count of this.reads.values()) total += count;
    return total;
  }

  read(ref: RemoteRef, description: string): RemoteValue {
    this.reads.set(ref.path, (this.reads.get(ref.path) ?? 0) + 1);
    const error = this.#errors.get(ref.path);
    if (error) throw error;
    const document = this.documents.get(ref.path);
    if (document === undefined) throw new NotFoundError({ provider: description, path: ref.path });
    const warnings = this.#warnings.get(ref.path);
    return {
      value: encodeDocument(document),
      ...(ref.version ? { version: ref.version } : {}),
      ...(warnings?.length ? { warnings } : {}),
    };
  }
}

/** A ProviderClient over a FakeBackend. validate() fails while `validateError` is set. */
export class FakeProviderClient implements CachedProviderClient {
  readonly providerType = 'vault';
  validateError: Error | undefined;
  /** dataFrom.find, when a test gives the fake one. */
  find?: (query: FindQuery, signal: AbortSignal) => Promise<Map<string, RemoteValue>>;
  /** Dynamic secrets, when a FakeSecretsEngine serves them. */
  issue?: (request: IssueRequest, signal: AbortSignal) => Promise<IssuedCredentials>;
  renewLease?: (id: string, incrementSeconds: number, signal: AbortSignal) => Promise<RemoteLease>;
  revokeLease?: (id: string, signal: AbortSignal) => Promise<void>;
  validations = 0;

  constructor(
    readonly backend: FakeBackend,
    readonly key = 'fake-client',
    readonly description = 'vault SecretProvider fake',
  ) {}

  async get(ref: RemoteRef, signal: AbortSignal): Promise<RemoteValue> {
    signal.throwIfAborted();
    const { property, ...whole } = ref;
    const value = this.backend.read(whole, this.description);
    return property === undefined
      ? value
      : propertyOf(value, property, { provider: this.description, path: ref.path });
  }

  /** Writes one property of a document, as the Vault KV client does (other properties are kept). */
  async write(ref: RemoteRef, value: Buffer, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.writes.push({ path: ref.path, property: ref.property });
    const error = this.writeErrors.shift();
    if (error) throw error;
    if (ref.property === undefined) throw new Error('the fake writes properties only');
    const document = this.backend.documents.get(ref.path) ?? {};
    this.backend.set(ref.path, { ...document, [ref.property]: value.toString() });
  }

  /** Every write, by path and property (never the value). */
  readonly writes: { path: string; property: string | undefined }[] = [];
  /** The next writes fail with these, in order. */
  readonly writeErrors: Error[] = [];

  async validate(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.validations++;
    if (this.validateError) throw this.validateError;
  }

  async close(): Promise<void> {}
}

export interface Acquisition {
  provider: ProviderObject;
  consumerNamespace: string | undefined;
}

/** ProviderClients handing out one client (or failing with `acquireError`), recording each acquire. */
export class FakeProviderClients implements ProviderClients {
  readonly acquisitions: Acquisition[] = [];
  acquireError: Error | undefined;

  constructor(readonly client: FakeProviderClient) {}

  async acquire(
    provider: ProviderObject,
    consumerNamespace: string | undefined,
  ): Promise<FakeProviderClient> {
    this.acquisitions.push({ provider, consumerNamespace });
    if (this.acquireError) throw this.acquireError;
    return this.client;
  }
}

// ---------------------------------------------------------------------------------------------
// Events and logs

export interface RecordedEvent {
  object: InvolvedObject;
  type: EventType;
  reason: string;
  message: string;
}

export class RecordingEventRecorder implements EventRecorder {
  readonly events: RecordedEvent[] = [];

  record(object: InvolvedObject, type: EventType, reason: string, message: string): void {
    this.events.push({ object, type, reason, message });
  }

  reasons(): string[] {
    return this.events.map((e) => `${e.type}/${e.reason}`);
  }
}

export interface LogEntry {
  level: 'info' | 'warn' | 'debug';
  fields: Record<string, unknown>;
  message: string;
}

export class RecordingLogger implements ReconcileLogger {
  readonly entries: LogEntry[] = [];

  info(fields: Record<string, unknown>, message: string): void {
    this.entries.push({ level: 'info', fields, message });
  }

  warn(fields: Record<string, unknown>, message: string): void {
    this.entries.push({ level: 'warn', fields, message });
  }

  debug(fields: Record<string, unknown>, message: string): void {
    this.entries.push({ level: 'debug', fields, message });
  }
}

// ---------------------------------------------------------------------------------------------
// Dynamic secrets

/** What a fake secrets engine issues on one path. */
export interface FakeRole {
  /** The lease each issue and renewal grants, in seconds. */
  ttlSeconds: number;
  /** The longest a lease lives from its issue; renewals are capped by it. Default: no cap. */
  maxTtlSeconds?: number;
  /** Default true; false: a lease that can only be replaced. */
  renewable?: boolean;
  /** No lease id, only data.expiration (a PKI certificate). */
  leaseless?: boolean;
  /** The data of one issue; the engine remembers the values it issued. */
  issue: () => Record<string, string>;
}

export interface FakeLease {
  id: string;
  path: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
  renewals: number;
}

/**
 * A secrets engine with leases as Vault keeps them: each issue makes a lease on its role's TTL,
 * a renewal extends it by the TTL up to the role's max TTL (answering a shorter grant when capped),
 * an expired or revoked lease cannot be renewed (InvalidRefError, Vault's 400). Paths fail on
 * demand; every call is counted.
 */
export class FakeSecretsEngine {
  readonly roles = new Map<string, FakeRole>();
  readonly leases = new Map<string, FakeLease>();
  readonly calls: Array<{ op: 'issue' | 'renew' | 'revoke'; target: string }> = [];
  readonly #failing = new Map<string, Error>();
  #next = 1;

  constructor(readonly clock: { now(): number }) {}

  role(path: string, role: FakeRole): this {
    this.roles.set(path, role);
    return this;
  }

  /** Issues on `path`, or renewals and revocations of leases issued there, fail until cleared. */
  failWith(path: string, error: Error | undefined): void {
    if (error) this.#failing.set(path, error);
    else this.#failing.delete(path);
  }

  count(op: 'issue' | 'renew' | 'revoke'): number {
    return this.calls.filter((call) => call.op === op).length;
  }

  /** Makes the client issue, renew and revoke through this engine. */
  serve(client: FakeProviderClient): void {
    client.issue = (request, signal) => this.issue(request, signal, client.description);
    client.renewLease = (id, increment, signal) => this.renew(id, increment, signal, client.description);
    client.revokeLease = (id, signal) => this.revoke(id, signal);
  }

  async issue(request: IssueRequest, signal: AbortSignal, provider: string): Promise<IssuedCredentials> {
    signal.throwIfAborted();
    this.calls.push({ op: 'issue', target: request.path });
    const failure = this.#failing.get(request.path);
    if (failure) throw failure;
    const role = this.roles.get(request.path);
    if (!role) throw new NotFoundError({ provider, path: request.path });
    const now = this.clock.now();
    const expiresAt = now + role.ttlSeconds * 1000;
    const values = new Map(Object.entries(role.issue()).map(([k, v]) => [k, Buffer.from(v)]));
    if (role.leaseless) return { values, expiresAt: new Date(expiresAt) };
    const id = `${request.path}/lease-${this.#next++}`;
    this.leases.set(id, { id, path: request.path, issuedAt: now, expiresAt, revoked: false, renewals: 0 });
    return {
      values,
      lease: { id, durationSeconds: role.ttlSeconds, renewable: role.renewable ?? true },
      expiresAt: new Date(expiresAt),
    };
  }

  async renew(id: string, _increment: number, signal: AbortSignal, provider: string): Promise<RemoteLease> {
    signal.throwIfAborted();
    this.calls.push({ op: 'renew', target: id });
    const lease = this.leases.get(id);
    const failure = lease && this.#failing.get(lease.path);
    if (failure) throw failure;
    const role = lease && this.roles.get(lease.path);
    const now = this.clock.now();
    if (!lease || !role || lease.revoked || lease.expiresAt <= now || role.renewable === false) {
      throw new InvalidRefError(
        { provider, path: 'sys/leases/renew' },
        'request rejected by the backend (HTTP 400)',
      );
    }
    const cap = role.maxTtlSeconds === undefined ? Infinity : lease.issuedAt + role.maxTtlSeconds * 1000;
    lease.expiresAt = Math.min(now + role.ttlSeconds * 1000, cap);
    lease.renewals++;
    return { id, durationSeconds: Math.round((lease.expiresAt - now) / 1000), renewable: true };
  }

  async revoke(id: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.calls.push({ op: 'revoke', target: id });
    const lease = this.leases.get(id);
    const failure = lease && this.#failing.get(lease.path);
    if (failure) throw failure;
    if (lease) lease.revoked = true;
  }

  /** Leases neither revoked nor expired. */
  live(): FakeLease[] {
    const now = this.clock.now();
    return [...this.leases.values()].filter((lease) => !lease.revoked && lease.expiresAt > now);
  }
}
