// The operator e2e tests' calls on SecretSources, SecretProviders and the Secrets and Events they
// lead to, in one namespace. Waits name objects, keys and reasons in their errors, never a value.
import * as k8s from '@kubernetes/client-node';
import type {
  Condition,
  ProviderStatus,
  SecretSourceStatus,
} from '../../src/api/v1alpha1/types.generated.js';
import { eventually, readSecretIfExists, readyCondition, statusCode } from './kube.js';

import { API_VERSION, GROUP, VERSION } from '../../src/api/v1alpha1/names.js';

export { API_VERSION, GROUP, VERSION };
export const MERGE_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

export type { Condition };

/** The fields of a SecretSource the tests read. */
export interface SourceObject {
  metadata: {
    name: string;
    uid: string;
    generation: number;
    resourceVersion: string;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  status?: SecretSourceStatus;
}

interface ProviderObject {
  status?: ProviderStatus;
}

/** The bytes of a Secret's key, or undefined. */
export function bytesOf(secret: k8s.V1Secret | undefined, key: string): Buffer | undefined {
  const encoded = secret?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64');
}

/** Whether the Secret holds exactly these bytes under key (never prints either). */
export function holds(secret: k8s.V1Secret | undefined, key: string, expected: string | Buffer): boolean {
  const actual = bytesOf(secret, key);
  return actual !== undefined && actual.equals(Buffer.isBuffer(expected) ? expected : Buffer.from(expected));
}

export interface SecretSourceObjectsOptions {
  /** The SecretProvider a new SecretSource refers to unless told otherwise. */
  provider: string;
  /** Spec fields every new SecretSource starts from (the test's spec goes over them). */
  sourceDefaults?: (name: string) => Record<string, unknown>;
}

export class SecretSourceObjects {
  readonly namespace: string;
  readonly #core: k8s.CoreV1Api;
  readonly #custom: k8s.CustomObjectsApi;
  readonly #provider: string;
  readonly #sourceDefaults: (name: string) => Record<string, unknown>;

  constructor(kc: k8s.KubeConfig, namespace: string, options: SecretSourceObjectsOptions) {
    this.namespace = namespace;
    this.#core = kc.makeApiClient(k8s.CoreV1Api);
    this.#custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.#provider = options.provider;
    this.#sourceDefaults = options.sourceDefaults ?? (() => ({}));
  }

  #api(plural: 'secretsources' | 'secretproviders') {
    return { group: GROUP, version: VERSION, namespace: this.namespace, plural };
  }

  // ------------------------------------------------------------------------------------------
  // SecretProviders

  /** Creates a SecretProvider with this spec (e.g. `{ vault: {...} }` or `{ aws: {...} }`). */
  async createProvider(name: string, spec: Record<string, unknown>): Promise<void> {
    await this.#custom.createNamespacedCustomObject({
      ...this.#api('secretproviders'),
      body: { apiVersion: API_VERSION, kind: 'SecretProvider', metadata: { name }, spec },
    });
  }

  async providerReady(name: string): Promise<Condition | undefined> {
    const provider = (await this.#custom.getNamespacedCustomObject({
      ...this.#api('secretproviders'),
      name,
    })) as ProviderObject;
    return readyCondition(provider);
  }

  /** Waits for the provider's Ready to have this status (and reason, if given). */
  async waitProviderReady(
    name: string,
    status: 'True' | 'False',
    reason?: string,
    timeoutMs = 20_000,
  ): Promise<Condition> {
    return eventually(async () => {
      const ready = await this.providerReady(name);
      if (ready?.status !== status || (reason !== undefined && ready.reason !== reason)) {
        throw new Error(
          `SecretProvider ${name}: Ready is ${ready?.status}/${ready?.reason} (${ready?.message}), ` +
            `want ${status}/${reason ?? 'any'}`,
        );
      }
      return ready;
    }, timeoutMs);
  }

  // ------------------------------------------------------------------------------------------
  // SecretSources

  /** Creates a SecretSource referring to `provider`; `spec` goes over the defaults. */
  async createSource(
    name: string,
    spec: Record<string, unknown>,
    provider: string = this.#provider,
  ): Promise<void> {
    await this.#custom.createNamespacedCustomObject({
      ...this.#api('secretsources'),
      body: {
        apiVersion: API_VERSION,
        kind: 'SecretSource',
        metadata: { name },
        spec: {
          providerRef: { kind: 'SecretProvider', name: provider },
          ...this.#sourceDefaults(name),
          ...spec,
        },
      },
    });
  }

  /** The SecretSource, or undefined when it does not exist. */
  async getSource(name: string): Promise<SourceObject | undefined> {
    try {
      return (await this.#custom.getNamespacedCustomObject({
        ...this.#api('secretsources'),
        name,
      })) as SourceObject;
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  /** A JSON merge patch (a null removes a field). */
  async patchSource(name: string, body: object): Promise<void> {
    await this.#custom.patchNamespacedCustomObject(
      { ...this.#api('secretsources'), name, body },
      MERGE_PATCH,
    );
  }

  async deleteSource(name: string): Promise<void> {
    await this.#custom.deleteNamespacedCustomObject({ ...this.#api('secretsources'), name });
  }

  async listSources(): Promise<SourceObject[]> {
    const list = (await this.#custom.listNamespacedCustomObject(this.#api('secretsources'))) as {
      items: SourceObject[];
    };
    return list.items;
  }

  /** Waits for Ready to have this status and reason; returns the SecretSource. */
  async waitReady(
    name: string,
    status: 'True' | 'False',
    reason: string,
    timeoutMs = 20_000,
  ): Promise<SourceObject> {
    return eventually(async () => {
      const source = await this.getSource(name);
      const ready = readyCondition(source);
      if (ready?.status !== status || ready.reason !== reason) {
        throw new Error(
          `SecretSource ${name}: Ready is ${ready?.status}/${ready?.reason} (${ready?.message}), ` +
            `want ${status}/${reason}`,
        );
      }
      return source!;
    }, timeoutMs);
  }

  /**
   * Deletes every SecretSource and waits (up to 20 s) until the operator's finalizers let them
   * go. Errors are ignored: this is for cleaning up.
   */
  async deleteAllSources(): Promise<void> {
    const sources = await this.listSources().catch(() => []);
    await Promise.all(sources.map((s) => this.deleteSource(s.metadata.name).catch(() => undefined)));
    await eventually(async () => {
      const left = await this.listSources();
      if (left.length > 0) throw new Error(`${left.length} SecretSources left`);
    }).catch(() => undefined);
  }

  /**
   * Removes the finalizers of every SecretSource left, so that with no operator running their
   * namespace can still go away. Errors are ignored: this is for cleaning up.
   */
  async dropFinalizers(): Promise<void> {
    const sources = await this.listSources().catch(() => []);
    for (const source of sources.filter((s) => s.metadata.finalizers?.length)) {
      await this.patchSource(source.metadata.name, { metadata: { finalizers: null } }).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Secrets and Events

  /** The Secret, or undefined when it does not exist. */
  getSecret(name: string): Promise<k8s.V1Secret | undefined> {
    return readSecretIfExists(this.#core, this.namespace, name);
  }

  async waitSecret(name: string): Promise<k8s.V1Secret> {
    return eventually(async () => {
      const secret = await this.getSecret(name);
      if (!secret) throw new Error(`Secret ${name} does not exist yet`);
      return secret;
    });
  }

  /** Waits until the Secret holds the value under key; the error names the key only. */
  async waitValue(
    name: string,
    key: string,
    expected: string | Buffer,
    timeoutMs = 20_000,
  ): Promise<k8s.V1Secret> {
    return eventually(async () => {
      const secret = await this.getSecret(name);
      if (!holds(secret, key, expected))
        throw new Error(`Secret ${name} key ${key} does not hold the expected value`);
      return secret!;
    }, timeoutMs);
  }

  /** The Events about SecretSource `name`. */
  async sourceEvents(name: string): Promise<k8s.CoreV1Event[]> {
    const list = await this.#core.listNamespacedEvent({
      namespace: this.namespace,
      fieldSelector: `involvedObject.name=${name}`,
    });
    return list.items.filter((e) => e.involvedObject.kind === 'SecretSource');
  }

  async waitEvent(name: string, type: 'Normal' | 'Warning', reason: string): Promise<k8s.CoreV1Event> {
    return eventually(async () => {
      const found = (await this.sourceEvents(name)).find((e) => e.type === type && e.reason === reason);
      if (!found) throw new Error(`no ${type} Event ${reason} for SecretSource ${name}`);
      return found;
    });
  }
}
