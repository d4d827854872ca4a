// `secretsource run`: the operator process. Builds every collaborator once,
// starts informers at once (standbys keep caches warm), and reconciles only
// while it holds the leader Lease.
import { randomUUID } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { OPERATOR_NAME, REPORTING_CONTROLLER } from '../api/v1alpha1/names.js';
import { systemClock } from '../kube/clock.js';
import { KubeEventRecorder } from '../kube/events.js';
import { ClientNodeKubeGateway } from '../controller/kube-gateway.js';
import { ControllerManager } from '../controller/manager.js';
import { ProviderReconciler } from '../controller/provider-reconciler.js';
import { ProviderResolver } from '../controller/provider-resolver.js';
import { TokenBucket } from '../kube/rate-limiter.js';
import { SecretSourceReconciler } from '../controller/secret-source/reconcile.js';
import { kubeErrorMessage } from '../kube/kube-error.js';
import { ProviderClientCache } from '../providers/client-cache.js';
import { KubernetesCredentialSource } from '../providers/credentials.js';
import { CoalescingReader } from '../providers/read-coalescer.js';
import { providerFactories } from '../providers/index.js';
import { ProviderRegistry } from '../providers/registry.js';
import type { ProviderCallStatus as ProviderOutcome } from '../providers/types.js';
import type { RunConfig } from '../runtime/config.js';
import { ContentFingerprint } from '../secrets/fingerprint.js';
import {
  FINGERPRINT_KEY_SECRET,
  KubernetesKeySecretStore,
  loadFingerprintKey,
} from '../runtime/fingerprint-key.js';
import { OperatorHttpServer } from '../runtime/http-server.js';
import { loadKubeConfig } from '../runtime/kube-config.js';
import { LeaderElector } from '../runtime/leader-election.js';
import { KubernetesLeaseStore } from '../runtime/lease-store.js';
import type { Logger } from '../runtime/logger.js';
import { Metrics, type ProviderCallStatus } from '../runtime/metrics.js';
import { onShutdownSignal } from '../runtime/shutdown.js';

export async function runOperator(config: RunConfig, logger: Logger): Promise<void> {
  const clock = systemClock;
  const random = Math.random;
  const kubeConfig = loadKubeConfig(config.kubeconfig);
  const metrics = new Metrics();

  const manager = new ControllerManager({
    kubeConfig,
    namespaces: config.namespaces,
    concurrency: config.concurrency,
    clusterProviders: config.clusterProviders,
    clock,
    random,
    logger,
  });
  metrics.setQueueDepthSource(() => manager.queue.len());
  metrics.setObjectReadinessSource(() =>
    countByReadiness(manager.secretSources.list() as { status?: unknown }[]),
  );

  // One write budget (--kube-qps/--kube-burst) for the gateway's writes and the Events.
  const writeLimiter = new TokenBucket({ qps: config.kubeQps, burst: config.kubeBurst, clock });
  const kube = new ClientNodeKubeGateway({
    kubeConfig,
    limiter: writeLimiter,
    onWrite: (resource, verb) => metrics.kubeWrite(resource, verb as 'apply'),
  });
  const clients = new ProviderClientCache({
    registry: new ProviderRegistry(providerFactories()),
    credentials: new KubernetesCredentialSource(kubeConfig.makeApiClient(k8s.CoreV1Api)),
    logger,
    onCall: (provider, operation, status) => metrics.providerCall(provider, operation, callStatus(status)),
  });
  const events = new KubeEventRecorder({
    core: kubeConfig.makeApiClient(k8s.CoreV1Api),
    clock,
    reporter: { component: OPERATOR_NAME, controller: REPORTING_CONTROLLER },
    instance: config.leaderElectionIdentity,
    limiter: writeLimiter,
    onWrite: () => metrics.kubeWrite('events', 'create'),
    onError: (error) => logger.debug({ error: String(error) }, 'event not recorded'),
  });
  const providers = new ProviderReconciler({
    providers: manager.secretProviders,
    clusterProviders: manager.clusterProviders,
    clients,
    kube,
    logger,
    clock,
  });

  const healthServer = new OperatorHttpServer({
    address: config.healthAddress,
    health: { readiness: () => manager.readiness() },
    logger,
  });
  const metricsServer = new OperatorHttpServer({ address: config.metricsAddress, metrics, logger });
  await healthServer.listen();
  await metricsServer.listen();

  const election: { elector?: LeaderElector } = {};
  onShutdownSignal(
    async (signal) => {
      logger.info({ signal }, 'shutting down: finishing in-flight work');
      await manager.stop();
      if (election.elector) await election.elector.release();
      await clients.closeAll();
      await Promise.all([healthServer.close(), metricsServer.close()]);
      logger.info({}, 'stopped');
    },
    { logger },
  );

  logger.info(
    {
      namespaces: config.namespaces.length ? config.namespaces : 'all',
      concurrency: config.concurrency,
      clusterProviders: config.clusterProviders,
    },
    'starting informers',
  );
  await manager.startInformers();
  logger.info({}, 'informers synced');
  // Standbys load it too, so a takeover starts reconciling at once.
  const fingerprintKey = await loadFingerprintKeyUntilDone(
    new KubernetesKeySecretStore(kubeConfig.makeApiClient(k8s.CoreV1Api)),
    config.leaderElectionNamespace,
    logger,
  );
  const sources = new SecretSourceReconciler({
    sources: manager.secretSources,
    managedSecrets: manager.managedSecrets,
    providers: new ProviderResolver({
      providers: manager.secretProviders,
      clusterProviders: manager.clusterProviders,
      namespaces: manager.namespaces,
      clusterProvidersEnabled: config.clusterProviders,
    }),
    kube,
    clients,
    reader: new CoalescingReader(),
    events,
    logger,
    metrics: {
      syncFinished: (result, seconds) => metrics.syncFinished(syncResult(result), seconds),
      certificateNotAfter: (namespace, name, notAfter) =>
        metrics.certificateNotAfter(namespace, name, notAfter),
      workloadRestart: (kind, result) => metrics.workloadRestart(kind, result),
      rotation: (provider, result) => metrics.rotation(provider, result),
      leaseRenewal: (result) => metrics.leaseRenewal(result),
      dynamicIssue: (reason, result) => metrics.dynamicIssue(reason, result),
      leaseRevocation: (result) => metrics.leaseRevocation(result),
      leaseExpiry: (namespace, name, expiresAt) => metrics.leaseExpiry(namespace, name, expiresAt),
      nextRefresh: (namespace, name, at) => metrics.nextRefresh(namespace, name, at),
    },
    fingerprint: new ContentFingerprint(fingerprintKey),
    clock,
    random,
  });

  const reconcilers = {
    secretSource: (key: string, signal: AbortSignal) => sources.reconcile(key, signal),
    forgetSecretSource: (key: string) => sources.forget(key),
    provider: (kind: 'SecretProvider' | 'ClusterSecretProvider', key: string, signal: AbortSignal) =>
      providers.reconcile(kind, key, signal),
    providerChanged: (uid: string) => clients.invalidate(uid),
  };
  if (!config.leaderElect) {
    manager.startReconciling(reconcilers);
    return;
  }
  const elector = new LeaderElector({
    lease: { namespace: config.leaderElectionNamespace, name: config.leaderElectionId },
    identity: config.leaderElectionIdentity || randomUUID(),
    store: new KubernetesLeaseStore(kubeConfig.makeApiClient(k8s.CoordinationV1Api)),
    clock,
    random,
    logger,
    onStartedLeading: () => {
      logger.info({ identity: config.leaderElectionIdentity }, 'became leader: reconciling');
      manager.startReconciling(reconcilers);
    },
    onStoppedLeading: (reason) => {
      if (reason === 'released') return; // our own graceful shutdown gave the Lease up
      // Another replica may be writing already: stop at once, as controller-runtime does.
      logger.error({ reason }, 'lost leadership: exiting');
      process.exit(1);
    },
    onNewLeader: (identity) => logger.info({ leader: identity }, 'leader observed'),
  });
  election.elector = elector;
  const lease = `${config.leaderElectionNamespace}/${config.leaderElectionId}`;
  logger.info({ lease }, `taking the leader Lease ${lease}; reconciling starts once it is held`);
  elector.start();
}

/** The fingerprint key, retried (with a warning each time) while the API server cannot answer. */
async function loadFingerprintKeyUntilDone(
  store: KubernetesKeySecretStore,
  namespace: string,
  logger: Logger,
): Promise<Buffer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await loadFingerprintKey(store, namespace, logger)).key;
    } catch (error) {
      const delayMs = Math.min(30_000, 500 * 2 ** attempt);
      logger.warn(
        {
          secret: `${namespace}/${FINGERPRINT_KEY_SECRET}`,
          attempt,
          retryInMs: delayMs,
          detail: kubeErrorMessage(error),
        },
        'cannot load the fingerprint key; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function callStatus(status: ProviderOutcome): ProviderCallStatus {
  switch (status) {
    case 'success':
      return 'ok';
    case 'RemoteNotFound':
      return 'not_found';
    case 'AuthFailed':
      return 'unauthorized';
    case 'Throttled':
      return 'throttled';
    case 'Unavailable':
      return 'unavailable';
    case 'InvalidRef':
      return 'invalid_ref';
    default:
      return 'error';
  }
}

function syncResult(result: string): 'written' | 'unchanged' | 'error' {
  if (result === 'unchanged' || result === 'error') return result;
  return 'written';
}

function countByReadiness(sources: { status?: unknown }[]): { True: number; False: number; Unknown: number } {
  const counts = { True: 0, False: 0, Unknown: 0 };
  for (const source of sources) {
    const conditions = (source.status as { conditions?: { type: string; status: string }[] } | undefined)
      ?.conditions;
    const ready = conditions?.find((c) => c.type === 'Ready')?.status;
    counts[ready === 'True' || ready === 'False' ? ready : 'Unknown'] += 1;
  }
  return counts;
}
