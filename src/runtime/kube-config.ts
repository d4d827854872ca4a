// Builds the Kubernetes client configuration from the source chosen by the run flags.
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeConfigSource } from './config.js';

/**
 * Loads the in-cluster config, or kubeconfig files merged as kubectl merges a KUBECONFIG list:
 * the first file to name a cluster, user, context or current context wins.
 */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const config = new KubeConfig();
  if (source.kind === 'in-cluster') {
    config.loadFromCluster();
    return reuseConnections(config);
  }
  const [first, ...rest] = source.paths;
  if (first === undefined) throw new Error('kubeconfig source lists no files');
  config.loadFromFile(first);
  for (const path of rest) {
    const more = new KubeConfig();
    more.loadFromFile(path);
    // client-node's mergeConfig throws on duplicate names where kubectl keeps the first.
    for (const cluster of more.clusters) if (!config.getCluster(cluster.name)) config.addCluster(cluster);
    for (const user of more.users) if (!config.getUser(user.name)) config.addUser(user);
    for (const context of more.contexts)
      if (!config.getContextObject(context.name)) config.addContext(context);
    if (!config.currentContext && more.currentContext) config.setCurrentContext(more.currentContext);
  }
  return reuseConnections(config);
}

interface DispatcherFactory {
  createDispatcher?: (cluster: { server?: string } | null, options: unknown) => unknown;
}

/**
 * @kubernetes/client-node 2.0 builds a new undici dispatcher for every API call, so every call
 * opens its own TCP and TLS connection (700-960 open sockets and TLS setup as the largest CPU item
 * at 1,000 SecretSources; `make bench`). One dispatcher per cluster makes calls share a pool.
 * Credentials stay per request (the Authorization header), so rotated tokens still apply. If a
 * client-node release drops the method, this does nothing.
 */
export function reuseConnections(config: KubeConfig): KubeConfig {
  const factory = config as unknown as DispatcherFactory;
  const create = factory.createDispatcher?.bind(config);
  if (!create) return config;
  const byServer = new Map<string, unknown>();
  factory.createDispatcher = (cluster, options) => {
    const key = cluster?.server ?? '';
    if (!byServer.has(key)) byServer.set(key, create(cluster, options));
    return byServer.get(key);
  };
  return config;
}
