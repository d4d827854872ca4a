// A backend-neutral description of a provider under test: how its remote secrets are written, what
// a SecretProvider looks like for each of its auth modes, and which optional capabilities it has.
// The common cases (e2e/cases/common/) run over it, so a provider gets every common case by
// implementing this interface (e2e/cases/openbao.ts, aws.ts, azure.ts) and adding one line
// to a test file. Values are handed in by the caller and never printed.
import type * as k8s from '@kubernetes/client-node';

/** What a provider under test is given to set itself up: the test file's namespace and registries. */
export interface ProviderContext {
  readonly kc: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  /** The namespace the SecretProvider (and its credentials Secret or ServiceAccount) lives in. */
  readonly namespace: string;
  /** A random value registered as never to be printed. */
  generated(bytes?: number): string;
  /** Registers values (tokens, keys) that must never show in the operator's output. */
  neverPrint(...values: string[]): void;
  /** Runs after the operators stopped and the namespaces are gone, last registered first. */
  onCleanup(step: () => Promise<unknown>): void;
}

export type SecretMap = Readonly<Record<string, string>>;
export type ProviderSpec = Record<string, unknown>;

/** What a write left behind: the remoteRef.version that pins it, where the backend has versions. */
export interface Written {
  readonly version?: string;
}

/** The backend's own store, written with admin rights (not through the operator). */
export interface RemoteSecrets {
  /**
   * The remoteRef.path of this run's secret `name`, in the backend's path shape (OpenBao and AWS:
   * `<run prefix>/<name>`; a backend without slashes would join with a dash). Nothing is created.
   */
  path(name: string): string;
  /**
   * Creates the secret at `path` holding this map (a KV map, a JSON object): `property` picks one
   * key, `dataFrom[].path` copies them all. `tags` only where capabilities.findByTags.
   */
  create(path: string, values: SecretMap, options?: { tags?: SecretMap }): Promise<Written>;
  /** Replaces the map of an existing secret (a new version where the backend keeps versions). */
  update(path: string, values: SecretMap): Promise<Written>;
  delete(path: string): Promise<void>;
  /** Creates a secret holding these bytes as they are; only where capabilities.binaryValues. */
  createBinary(path: string, bytes: Buffer): Promise<Written>;
}

export interface Capabilities {
  /** remoteRef.version pins an older version (create/update return it). */
  readonly versions: boolean;
  /** dataFrom[].find.tags selects secrets by tags (create takes them). */
  readonly findByTags: boolean;
  /** A secret may hold bytes that are not text (createBinary). */
  readonly binaryValues: boolean;
}

export interface AuthMode {
  /** Lowercase, part of Kubernetes names: `token`, `kubernetes`, `accesskey`. */
  readonly name: string;
  /**
   * Creates what the mode needs in ctx.namespace (a credentials Secret, a ServiceAccount, a role in
   * the backend) and returns the SecretProvider spec. May be called more than once per namespace.
   */
  providerSpec(ctx: ProviderContext): Promise<ProviderSpec>;
  /** The same mode with credentials the backend refuses (Ready=False AuthFailed), where it can show it. */
  refusedSpec?(ctx: ProviderContext): Promise<ProviderSpec>;
  /** What the refusal's Ready message says, where the backend names why (`AADSTS7000215`). */
  readonly refusedMessage?: string;
}

export interface ProviderUnderTest {
  /** Lowercase, part of Kubernetes names: `openbao`, `aws`. */
  readonly name: string;
  /** Every auth mode the operator supports for it and the local environment can serve; the first is the default. */
  readonly authModes: readonly AuthMode[];
  readonly capabilities: Capabilities;
  readonly remote: RemoteSecrets;
  /** Once per test file, before any SecretProvider exists (policies, proxies); cleanups go to ctx. */
  setUp(ctx: ProviderContext): Promise<void>;
  /** Environment the operator process needs to reach the backend (e.g. an STS endpoint). */
  operatorEnv(): Record<string, string>;
}

/** The auth mode called `name`; the error lists those there are. */
export function authMode(provider: ProviderUnderTest, name: string): AuthMode {
  const mode = provider.authModes.find((m) => m.name === name);
  if (!mode)
    throw new Error(
      `${provider.name} has no auth mode ${name} (${provider.authModes.map((m) => m.name).join(', ')})`,
    );
  return mode;
}
