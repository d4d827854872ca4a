// Minimal Deployments, StatefulSets and DaemonSets to be restart targets. The local environment runs
// no workload controllers, so no pod is ever created: a restart shows as the pod-template annotation
// and a new generation, which is what a real controller would act on.
import * as k8s from '@kubernetes/client-node';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

function template(name: string): k8s.V1PodTemplateSpec {
  return {
    metadata: { labels: { app: name } },
    spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
  };
}

export async function createWorkload(
  kc: k8s.KubeConfig,
  namespace: string,
  kind: WorkloadKind,
  name: string,
): Promise<void> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const metadata = { name };
  const selector = { matchLabels: { app: name } };
  if (kind === 'Deployment') {
    await apps.createNamespacedDeployment({
      namespace,
      body: { metadata, spec: { selector, template: template(name) } },
    });
  } else if (kind === 'StatefulSet') {
    await apps.createNamespacedStatefulSet({
      namespace,
      body: { metadata, spec: { selector, serviceName: name, template: template(name) } },
    });
  } else {
    await apps.createNamespacedDaemonSet({
      namespace,
      body: { metadata, spec: { selector, template: template(name) } },
    });
  }
}

/** The workload's generation and its pod template's annotations. */
export async function readWorkload(
  kc: k8s.KubeConfig,
  namespace: string,
  kind: WorkloadKind,
  name: string,
): Promise<{ generation: number; annotations: Record<string, string> }> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const object =
    kind === 'Deployment'
      ? await apps.readNamespacedDeployment({ namespace, name })
      : kind === 'StatefulSet'
        ? await apps.readNamespacedStatefulSet({ namespace, name })
        : await apps.readNamespacedDaemonSet({ namespace, name });
  return {
    generation: object.metadata?.generation ?? 0,
    annotations: object.spec?.template.metadata?.annotations ?? {},
  };
}
