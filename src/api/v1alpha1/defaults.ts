// Defaults are applied here, in code, and never by the API server: a server-side default shows up
// in the live object but not in Git, and Argo CD / Flux then report a permanent diff.
// An empty string in an optional field means "not set", as the DESIGN.md examples write it.
import type {
  ProviderRef,
  RemoteRef,
  RestartTarget,
  Rewrite,
  SecretSourceGenerate,
  SecretSource,
  SecretSourceSpec,
  SecretTemplate,
  DockerConfig,
  FindQuery,
  Decoding,
  DynamicSecret,
} from './types.generated.js';

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export const DEFAULT_SECRET_TYPE = 'Opaque';
export const DEFAULT_REFRESH_INTERVAL = '1h';
export const DEFAULT_DUPLICATE_KEYS = 'Error';
/** spec.lease.renewAt: leases are renewed, and credentials without one replaced, at two thirds of their time. */
export const DEFAULT_LEASE_RENEW_FRACTION = 2 / 3;

// ---------------------------------------------------------------------------------------------
// SecretSource

export interface ResolvedDataItem {
  key: string;
  remoteRef: RemoteRef;
  decoding: Decoding;
}

/** A dataFrom[].dynamic entry: what to ask the secrets engine for. */
export interface ResolvedDynamic {
  path: string;
  method: NonNullable<DynamicSecret['method']>;
  parameters: Record<string, string>;
}

export type ResolvedDataFrom = { decoding: Decoding; rewrite: Rewrite[] } & (
  | { path: string; find?: undefined; dynamic?: undefined }
  | { path?: undefined; find: FindQuery; dynamic?: undefined }
  | { path?: undefined; find?: undefined; dynamic: ResolvedDynamic }
);

/** spec.lease with its defaults. */
export interface ResolvedLease {
  /** The fraction of a grant after which it is renewed or replaced, in (0, 1). */
  renewFraction: number;
  /** A Go duration; unset: replaced credentials are not revoked. */
  revokeAfter?: string;
}

export interface ResolvedTarget {
  name: string;
  type: string;
  creationPolicy: 'Owner' | 'Orphan' | 'Merge';
  deletionPolicy: 'Retain' | 'Delete';
  immutable: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  template?: SecretTemplate;
  dockerConfig?: DockerConfig;
}

export type ResolvedRefresh = { policy: 'Periodic' | 'OnChange' | 'CreatedOnce'; jitter?: string } & (
  | { interval: string; schedule?: undefined; timeZone?: undefined }
  | { interval?: undefined; schedule: string; timeZone?: string }
);

/** What a key produced by two entries does (spec.duplicateKeys). */
export type DuplicateKeysPolicy = NonNullable<SecretSourceSpec['duplicateKeys']>;

export interface ResolvedSecretSourceSpecShape {
  providerRef: ProviderRef;
  data: ResolvedDataItem[];
  dataFrom: ResolvedDataFrom[];
  duplicateKeys: DuplicateKeysPolicy;
  allowEmpty: boolean;
  target: ResolvedTarget;
  refresh: ResolvedRefresh;
  lease: ResolvedLease;
  restartTargets: RestartTarget[];
  generate: SecretSourceGenerate[];
}

export type ResolvedSecretSourceSpec = DeepReadonly<ResolvedSecretSourceSpecShape>;

const set = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

/** The spec with every default filled in. The result shares nothing with `source` and is frozen. */
export function resolveSecretSourceSpec(source: SecretSource): ResolvedSecretSourceSpec {
  const spec = structuredClone(source.spec);
  const target = spec.target ?? {};
  const refresh = spec.refresh ?? {};
  const policy = refresh.policy ?? 'Periodic';
  const jitter = set(refresh.jitter);
  const schedule = set(refresh.schedule);
  const timeZone = set(refresh.timeZone);

  const resolved: ResolvedSecretSourceSpecShape = {
    providerRef: spec.providerRef,
    data: (spec.data ?? []).map((item) => ({ ...item, decoding: item.decoding ?? 'None' })),
    dataFrom: (spec.dataFrom ?? []).map((entry): ResolvedDataFrom => {
      const common = { decoding: entry.decoding ?? 'None', rewrite: entry.rewrite ?? [] };
      // The schema admits exactly one of path, find and dynamic.
      if (entry.path !== undefined) return { ...common, path: entry.path };
      if (entry.dynamic === undefined) return { ...common, find: entry.find! };
      const parameters = entry.dynamic.parameters ?? {};
      const method = entry.dynamic.method ?? (Object.keys(parameters).length > 0 ? 'POST' : 'GET');
      return { ...common, dynamic: { path: entry.dynamic.path, method, parameters } };
    }),
    duplicateKeys: spec.duplicateKeys ?? DEFAULT_DUPLICATE_KEYS,
    allowEmpty: spec.allowEmpty ?? false,
    target: {
      name: set(target.name) ?? source.metadata.name,
      type: set(target.type) ?? DEFAULT_SECRET_TYPE,
      creationPolicy: target.creationPolicy ?? 'Owner',
      deletionPolicy: target.deletionPolicy ?? 'Retain',
      immutable: target.immutable ?? false,
      labels: target.labels ?? {},
      annotations: target.annotations ?? {},
      ...(target.template === undefined ? {} : { template: target.template }),
      ...(target.dockerConfig === undefined ? {} : { dockerConfig: target.dockerConfig }),
    },
    refresh:
      schedule !== undefined
        ? {
            policy,
            schedule,
            ...(timeZone === undefined ? {} : { timeZone }),
            ...(jitter === undefined ? {} : { jitter }),
          }
        : {
            policy,
            interval: set(refresh.interval) ?? DEFAULT_REFRESH_INTERVAL,
            ...(jitter === undefined ? {} : { jitter }),
          },
    lease: {
      renewFraction: leaseFraction(set(spec.lease?.renewAt)),
      ...(set(spec.lease?.revokeAfter) === undefined ? {} : { revokeAfter: spec.lease!.revokeAfter! }),
    },
    restartTargets: spec.restartTargets ?? [],
    generate: spec.generate ?? [],
  };
  return deepFreeze(resolved);
}

/** "67%" → 0.67; the schema's pattern admits only percentages above 0 and below 100. */
function leaseFraction(renewAt: string | undefined): number {
  return renewAt === undefined ? DEFAULT_LEASE_RENEW_FRACTION : Number(renewAt.slice(0, -1)) / 100;
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value as DeepReadonly<T>;
}
