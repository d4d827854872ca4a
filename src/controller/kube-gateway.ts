// The reconcilers' Kubernetes I/O (the KubeGateway port, ports.ts) over the real API server, so
// reconcile logic is unit tested with a fake and e2e tested against the real API server.
// Every write goes through the global write rate limit and is counted.
import * as k8s from '@kubernetes/client-node';
import { GROUP, OPERATOR_FIELD_MANAGER, PLURALS, VERSION } from '../api/v1alpha1/names.js';
import type { AppliedSecret } from '../secrets/target.js';
import type { WriteLimiter } from '../kube/rate-limiter.js';
import type { KubeGateway, LiveSecret, ProviderKind, SecretMetadataPatch, WorkloadRef } from './ports.js';

const MERGE_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const APPLY_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);

export function isNotFound(error: unknown): boolean {
  return error instanceof k8s.ApiException && error.code === 404;
}

export class ClientNodeKubeGateway implements KubeGateway {
  readonly #core: k8s.CoreV1Api;
  readonly #apps: k8s.AppsV1Api;
  readonly #custom: k8s.CustomObjectsApi;
  readonly #limiter: WriteLimiter;
  readonly #onWrite: (resource: string, verb: string) => void;

  constructor(options: {
    kubeConfig: k8s.KubeConfig;
    limiter: WriteLimiter;
    onWrite?: (resource: string, verb: string) => void;
  }) {
    this.#core = options.kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.#apps = options.kubeConfig.makeApiClient(k8s.AppsV1Api);
    this.#custom = options.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.#limiter = options.limiter;
    this.#onWrite = options.onWrite ?? (() => undefined);
  }

  async getSecret(namespace: string, name: string): Promise<LiveSecret | undefined> {
    try {
      return await this.#core.readNamespacedSecret({ name, namespace });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async getConfigMap(
    namespace: string,
    name: string,
  ): Promise<{ data?: Record<string, string> } | undefined> {
    try {
      return await this.#core.readNamespacedConfigMap({ name, namespace });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async applySecret(
    secret: AppliedSecret,
    fieldManager: string,
    options: { force: boolean } = { force: true },
  ): Promise<LiveSecret> {
    await this.#write('secrets', 'apply');
    const { name, namespace } = secret.metadata;
    return this.#core.patchNamespacedSecret(
      { name, namespace, body: secret, fieldManager, force: options.force },
      APPLY_PATCH,
    );
  }

  async patchSecretMetadata(namespace: string, name: string, patch: SecretMetadataPatch): Promise<void> {
    await this.#write('secrets', 'patch');
    // A merge patch replaces managedFields as a whole; resourceVersion makes it fail rather than
    // overwrite ownership that changed since we read it. The API server keeps managedFields a
    // request sets, so no value changes and no new entry is recorded.
    await this.#core.patchNamespacedSecret(
      { name, namespace, body: { metadata: patch }, fieldManager: OPERATOR_FIELD_MANAGER },
      MERGE_PATCH,
    );
  }

  async deleteSecret(namespace: string, name: string, uid: string): Promise<void> {
    await this.#write('secrets', 'delete');
    try {
      await this.#core.deleteNamespacedSecret({ name, namespace, body: { preconditions: { uid } } });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async releaseSecret(namespace: string, name: string, ownerUid: string): Promise<void> {
    const live = await this.getSecret(namespace, name);
    const owners = live?.metadata?.ownerReferences ?? [];
    if (!owners.some((o) => o.uid === ownerUid)) return;
    await this.#write('secrets', 'patch');
    // A merge patch replaces the whole list; resourceVersion makes it fail
    // rather than drop an ownerReference someone added meanwhile.
    await this.#core.patchNamespacedSecret(
      {
        name,
        namespace,
        body: {
          metadata: {
            resourceVersion: (live as k8s.V1Secret).metadata?.resourceVersion,
            ownerReferences: owners.filter((o) => o.uid !== ownerUid),
          },
        },
      },
      MERGE_PATCH,
    );
  }

  async patchSecretSourceStatus(namespace: string, name: string, status: object): Promise<void> {
    await this.#write('secretsources/status', 'patch');
    await this.#custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURALS.SecretSource,
        name,
        body: { status },
        fieldManager: OPERATOR_FIELD_MANAGER,
      },
      MERGE_PATCH,
    );
  }

  async restartWorkload(workload: WorkloadRef, annotation: string, value: string): Promise<boolean> {
    const { namespace, kind, name } = workload;
    await this.#write(`${kind.toLowerCase()}s`, 'patch');
    // A merge patch, as `kubectl rollout restart` does: it never creates a missing workload, and
    // the one annotation it sets is recorded under our manager, so a GitOps tool's fields stay its own.
    const body = { spec: { template: { metadata: { annotations: { [annotation]: value } } } } };
    const request = { name, namespace, body, fieldManager: OPERATOR_FIELD_MANAGER };
    try {
      if (kind === 'Deployment') await this.#apps.patchNamespacedDeployment(request, MERGE_PATCH);
      else if (kind === 'StatefulSet') await this.#apps.patchNamespacedStatefulSet(request, MERGE_PATCH);
      else await this.#apps.patchNamespacedDaemonSet(request, MERGE_PATCH);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async patchProviderStatus(
    kind: ProviderKind,
    namespace: string | undefined,
    name: string,
    status: object,
  ): Promise<void> {
    const plural = PLURALS[kind];
    await this.#write(`${plural}/status`, 'patch');
    const body = { status };
    if (namespace === undefined) {
      await this.#custom.patchClusterCustomObjectStatus(
        { group: GROUP, version: VERSION, plural, name, body, fieldManager: OPERATOR_FIELD_MANAGER },
        MERGE_PATCH,
      );
    } else {
      await this.#custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
          name,
          body,
          fieldManager: OPERATOR_FIELD_MANAGER,
        },
        MERGE_PATCH,
      );
    }
  }

  async setFinalizer(
    namespace: string,
    name: string,
    finalizer: string,
    present: boolean,
    uid: string | undefined,
  ): Promise<void> {
    await this.#write('secretsources', 'apply');
    // Server-side apply with our field manager: other finalizers stay, and
    // leaving ours out of the apply removes it. An apply creates a missing
    // object; the uid makes it fail instead (409) when the object was just
    // deleted and our cache has not seen that yet.
    try {
      await this.#custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURALS.SecretSource,
          name,
          fieldManager: OPERATOR_FIELD_MANAGER,
          force: true,
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'SecretSource',
            metadata: {
              name,
              namespace,
              ...(uid ? { uid } : {}),
              ...(present ? { finalizers: [finalizer] } : {}),
            },
          },
        },
        APPLY_PATCH,
      );
    } catch (error) {
      // With force, an apply without resourceVersion conflicts only on the uid: that object is gone.
      if (uid && error instanceof k8s.ApiException && (error.code === 409 || error.code === 404)) return;
      throw error;
    }
  }

  async #write(resource: string, verb: string): Promise<void> {
    await this.#limiter.take();
    this.#onWrite(resource, verb);
  }
}
