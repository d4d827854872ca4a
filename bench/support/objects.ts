// The objects every bench creates: one SecretProvider, and SecretSources that each read one secret
// into key `value` on an interval.
import * as k8s from '@kubernetes/client-node';

const GROUP = 'secretsource.dev';
const VERSION = 'v1alpha1';
/** The one SecretProvider of a bench namespace. */
export const BENCH_PROVIDER = 'bench-backend';

export async function createProvider(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'secretproviders',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SecretProvider',
      metadata: { name: BENCH_PROVIDER },
      spec,
    },
  });
}

export async function createSource(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  name: string,
  remoteRef: Record<string, unknown>,
  options: { interval: string; creationPolicy?: 'Owner' | 'Orphan' },
): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'secretsources',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SecretSource',
      metadata: { name },
      spec: {
        providerRef: { kind: 'SecretProvider', name: BENCH_PROVIDER },
        refresh: { interval: options.interval },
        ...(options.creationPolicy ? { target: { creationPolicy: options.creationPolicy } } : {}),
        data: [{ key: 'value', remoteRef }],
      },
    },
  });
}
