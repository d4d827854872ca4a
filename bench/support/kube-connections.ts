// @kubernetes/client-node 2.0.1 builds a new undici Agent for every API call
// (KubeConfig.applySecurityAuthentication -> createDispatcher), so each call opens its own TCP and
// TLS connection. The bench measures the plain client both as shipped (what the operator uses) and
// with one dispatcher reused, to show what connection reuse is worth.
import * as k8s from '@kubernetes/client-node';

interface DispatcherFactory {
  createDispatcher(cluster: unknown, options: unknown): unknown;
}

/** A copy of `kc` whose API clients share one dispatcher (one connection pool). */
export function withReusedConnections(kc: k8s.KubeConfig): k8s.KubeConfig {
  const copy = new k8s.KubeConfig();
  copy.loadFromString(kc.exportConfig());
  const factory = copy as unknown as DispatcherFactory;
  if (typeof factory.createDispatcher !== 'function') {
    throw new Error('@kubernetes/client-node has no KubeConfig.createDispatcher any more: update the bench');
  }
  const create = factory.createDispatcher.bind(copy);
  let shared: unknown;
  factory.createDispatcher = (cluster, options) => (shared ??= create(cluster, options));
  return copy;
}
