// How providers load their authentication material from Kubernetes, and the namespace rule that
// decides where they may load it from. Providers see only ScopedCredentials, so they cannot skip it.
import {
  CoreV1Api,
  Observable,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
} from '@kubernetes/client-node';
import {
  CredentialsUnavailableError,
  InvalidSpecError,
  ProviderNotAllowedError,
  UnauthorizedError,
  UnavailableError,
  type ErrorSubject,
} from './errors.js';
import { describeProvider, type ProviderIdentity, type ProviderKind } from './types.js';

export interface SecretKeyRef {
  namespace: string;
  name: string;
  key: string;
}

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

export interface CredentialSecretValue {
  value: Buffer;
  /** Lets the client cache notice a rotated credential Secret. */
  resourceVersion: string;
}

export interface ServiceAccountToken {
  token: string;
  expiresAt: Date;
}

/** Lifetime of the ServiceAccount tokens providers request: used at once, so the API server's minimum. */
export const SERVICE_ACCOUNT_TOKEN_SECONDS = 600;

export interface CredentialSource {
  secretKey(ref: SecretKeyRef, signal: AbortSignal): Promise<CredentialSecretValue>;
  serviceAccountToken(
    ref: ServiceAccountRef,
    audiences: string[],
    expirationSeconds: number,
    signal: AbortSignal,
  ): Promise<ServiceAccountToken>;
}

// ---------------------------------------------------------------------------------------------
// The namespace rule

export interface CredentialNamespaceInput {
  providerKind: ProviderKind;
  /** The SecretProvider's namespace (unused for a ClusterSecretProvider). */
  providerNamespace?: string;
  /** The namespace written in the reference, if any. */
  refNamespace?: string;
  /** The namespace of the SecretSource using the provider; undefined when not known. */
  consumerNamespace?: string;
  /** For error messages: the provider (`SecretProvider payments/vault`) and the reference (`Secret vault-token`). */
  provider?: string;
  what?: string;
}

/**
 * A namespaced SecretProvider may only read from its own namespace; a ClusterSecretProvider reads
 * from the namespace written in the reference, else from the namespace of the SecretSource using it
 * (External Secrets Operator behaviour).
 */
export function resolveCredentialNamespace(input: CredentialNamespaceInput): string {
  const refNamespace = input.refNamespace === '' ? undefined : input.refNamespace;
  const what = input.what ?? 'credential reference';
  if (input.providerKind === 'SecretProvider') {
    if (!input.providerNamespace) {
      throw new InvalidSpecError(
        { provider: input.provider ?? 'SecretProvider' },
        'a SecretProvider must have a namespace',
      );
    }
    if (refNamespace !== undefined && refNamespace !== input.providerNamespace) {
      throw new ProviderNotAllowedError(
        { provider: input.provider ?? `SecretProvider ${input.providerNamespace}` },
        `${what} points to namespace "${refNamespace}"; a SecretProvider may only read from its own namespace`,
      );
    }
    return input.providerNamespace;
  }
  if (refNamespace !== undefined) return refNamespace;
  if (!input.consumerNamespace) {
    throw new InvalidSpecError(
      { provider: input.provider ?? 'ClusterSecretProvider' },
      `${what} has no namespace and there is no SecretSource namespace to default to`,
    );
  }
  return input.consumerNamespace;
}

export interface CredentialScope {
  provider: ProviderIdentity;
  /** The SecretSource's namespace; leave undefined when every reference names its namespace. */
  consumerNamespace?: string;
}

/** Credential access as a provider sees it: namespaces optional, the rule applied on every call. */
export interface ScopedCredentials {
  secretKey(
    ref: { name: string; key: string; namespace?: string },
    signal: AbortSignal,
  ): Promise<CredentialSecretValue>;
  serviceAccountToken(
    ref: { name: string; namespace?: string },
    audiences: string[],
    expirationSeconds: number,
    signal: AbortSignal,
  ): Promise<ServiceAccountToken>;
}

export function scopeCredentials(source: CredentialSource, scope: CredentialScope): ScopedCredentials {
  const namespaceFor = (refNamespace: string | undefined, what: string): string =>
    resolveCredentialNamespace({
      providerKind: scope.provider.kind,
      providerNamespace: scope.provider.namespace,
      refNamespace,
      consumerNamespace: scope.consumerNamespace,
      provider: describeProvider(scope.provider),
      what,
    });
  return {
    secretKey: async (ref, signal) =>
      source.secretKey(
        { namespace: namespaceFor(ref.namespace, `Secret ${ref.name}`), name: ref.name, key: ref.key },
        signal,
      ),
    serviceAccountToken: async (ref, audiences, expirationSeconds, signal) =>
      source.serviceAccountToken(
        { namespace: namespaceFor(ref.namespace, `ServiceAccount ${ref.name}`), name: ref.name },
        audiences,
        expirationSeconds,
        signal,
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// The implementation on @kubernetes/client-node

/** The two CoreV1Api calls we need (RBAC: get secrets, create serviceaccounts/token). */
export type CoreV1CredentialApi = Pick<
  CoreV1Api,
  'readNamespacedSecret' | 'createNamespacedServiceAccountToken'
>;

export class KubernetesCredentialSource implements CredentialSource {
  readonly #core: CoreV1CredentialApi;

  constructor(core: CoreV1CredentialApi) {
    this.#core = core;
  }

  static fromKubeConfig(kubeConfig: KubeConfig): KubernetesCredentialSource {
    return new KubernetesCredentialSource(kubeConfig.makeApiClient(CoreV1Api));
  }

  async secretKey(ref: SecretKeyRef, signal: AbortSignal): Promise<CredentialSecretValue> {
    const subject = { provider: 'kubernetes', path: `Secret ${ref.namespace}/${ref.name}` };
    let secret;
    try {
      secret = await this.#core.readNamespacedSecret(
        { name: ref.name, namespace: ref.namespace },
        withSignal(signal),
      );
    } catch (error) {
      throw kubernetesError(error, signal, subject, 'credentials Secret not found');
    }
    const encoded = secret.data?.[ref.key];
    if (encoded === undefined) {
      throw new CredentialsUnavailableError(subject, `key "${ref.key}" not found in the credentials Secret`);
    }
    return { value: Buffer.from(encoded, 'base64'), resourceVersion: secret.metadata?.resourceVersion ?? '' };
  }

  async serviceAccountToken(
    ref: ServiceAccountRef,
    audiences: string[],
    expirationSeconds: number,
    signal: AbortSignal,
  ): Promise<ServiceAccountToken> {
    const subject = { provider: 'kubernetes', path: `ServiceAccount ${ref.namespace}/${ref.name}` };
    let request;
    try {
      request = await this.#core.createNamespacedServiceAccountToken(
        {
          name: ref.name,
          namespace: ref.namespace,
          body: { spec: { audiences, expirationSeconds } },
        },
        withSignal(signal),
      );
    } catch (error) {
      throw kubernetesError(error, signal, subject, 'ServiceAccount not found');
    }
    const token = request.status?.token;
    if (!token) throw new UnavailableError(subject, 'TokenRequest returned no token');
    const expiresAt = request.status?.expirationTimestamp
      ? new Date(request.status.expirationTimestamp)
      : new Date(Date.now() + expirationSeconds * 1000);
    return { token, expiresAt };
  }
}

type RequestOptions = Parameters<CoreV1Api['readNamespacedSecret']>[1];

/**
 * Per-call options that hand our AbortSignal to the client's fetch. The object-parameter API runs
 * observable middleware (a promise middleware fails there with "toPromise is not a function").
 */
function withSignal(signal: AbortSignal): RequestOptions {
  const middleware: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/** Converts a client-node failure (ApiException or fetch error) into a typed error, keeping only the status. */
function kubernetesError(
  error: unknown,
  signal: AbortSignal,
  subject: ErrorSubject,
  notFound: string,
): unknown {
  if (signal.aborted) return signal.reason;
  const status = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (status === 404) return new CredentialsUnavailableError(subject, notFound);
  if (status === 401 || status === 403) {
    return new UnauthorizedError(subject, `the operator may not read this (HTTP ${status}); check its RBAC`);
  }
  if (typeof status === 'number')
    return new UnavailableError(subject, `Kubernetes API answered HTTP ${status}`);
  return new UnavailableError(subject, 'Kubernetes API unreachable');
}
