// Fakes behind the controller's interfaces, so reconcile logic is unit tested without servers.
// They record what was asked of them and keep just enough state (a Secret "server", a backend of
// JSON documents) for a reconcile to read back what an earlier one wrote. Real servers are
// tested in e2e/. No jest here: this file is plain TypeScript usable from any test.
import type { CachedProviderClient, ProviderObject } from '../../providers/client-cache.js';
import { NotFoundError } from '../../providers/errors.js';
import { encodeDocument, type Document } from '../../providers/property.js';
import type { RemoteRef, RemoteValue } from '../../providers/types.js';
import type { AppliedSecret } from '../../secrets/target.js';
import type { EventRecorder, EventType, InvolvedObject } from '../events.js';
import type { KubeGateway, LiveSecret, ProviderKind } from '../kube-gateway.js';
import type { ProviderClients, ReconcileLogger, Store } from '../secret-source-reconciler.js';

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
  | { op: 'applySecret'; secret: AppliedSecret }
  | { op: 'deleteSecret'; namespace: string; name: string; uid: string }
  | { op: 'releaseSecret'; namespace: string; name: string; ownerUid: string }
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

/** The fields one apply set, so the next apply can drop what it leaves out (one field manager). */
interface AppliedFields {
  data: string[];
  labels: string[];
  annotations: string[];
}

/**
 * A KubeGateway over an in-memory set of Secrets. applySecret behaves like server-side apply by
 * a single field manager: fields the previous apply set and this one leaves out are removed, fields
 * set by others stay. Writes are recorded in `calls`; getSecret is counted in `reads`.
 */
export class FakeKubeGateway implements KubeGateway {
  readonly calls: KubeCall[] = [];
  /** The "server": Secrets by `namespace/name`. */
  readonly secrets = new Map<string, LiveSecret>();
  reads = 0;
  readonly #applied = new Map<string, AppliedFields>();
  readonly #failures = new Map<KubeWriteOp | 'getSecret', unknown[]>();
  #nextUid = 1;

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
    const stored: LiveSecret = structuredClone(secret);
    stored.metadata = { uid: `secret-uid-${this.#nextUid++}`, ...stored.metadata };
    this.secrets.set(`${namespace}/${name}`, stored);
    this.#applied.delete(`${namespace}/${name}`);
    return structuredClone(stored);
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

  async applySecret(secret: AppliedSecret): Promise<void> {
    this.calls.push({ op: 'applySecret', secret: structuredClone(secret) });
    this.#maybeFail('applySecret');
    const { namespace, name } = secret.metadata;
    const key = `${namespace}/${name}`;
    const live: LiveSecret = structuredClone(this.secrets.get(key)) ?? {
      metadata: { name, namespace, uid: `secret-uid-${this.#nextUid++}` },
    };
    const previous = this.#applied.get(key) ?? { data: [], labels: [], annotations: [] };
    const metadata = (live.metadata ??= {});
    metadata.labels = applyFields(metadata.labels, previous.labels, secret.metadata.labels);
    metadata.annotations = applyFields(
      metadata.annotations,
      previous.annotations,
      secret.metadata.annotations,
    );
    if (secret.metadata.ownerReferences) {
      metadata.ownerReferences = secret.metadata.ownerReferences.map(({ apiVersion, kind, name, uid }) => ({
        apiVersion,
        kind,
        name,
        uid,
      }));
    }
    live.data = applyFields(live.data, previous.data, secret.data);
    if (secret.type !== undefined) live.type = secret.type;
    live.type ??= 'Opaque';
    if (secret.immutable) live.immutable = true;
    this.secrets.set(key, live);
    this.#applied.set(key, {
      data: Object.keys(secret.data ?? {}),
      labels: Object.keys(secret.metadata.labels ?? {}),
      annotations: Object.keys(secret.metadata.annotations ?? {}),
    });
  }

  async deleteSecret(namespace: string, name: string, uid: string): Promise<void> {
    this.calls.push({ op: 'deleteSecret', namespace, name, uid });
    this.#maybeFail('deleteSecret');
    const key = `${namespace}/${name}`;
    if (this.secrets.get(key)?.metadata?.uid === uid) {
      this.secrets.delete(key);
      this.#applied.delete(key);
    }
  }

  async releaseSecret(namespace: string, name: string, ownerUid: string): Promise<void> {
    this.calls.push({ op: 'releaseSecret', namespace, name, ownerUid });
    this.#maybeFail('releaseSecret');
    const metadata = this.secrets.get(`${namespace}/${name}`)?.metadata;
    if (metadata?.ownerReferences) {
      metadata.ownerReferences = metadata.ownerReferences.filter((o) => o.uid !== ownerUid);
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

  #maybeFail(op: KubeWriteOp | 'getSecret'): void {
    const error = this.#failures.get(op)?.shift();
    if (error !== undefined) throw error;
  }
}

/** Server-side apply of one map by one manager: drop what we set before and no longer set. */
function applyFields(
  current: Record<string, string> | undefined,
  previouslyOurs: readonly string[],
  next: Record<string, string> | undefined,
): Record<string, string> {
  const result = { ...current };
  for (const key of previouslyOurs) if (!(next && key in next)) delete result[key];
  return { ...result, ...next };
}

// ---------------------------------------------------------------------------------------------
// Providers

/** A backend of JSON documents by path; `get` without property returns the document, as providers do. */
export class FakeBackend {
  readonly documents = new Map<string, Document>();
  readonly #errors = new Map<string, Error>();
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
    return { value: encodeDocument(document), ...(ref.version ? { version: ref.version } : {}) };
  }
}

/** A ProviderClient over a FakeBackend. validate() fails while `validateError` is set. */
export class FakeProviderClient implements CachedProviderClient {
  readonly providerType = 'vault';
  validateError: Error | undefined;
  validations = 0;

  constructor(
    readonly backend: FakeBackend,
    readonly key = 'fake-client',
    readonly description = 'vault SecretProvider fake',
  ) {}

  async get(ref: RemoteRef, signal: AbortSignal): Promise<RemoteValue> {
    signal.throwIfAborted();
    return this.backend.read(ref, this.description);
  }

  async validate(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.validations++;
    if (this.validateError) throw this.validateError;
  }

  async close(): Promise<void> {}
}

export interface Acquisition {
  provider: ProviderObject;
  consumerNamespace: string;
}

/** ProviderClients handing out one client (or failing with `acquireError`), recording each acquire. */
export class FakeProviderClients implements ProviderClients {
  readonly acquisitions: Acquisition[] = [];
  acquireError: Error | undefined;

  constructor(readonly client: FakeProviderClient) {}

  async acquire(provider: ProviderObject, consumerNamespace: string): Promise<FakeProviderClient> {
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
