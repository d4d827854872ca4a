// The bench's reads of a namespace on the API server (the objects of an operator under bench and
// the Secrets they manage, resourceVersions, Events) and its teardown. Reads retry transient errors
// and count them: a struggling API server is part of what a run reports.
import * as k8s from '@kubernetes/client-node';
import { statusCode } from '../../e2e/support/kube.js';
import { mapBounded } from './bounded.js';
import { isTransient, retryTransient } from './retry.js';
import { seconds, sleep } from './measure.js';

/** A custom resource the bench lists: ours (SecretSource) or ESO's (ExternalSecret). */
export interface ObjectKind {
  group: string;
  version: string;
  plural: string;
}

export const SECRET_SOURCES: ObjectKind = {
  group: 'secretsource.dev',
  version: 'v1alpha1',
  plural: 'secretsources',
};

export interface ListedObject {
  metadata: { name: string; resourceVersion: string; finalizers?: string[] };
  status?: { conditions?: { type: string; status: string; reason?: string }[]; nextRefreshTime?: string };
}

const MERGE_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** Transient API errors the bench's own reads retried, by HTTP status. */
export const retried: Record<string, number> = {};

function countRetry(error: unknown): void {
  const key = String(statusCode(error) ?? (error as Error).name);
  retried[key] = (retried[key] ?? 0) + 1;
}

export class BenchNamespace {
  readonly name: string;
  readonly #core: k8s.CoreV1Api;
  readonly #custom: k8s.CustomObjectsApi;
  readonly #kind: ObjectKind;
  readonly #managedSelector: string;

  constructor(kc: k8s.KubeConfig, name: string, kind: ObjectKind, managedSelector: string) {
    this.name = name;
    this.#core = kc.makeApiClient(k8s.CoreV1Api);
    this.#custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.#kind = kind;
    this.#managedSelector = managedSelector;
  }

  async objects(): Promise<ListedObject[]> {
    const list = (await retryTransient(
      () => this.#custom.listNamespacedCustomObject({ ...this.#kind, namespace: this.name }),
      { onRetry: countRetry },
    )) as { items: ListedObject[] };
    return list.items;
  }

  /** resourceVersion of every object and managed Secret, keyed `object/<name>` and `secret/<name>`. */
  async resourceVersions(): Promise<Map<string, string>> {
    const versions = new Map<string, string>();
    for (const object of await this.objects()) {
      versions.set(`object/${object.metadata.name}`, object.metadata.resourceVersion);
    }
    const secrets = await retryTransient(
      () => this.#core.listNamespacedSecret({ namespace: this.name, labelSelector: this.#managedSelector }),
      { onRetry: countRetry },
    );
    for (const secret of secrets.items) {
      versions.set(`secret/${secret.metadata!.name!}`, secret.metadata!.resourceVersion!);
    }
    return versions;
  }

  async eventCount(): Promise<number> {
    const events = await retryTransient(() => this.#core.listNamespacedEvent({ namespace: this.name }), {
      onRetry: countRetry,
    });
    return events.items.length;
  }

  /**
   * Deletes the namespace and waits until it is gone, so the next scenario does not share the API
   * server with its teardown. The operator is stopped by then: its finalizers are removed here.
   */
  async deleteAndWait(concurrency: number, log: (message: string) => void): Promise<void> {
    const started = Date.now();
    await this.#releaseFinalizers(concurrency);
    await this.#core.deleteNamespace({ name: this.name }).catch((error: unknown) => {
      if (statusCode(error) !== 404) throw error;
    });
    const deadline = Date.now() + 600_000;
    for (let check = 1; Date.now() < deadline; check++) {
      try {
        await this.#core.readNamespace({ name: this.name });
      } catch (error) {
        if (statusCode(error) === 404) {
          log(`namespace ${this.name} deleted in ${seconds(Date.now() - started)}s`);
          return;
        }
        if (!isTransient(error)) throw error;
      }
      // An object the stopped operator reconciled after our first pass still holds a finalizer.
      if (check % 15 === 0) await this.#releaseFinalizers(concurrency);
      await sleep(1_000);
    }
    log(`namespace ${this.name} still terminating after 10 minutes; left to the namespace controller`);
  }

  async #releaseFinalizers(concurrency: number): Promise<void> {
    const held = (await this.objects()).filter((object) => object.metadata.finalizers?.length);
    await mapBounded(held, concurrency, (object) =>
      retryTransient(() =>
        this.#custom.patchNamespacedCustomObject(
          {
            ...this.#kind,
            namespace: this.name,
            name: object.metadata.name,
            body: { metadata: { finalizers: null } },
          },
          MERGE_PATCH,
        ),
      ).catch((error: unknown) => {
        if (statusCode(error) !== 404) throw error;
      }),
    );
  }
}

/** Objects and Secrets whose resourceVersion differs between two readings (or that came or went). */
export function changedObjects(
  before: Map<string, string>,
  after: Map<string, string>,
): { objects: number; secrets: number } {
  const changed = { objects: 0, secrets: 0 };
  const count = (key: string): void => {
    if (key.startsWith('secret/')) changed.secrets++;
    else changed.objects++;
  };
  for (const [key, version] of after) if (before.get(key) !== version) count(key);
  for (const key of before.keys()) if (!after.has(key)) count(key);
  return changed;
}
