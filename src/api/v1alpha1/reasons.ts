// Every reason the operator sets on a Ready condition (or, for provider warnings, on a Warning
// Event beside a Ready=True): what it is on, whether a SecretSource sync that fails with it is
// retried with backoff, and what it means in one line. The one place that decides `retryable`:
// the sync's failure mapping (src/controller/secret-source/failure.ts) and the provider errors
// (src/providers/errors.ts) read it, docs/operations.md's troubleshooting table is checked against
// it (docs/operations.test.ts), and the CRD descriptions name reasons through `reason()`. This
// module imports nothing.

export interface ReasonInfo {
  /** Where it shows: the objects and the condition status, as docs/operations.md's "on" column. */
  readonly on: string;
  /**
   * For a failure: whether a SecretSource sync failing with it is retried with the queue's
   * backoff (true) or waits for a change of the object or its next refresh (false). Undefined
   * for what is not a failure. Providers are validated again every 5 minutes either way.
   */
  readonly retryable?: boolean;
  /** What it means, one line; docs/operations.md's row starts with it. */
  readonly meaning: string;
}

export const REASONS = {
  Synced: {
    on: 'SecretSource (True)',
    meaning:
      'The Secret holds the values of the last sync; the message says how many keys, from which provider.',
  },
  Valid: {
    on: 'providers (True)',
    meaning: 'The operator authenticated to the backend; checked again every 5 minutes.',
  },
  InvalidSpec: {
    on: 'both',
    retryable: false,
    meaning: 'The spec cannot be used as written.',
  },
  InvalidTemplate: {
    on: 'SecretSource',
    retryable: false,
    meaning: 'A template does not parse or render.',
  },
  InvalidRefresh: {
    on: 'SecretSource',
    retryable: false,
    meaning: 'The refresh schedule could not be computed.',
  },
  InvalidDuration: {
    on: 'SecretSource',
    retryable: false,
    meaning: 'A duration (`interval`, `jitter`) could not be read.',
  },
  InvalidRef: {
    on: 'SecretSource',
    retryable: false,
    meaning: 'The backend cannot serve the reference as written: a bad path, version or property.',
  },
  RemoteNotFound: {
    on: 'SecretSource',
    retryable: true,
    meaning: 'The secret, version or property does not exist in the backend.',
  },
  AuthFailed: {
    on: 'both',
    retryable: true,
    meaning:
      'The backend refused the credentials or the identity may not read this (HTTP 401/403), or the credentials could not be loaded.',
  },
  Throttled: {
    on: 'both',
    retryable: true,
    meaning: 'The backend rate-limited the operator.',
  },
  Unavailable: {
    on: 'both',
    retryable: true,
    meaning: 'The backend could not be reached or failed.',
  },
  ProviderNotFound: {
    on: 'SecretSource',
    retryable: false,
    meaning: '`providerRef` names no existing provider.',
  },
  ProviderNotAllowed: {
    on: 'both',
    retryable: false,
    meaning: 'A namespace rule forbids it.',
  },
  CredentialsPerNamespace: {
    on: 'ClusterSecretProvider (Unknown)',
    meaning: "A credential reference names no namespace, so it is read in each SecretSource's namespace.",
  },
  ValidationFailed: {
    on: 'providers',
    retryable: false,
    meaning: 'Validating the provider failed for another reason (the message has the detail).',
  },
  EmptyResult: {
    on: 'SecretSource',
    retryable: false,
    meaning:
      'A `dataFrom` entry yielded no keys, or the Secret would hold none; the Secret is kept as it is.',
  },
  TargetConflict: {
    on: 'SecretSource',
    retryable: false,
    meaning: "The target Secret is someone else's.",
  },
  TargetNotFound: {
    on: 'SecretSource',
    retryable: false,
    meaning: '`creationPolicy: Merge` adds keys to an existing Secret only: create the Secret first.',
  },
  ImmutableTarget: {
    on: 'SecretSource',
    retryable: false,
    meaning: 'The Secret is immutable and its content would change.',
  },
  WriteFailed: {
    on: 'SecretSource',
    retryable: true,
    meaning: 'The API server refused the Secret write.',
  },
  RestartFailed: {
    on: 'SecretSource',
    retryable: true,
    meaning: 'Rolling a `restartTargets` workload failed.',
  },
  VersionExpired: {
    on: 'SecretSource (Event)',
    meaning:
      'A Warning Event, Ready stays True with a note: an Azure Key Vault secret version past its expiry was synced.',
  },
  VersionNotYetValid: {
    on: 'SecretSource (Event)',
    meaning: 'Like `VersionExpired`, for a version whose activation date (`nbf`) has not come yet.',
  },
  SyncFailed: {
    on: 'SecretSource',
    retryable: true,
    meaning: 'Anything else, e.g. an API server error while reading; the message has the detail.',
  },
} as const satisfies Record<string, ReasonInfo>;

/** A reason the operator sets on a Ready condition or a provider warning. */
export type Reason = keyof typeof REASONS;

/** Whether a SecretSource sync that failed with `reason` is retried with backoff. */
export function isRetryable(reason: Reason): boolean {
  return (REASONS[reason] as ReasonInfo).retryable ?? false;
}

/** A reason's name where text names it (a CRD description): a renamed reason fails to compile. */
export function reason(name: Reason): Reason {
  return name;
}

/** Whether `name` is one of the reasons above (an error's `reason` read at the failure funnel). */
export function isReason(name: unknown): name is Reason {
  return typeof name === 'string' && Object.hasOwn(REASONS, name);
}
