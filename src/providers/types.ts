// The provider boundary: the controller talks to secret backends only through these types and never
// imports a backend SDK. Each backend lives in its own folder (vault/, later aws/, azure/) and is
// reached through the registry and the client cache.
//
// Documents, properties and maps (one convention for every provider):
// - `get({path, version})` without `property` returns the whole remote secret (the "document"). When
//   the backend stores a key/value map (Vault KV, a JSON SecretString in AWS, ...), the document is
//   that map encoded as JSON.
// - `property` selects one entry of that document locally, with `selectProperty` from property.ts
//   (exact key first, then a dotted path; strings as they are, other values JSON-encoded). Providers
//   use that helper so every backend behaves the same, and the read coalescer relies on it: refs that
//   differ only in `property` share one remote read.
// - There is no `getMap` method: `dataFrom` (every key of a map) is `valueMap(await get({path}))`
//   from property.ts, so a `data[]` entry and a `dataFrom[]` entry on the same path share one read.

import type { Reason } from '../api/v1alpha1/reasons.js';
import { setLongTimeout, type LongTimeout } from '../kube/long-timeout.js';
import type { ProviderErrorReason } from './errors.js';

export type ProviderKind = 'SecretProvider' | 'ClusterSecretProvider';

/** The provider object a client was built for; used in error messages and logs. */
export interface ProviderIdentity {
  kind: ProviderKind;
  name: string;
  /** Set for a namespaced SecretProvider. */
  namespace?: string;
}

/** `ClusterSecretProvider vault-prod`, `SecretProvider payments/aws`: for messages and logs. */
export function describeProvider(provider: ProviderIdentity): string {
  return provider.namespace === undefined
    ? `${provider.kind} ${provider.name}`
    : `${provider.kind} ${provider.namespace}/${provider.name}`;
}

export interface RemoteRef {
  /** Path of the secret in the backend, relative to the provider's mount or vault. */
  path: string;
  /** One entry of the document (dotted paths select nested entries). */
  property?: string;
  /** Pin a version; backend-specific format (Vault KV v2: a positive integer). */
  version?: string;
}

export interface RemoteLease {
  id: string;
  durationSeconds: number;
  renewable: boolean;
}

/**
 * Something the backend returned that is synced but worth telling (an expired version Key Vault
 * still serves). The controller shows it as a Warning Event with `reason` and a note in the Ready
 * condition. The message names the provider and the path, never a value.
 */
export interface ProviderWarning {
  reason: Reason;
  message: string;
}

export interface RemoteValue {
  value: Buffer;
  /** The backend's version of what was read, when it has one. */
  version?: string;
  /** When the value stops being valid (dynamic credentials). */
  expiresAt?: Date;
  lease?: RemoteLease;
  /** Synced, with these warnings. */
  warnings?: readonly ProviderWarning[];
}

/**
 * A request for credentials that a secrets engine issues on demand (dynamic secrets): every call
 * issues new ones, usually under a lease.
 */
export interface IssueRequest {
  /** The issuing endpoint, e.g. `pki/issue/web` (Vault: an API path without /v1, not under the KV mount). */
  path: string;
  method: 'GET' | 'POST';
  /** The request's parameters: the body of a POST, the query of a GET. */
  parameters: Readonly<Record<string, string>>;
}

export interface IssuedCredentials {
  /** The issued values by key: strings as they are, other JSON values JSON-encoded (the dataFrom convention). */
  values: Map<string, Buffer>;
  /** The lease they were issued under, when the backend made one. */
  lease?: RemoteLease;
  /** When they stop being valid, when the response says (a certificate's expiration, a lease without an id). */
  expiresAt?: Date;
}

export interface FindQuery {
  /** Only secrets under this path. */
  path?: string;
  /** Regular expression (RE2, Go syntax; compile it with UserRegexp) the secret's path must match. */
  name?: string;
  /** Metadata/tags every match must carry with these exact values. */
  tags?: Record<string, string>;
}

/**
 * A connection to one backend. Every call takes an AbortSignal; an aborted call rejects with the
 * signal's reason (not a ProviderError). Other failures are ProviderErrors from errors.ts.
 */
export interface ProviderClient {
  get(ref: RemoteRef, signal: AbortSignal): Promise<RemoteValue>;
  /** Batched reads where the backend has them; keys of the result are `remoteRefKey(ref)`. */
  getMany?(refs: RemoteRef[], signal: AbortSignal): Promise<Map<string, RemoteValue | Error>>;
  /** Keys of the result are remote paths. */
  find?(query: FindQuery, signal: AbortSignal): Promise<Map<string, RemoteValue>>;
  /** Pushes a value (rotation). With `property` only that entry of the document changes. */
  write?(ref: RemoteRef, value: Buffer, signal: AbortSignal): Promise<void>;
  /** Issues new credentials (dynamic secrets). */
  issue?(request: IssueRequest, signal: AbortSignal): Promise<IssuedCredentials>;
  /**
   * Extends a lease by `incrementSeconds`; returns the lease as the backend granted it, whose
   * duration is shorter than asked when the lease reached its maximum lifetime.
   */
  renewLease?(leaseId: string, incrementSeconds: number, signal: AbortSignal): Promise<RemoteLease>;
  /** Revokes a lease: its credentials stop working. */
  revokeLease?(leaseId: string, signal: AbortSignal): Promise<void>;
  /** A cheap authenticated call, for the provider's Ready condition. */
  validate(signal: AbortSignal): Promise<void>;
  /** Releases connections and timers. Idempotent. */
  close(): Promise<void>;
}

/** Stable key of a ref, used by getMany results and the read coalescer. */
export function remoteRefKey(ref: RemoteRef): string {
  return JSON.stringify([ref.path, ref.property ?? null, ref.version ?? null]);
}

/** Outcome of one remote call, for metrics: 'success', an error reason, or 'aborted'. */
export type ProviderCallStatus = 'success' | 'aborted' | 'error' | ProviderErrorReason;

/**
 * Called once per remote call a provider makes (reads, writes, logins, renewals), so the runtime
 * can count calls per backend. `provider` is the provider type ('vault'), `operation` one of the
 * operations its descriptor declares ('read', 'login', ...): each provider's modules take it as
 * `OnProviderCall<ItsOperation>` (its operations.ts), so the compiler holds each call to the list.
 */
export type OnProviderCall<Operation extends string = string> = (
  provider: string,
  operation: Operation,
  status: ProviderCallStatus,
) => void;

/** pino-compatible subset; values must never be passed in fields or messages. */
export interface ProviderLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: ProviderLogger = { debug: () => {}, info: () => {}, warn: () => {} };

/**
 * Time as a collaborator. Structurally compatible with the controller's Clock
 * (src/kube/clock.ts), whose FakeClock drives the unit tests.
 */
export interface ProviderClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's clock; timers of any length (a plain setTimeout above 24.8 days fires after 1 ms). */
export const systemProviderClock: ProviderClock = {
  now: () => Date.now(),
  // Renewal and sweep timers must never keep the process alive on shutdown.
  setTimeout: (fn, ms) => setLongTimeout(fn, ms, { unref: true }),
  clearTimeout: (handle) => {
    if (handle !== undefined) (handle as LongTimeout).cancel();
  },
};
