// Gives each SecretProvider and ClusterSecretProvider a Ready condition from a
// cheap authenticated call (validate()), re-checked on change and periodically,
// so a broken connection shows on the provider before SecretSources fail.
import { InvalidSpecError, parseClusterSecretProvider, parseSecretProvider } from '../api/v1alpha1/index.js';
import { isReason, type Reason } from '../api/v1alpha1/reasons.js';
import { CredentialsPerNamespaceError, ProviderError } from '../providers/errors.js';
import { PROVIDER_TYPES } from '../providers/registry.js';
import type { Clock } from '../kube/clock.js';
import { findCondition, setCondition, type Condition } from '../kube/conditions.js';
import { kubeErrorMessage } from '../kube/kube-error.js';
import type {
  KubeGateway,
  ProviderClients,
  ProviderKind,
  ReconcileLogger,
  ReconcileResult,
  Store,
} from './ports.js';

export interface ProviderReconcilerOptions {
  providers: Store<unknown>;
  clusterProviders: Store<unknown>;
  clients: ProviderClients;
  kube: KubeGateway;
  logger: ReconcileLogger;
  clock: Clock;
  revalidateAfterMs?: number;
}

export class ProviderReconciler {
  readonly #o: ProviderReconcilerOptions;

  constructor(options: ProviderReconcilerOptions) {
    this.#o = options;
  }

  async reconcile(kind: ProviderKind, key: string, signal: AbortSignal): Promise<ReconcileResult> {
    const raw = kind === 'SecretProvider' ? this.#o.providers.get(key) : this.#o.clusterProviders.get(key);
    if (raw === undefined) return {};
    const revalidate = { requeueAfterMs: this.#o.revalidateAfterMs ?? 5 * 60_000 };
    let parsed;
    try {
      parsed = kind === 'SecretProvider' ? parseSecretProvider(raw) : parseClusterSecretProvider(raw);
    } catch (error) {
      if (!(error instanceof InvalidSpecError)) throw error;
      const meta = (raw as { metadata: { name: string; namespace?: string; generation?: number } }).metadata;
      await this.#setReady(kind, meta, undefined, 'False', 'InvalidSpec', error.message);
      return {};
    }
    const { metadata } = parsed;
    const namespace = kind === 'SecretProvider' ? metadata.namespace : undefined;
    const provider = {
      kind,
      name: metadata.name,
      namespace,
      uid: metadata.uid ?? '',
      generation: metadata.generation ?? 0,
      spec: parsed.spec,
    };
    const backend = PROVIDER_TYPES.find(
      (type) => (parsed.spec as Record<string, unknown>)[type] !== undefined,
    );
    const current = (parsed as { status?: { conditions?: Condition[]; backend?: string } }).status;
    try {
      // A ClusterSecretProvider is validated as used by no SecretSource: a credential reference
      // without a namespace is then read nowhere (never in the operator's own namespace).
      const client = await this.#o.clients.acquire(provider, namespace, signal);
      await client.validate(signal);
      await this.#setReady(kind, metadata, current, 'True', 'Valid', `connected to ${backend}`, backend);
      return revalidate;
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof CredentialsPerNamespaceError) {
        await this.#setReady(kind, metadata, current, 'Unknown', error.reason, error.message, backend);
        return {};
      }
      const named = (error as { reason?: unknown }).reason;
      const reason: Reason =
        error instanceof ProviderError ? error.reason : isReason(named) ? named : 'ValidationFailed';
      const message = error instanceof Error && 'reason' in error ? error.message : kubeErrorMessage(error);
      this.#o.logger.warn({ provider: `${kind}/${key}`, reason }, 'provider validation failed');
      await this.#setReady(kind, metadata, current, 'False', reason, message);
      return revalidate;
    }
  }

  async #setReady(
    kind: ProviderKind,
    metadata: { name: string; namespace?: string; generation?: number },
    current: { conditions?: Condition[]; backend?: string } | undefined,
    status: Condition['status'],
    reason: Reason,
    message: string,
    backend?: string,
  ): Promise<void> {
    const conditions = current?.conditions;
    const ready = findCondition(conditions, 'Ready');
    const generation = metadata.generation;
    if (
      ready?.status === status &&
      ready.reason === reason &&
      ready.message === message &&
      ready.observedGeneration === generation &&
      (backend === undefined || backend === current?.backend)
    ) {
      return; // nothing new: no write
    }
    const now = new Date(this.#o.clock.now());
    await this.#o.kube.patchProviderStatus(
      kind,
      kind === 'SecretProvider' ? metadata.namespace : undefined,
      metadata.name,
      {
        conditions: setCondition(
          conditions,
          { type: 'Ready', status, reason, message, observedGeneration: generation },
          now,
        ),
        observedGeneration: generation,
        ...(backend ? { backend } : {}),
      },
    );
  }
}
