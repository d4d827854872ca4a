// The AWS Secrets Manager provider client: reads (single, batched, micro-batched), find, write and
// validate over one SDK client whose credentials are cached and refreshed (auth.ts).
import {
  InvalidRefError,
  NotFoundError,
  ProviderError,
  UnavailableError,
  type ErrorSubject,
} from '../errors.js';
import { encodeDocument, parseDocument, selectProperty } from '../property.js';
import {
  remoteRefKey,
  silentLogger,
  type FindQuery,
  type ProviderClient,
  type ProviderClock,
  type ProviderLogger,
  type RemoteRef,
  type RemoteValue,
} from '../types.js';
import { compileFindPattern, runLimited } from '../find.js';
import {
  BatchCallFailed,
  type ListFilter,
  type SecretPayload,
  type SecretsManagerApi,
  type SecretWrite,
} from './api.js';
import { SecretBatcher, MAX_BATCH } from './batcher.js';
import { AccessDeniedError, errorFromCode } from './error-map.js';
import {
  CURRENT_STAGE,
  isCurrent,
  secretIdMatches,
  secretIdOf,
  versionSelector,
  type VersionSelector,
} from './refs.js';

export interface AwsProviderClientOptions {
  clock: ProviderClock;
  logger?: ProviderLogger;
  /** Window of the get() micro-batcher; 0 sends every get() on its own. Default 25 ms. */
  batchWindowMs?: number;
  /** Largest number of secrets find() returns; more is an InvalidRefError. Default 1000. */
  maxFindResults?: number;
  /** Parallel GetSecretValue calls within one getMany/find. Default 8. */
  concurrency?: number;
  /** Releases what the client was built with (SDK clients, credential sessions). */
  onClose?: () => void;
}

/** ListSecrets filter values AWS accepts; a leading `!` would negate the filter. */
const FILTER_VALUE = /^[a-zA-Z0-9 :_@/+=.-]{1,512}$/;

export class AwsProviderClient implements ProviderClient {
  readonly #api: SecretsManagerApi;
  readonly #logger: ProviderLogger;
  readonly #batcher: SecretBatcher | undefined;
  readonly #maxFindResults: number;
  readonly #concurrency: number;
  readonly #onClose: (() => void) | undefined;
  /** Set once BatchGetSecretValue was denied: the policy allows GetSecretValue only. */
  #batchDenied = false;
  #closed = false;

  constructor(api: SecretsManagerApi, options: AwsProviderClientOptions) {
    this.#api = api;
    this.#logger = options.logger ?? silentLogger;
    this.#maxFindResults = options.maxFindResults ?? 1000;
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    this.#onClose = options.onClose;
    const windowMs = options.batchWindowMs ?? 25;
    this.#batcher =
      windowMs > 0
        ? new SecretBatcher({
            fetch: (ids, signal) => this.#batchGet(ids, signal),
            clock: options.clock,
            windowMs,
            provider: api.provider,
          })
        : undefined;
  }

  async get(ref: RemoteRef, signal: AbortSignal): Promise<RemoteValue> {
    const subject = this.#subject(ref.path);
    const secretId = secretIdOf(ref.path, subject);
    const selector = versionSelector(ref.version, subject);
    const payload =
      isCurrent(selector) && this.#batcher
        ? await this.#batcher.get(secretId, signal)
        : await this.#api.getSecretValue(secretId, selector, signal);
    return remoteValueOf(payload, ref.property, subject);
  }

  /**
   * Current versions go out as BatchGetSecretValue calls of up to 20 ids; pinned versions (which
   * BatchGetSecretValue cannot read) as GetSecretValue calls. Each ref gets its value or its error.
   */
  async getMany(refs: RemoteRef[], signal: AbortSignal): Promise<Map<string, RemoteValue | Error>> {
    const results = new Map<string, RemoteValue | Error>();
    const current = new Map<string, RemoteRef[]>();
    const pinned = new Map<string, { secretId: string; selector: VersionSelector; refs: RemoteRef[] }>();
    for (const ref of refs) {
      const subject = this.#subject(ref.path);
      try {
        const secretId = secretIdOf(ref.path, subject);
        const selector = versionSelector(ref.version, subject);
        if (isCurrent(selector)) {
          current.set(secretId, [...(current.get(secretId) ?? []), ref]);
        } else {
          const key = JSON.stringify([secretId, selector]);
          const entry = pinned.get(key) ?? { secretId, selector, refs: [] };
          entry.refs.push(ref);
          pinned.set(key, entry);
        }
      } catch (error) {
        results.set(remoteRefKey(ref), asError(error));
      }
    }
    const settle = (refsOf: RemoteRef[], outcome: SecretPayload | Error): void => {
      for (const ref of refsOf) {
        if (outcome instanceof Error) {
          results.set(remoteRefKey(ref), outcome);
          continue;
        }
        try {
          results.set(remoteRefKey(ref), remoteValueOf(outcome, ref.property, this.#subject(ref.path)));
        } catch (error) {
          results.set(remoteRefKey(ref), asError(error));
        }
      }
    };

    const ids = [...current.keys()];
    const batches = chunk(ids, MAX_BATCH).map((batch) => async () => {
      const fetched = await this.#batchGet(batch, signal);
      for (const secretId of batch) {
        settle(current.get(secretId)!, fetched.get(secretId) ?? this.#noAnswer(secretId));
      }
    });
    const singles = [...pinned.values()].map((entry) => async () => {
      try {
        settle(entry.refs, await this.#api.getSecretValue(entry.secretId, entry.selector, signal));
      } catch (error) {
        if (signal.aborted) throw error;
        settle(entry.refs, asError(error));
      }
    });
    await runLimited([...batches, ...singles], this.#concurrency);
    return results;
  }

  /**
   * ListSecrets (name prefix and one tag as server-side filters where AWS can express them), then
   * every filter applied exactly here: the name prefix, the regular expression and every tag.
   * Values are fetched in batches of 20. Keys of the result are secret names.
   */
  async find(query: FindQuery, signal: AbortSignal): Promise<Map<string, RemoteValue>> {
    const subject = this.#subject(query.path);
    const pattern = compileFindPattern(query.name, subject);
    const tags = Object.entries(query.tags ?? {});
    const prefix = query.path === undefined || query.path === '' ? undefined : query.path;
    const filters: ListFilter[] = [];
    if (prefix !== undefined && FILTER_VALUE.test(prefix)) filters.push({ key: 'name', values: [prefix] });
    const [firstTag] = tags;
    if (firstTag && FILTER_VALUE.test(firstTag[0]) && FILTER_VALUE.test(firstTag[1])) {
      filters.push({ key: 'tag-key', values: [firstTag[0]] }, { key: 'tag-value', values: [firstTag[1]] });
    }

    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#api.listSecrets(
        nextToken === undefined ? { filters, maxResults: 100 } : { filters, maxResults: 100, nextToken },
        'find',
        signal,
      );
      for (const secret of page.secrets) {
        if (prefix !== undefined && !secret.name.startsWith(prefix)) continue;
        if (pattern && !pattern.test(secret.name)) continue;
        if (!tags.every(([key, value]) => secret.tags[key] === value)) continue;
        names.push(secret.name);
      }
      if (names.length > this.#maxFindResults) {
        throw new InvalidRefError(
          subject,
          `find matches more than ${this.#maxFindResults} secrets; narrow it with path, name or tags`,
        );
      }
      nextToken = page.nextToken;
    } while (nextToken);

    const found = new Map<string, RemoteValue>();
    let failure: Error | undefined;
    const batches = chunk([...new Set(names)], MAX_BATCH).map((batch) => async () => {
      const fetched = await this.#batchGet(batch, signal);
      for (const name of batch) {
        const outcome = fetched.get(name) ?? this.#noAnswer(name);
        // Deleted between the listing and the read: simply not found any more.
        if (outcome instanceof NotFoundError) continue;
        if (outcome instanceof Error) failure ??= outcome;
        else found.set(name, remoteValueOf(outcome, undefined, this.#subject(name)));
      }
    });
    await runLimited(batches, this.#concurrency);
    if (failure) throw failure;
    return found;
  }

  /**
   * PutSecretValue: a new version that becomes AWSCURRENT. Without `property` the value is the
   * whole secret (SecretString when it is UTF-8 text, else SecretBinary); with `property` only that
   * top-level key of the JSON document changes (read-modify-write; Secrets Manager has no
   * compare-and-set, so a concurrent writer's change to another key can be lost).
   */
  async write(ref: RemoteRef, value: Buffer, signal: AbortSignal): Promise<void> {
    const subject = this.#subject(ref.path);
    const secretId = secretIdOf(ref.path, subject);
    if (ref.version !== undefined && ref.version !== '') {
      throw new InvalidRefError(subject, 'a write always creates the new AWSCURRENT version; remove version');
    }
    if (ref.property === '') throw new InvalidRefError(subject, 'property must not be empty');
    const text = value.toString('utf8');
    const isText = Buffer.from(text, 'utf8').equals(value);
    if (ref.property !== undefined && !isText) {
      throw new InvalidRefError(subject, 'a JSON property holds text; the value to write is not valid UTF-8');
    }
    let current: SecretPayload | undefined;
    if (ref.property !== undefined) {
      try {
        current = await this.#api.getSecretValue(secretId, { stage: CURRENT_STAGE }, signal);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    const write: SecretWrite =
      ref.property === undefined
        ? isText
          ? { secretString: text }
          : { secretBinary: new Uint8Array(value) }
        : {
            secretString: encodeDocument({
              ...(current ? parseDocument(documentBytes(current, subject), subject) : {}),
              [ref.property]: text,
            }).toString('utf8'),
          };
    try {
      await this.#api.putSecretValue(secretId, write, signal);
    } catch (error) {
      // A secret that does not exist yet (spec.generate's first value) is created.
      if (!(error instanceof NotFoundError) || secretId.startsWith('arn:')) throw error;
      await this.#api.createSecret(secretId, write, signal);
    }
  }

  /**
   * ListSecrets with MaxResults 1. AccessDeniedException counts as success: AWS checks the
   * signature before the policy, so it proves the credentials (and any role assumption) work and the
   * endpoint answers, while a least-privilege policy need not grant ListSecrets.
   */
  async validate(signal: AbortSignal): Promise<void> {
    try {
      await this.#api.listSecrets({ filters: [], maxResults: 1 }, 'validate', signal);
    } catch (error) {
      if (error instanceof AccessDeniedError) return;
      throw error;
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#batcher?.close();
      this.#onClose?.();
    }
    return Promise.resolve();
  }

  /** Current versions of up to 20 secrets; every id maps to its payload or its own error. */
  async #batchGet(
    secretIds: string[],
    signal: AbortSignal,
  ): Promise<Map<string, SecretPayload | ProviderError>> {
    const results = new Map<string, SecretPayload | ProviderError>();
    // One id is one call either way; GetSecretValue needs no BatchGetSecretValue permission.
    if (secretIds.length === 1 || this.#batchDenied) {
      await this.#getEach(secretIds, results, signal);
      return results;
    }
    let batch;
    try {
      batch = await this.#api.batchGetSecretValue(secretIds, signal);
    } catch (error) {
      if (!(error instanceof BatchCallFailed)) throw error;
      if (!error.accessDenied) {
        for (const secretId of secretIds) results.set(secretId, error.errorFor(secretId));
        return results;
      }
      this.#batchDenied = true;
      this.#logger.warn(
        { provider: this.#api.provider },
        'BatchGetSecretValue is not allowed; reading secrets one call each (grant secretsmanager:BatchGetSecretValue to batch)',
      );
      await this.#getEach(secretIds, results, signal);
      return results;
    }
    const unanswered: string[] = [];
    for (const secretId of secretIds) {
      const value = batch.values.find((entry) => secretIdMatches(secretId, entry));
      const failure = batch.errors.find((entry) => entry.secretId === secretId);
      if (value) results.set(secretId, value);
      else if (failure) results.set(secretId, errorFromCode(failure.code, this.#subject(secretId)));
      else unanswered.push(secretId);
    }
    // An id AWS answered under a form we cannot match (e.g. an ARN of a replica) is read on its own.
    await this.#getEach(unanswered, results, signal);
    return results;
  }

  async #getEach(
    secretIds: string[],
    results: Map<string, SecretPayload | ProviderError>,
    signal: AbortSignal,
  ): Promise<void> {
    const tasks = secretIds.map((secretId) => async () => {
      try {
        results.set(secretId, await this.#api.getSecretValue(secretId, { stage: CURRENT_STAGE }, signal));
      } catch (error) {
        if (signal.aborted) throw error;
        results.set(secretId, asError(error, this.#subject(secretId)));
      }
    });
    await runLimited(tasks, this.#concurrency);
  }

  #noAnswer(secretId: string): ProviderError {
    return new NotFoundError(this.#subject(secretId), 'AWS returned nothing for this secret');
  }

  #subject(path: string | undefined): ErrorSubject {
    return path === undefined || path === ''
      ? { provider: this.#api.provider }
      : { provider: this.#api.provider, path };
  }
}

/** The secret's bytes: SecretString as UTF-8 or SecretBinary as it is. */
function documentBytes(payload: SecretPayload, subject: ErrorSubject): Buffer {
  if (payload.secretString !== undefined) return Buffer.from(payload.secretString, 'utf8');
  if (payload.secretBinary !== undefined) return Buffer.from(payload.secretBinary);
  throw new NotFoundError(subject, 'the secret version holds no value');
}

/** A fresh RemoteValue per caller; `property` selects from a JSON document (property.ts). */
function remoteValueOf(
  payload: SecretPayload,
  property: string | undefined,
  subject: ErrorSubject,
): RemoteValue {
  const bytes = documentBytes(payload, subject);
  const value: RemoteValue = {
    value: property === undefined ? bytes : selectProperty(parseDocument(bytes, subject), property, subject),
  };
  if (payload.versionId !== undefined) value.version = payload.versionId;
  return value;
}

function asError(error: unknown, subject?: ErrorSubject): ProviderError {
  if (error instanceof ProviderError) return error;
  return new UnavailableError(subject ?? { provider: 'aws' }, 'unexpected failure reading the secret');
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
