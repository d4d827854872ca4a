// OpenBao's kubernetes auth method against the local API server: OpenBao checks each login JWT with
// a TokenReview, made with the token of a reviewer ServiceAccount bound to system:auth-delegator.
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { requireEnv, uniqueName } from './kube.js';
import type { OpenBaoAdmin } from './openbao-admin.js';

export interface KubernetesAuthMount {
  mount: string;
  /** The mount's accessor, for identity templating in policies (`identity.entity.aliases.<accessor>…`). */
  accessor: string;
  /** The reviewer's token: a credential, for the test's list of values that must never leak. */
  reviewerJwt: string;
}

/**
 * Enables the kubernetes auth method at `mount`, reviewed by a new ServiceAccount `vault-reviewer`
 * in `reviewerNamespace`. Each undo step is pushed on `cleanups`.
 */
export async function enableKubernetesAuth(
  kc: k8s.KubeConfig,
  openbao: OpenBaoAdmin,
  mount: string,
  reviewerNamespace: string,
  cleanups: (() => Promise<unknown>)[],
): Promise<KubernetesAuthMount> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({
    namespace: reviewerNamespace,
    body: { metadata: { name: 'vault-reviewer' } },
  });
  const binding = uniqueName('e2e-vault-reviewer');
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: binding },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: 'vault-reviewer', namespace: reviewerNamespace }],
    },
  });
  cleanups.push(() => rbac.deleteClusterRoleBinding({ name: binding }));
  const review = await core.createNamespacedServiceAccountToken({
    namespace: reviewerNamespace,
    name: 'vault-reviewer',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const reviewerJwt = review.status?.token ?? '';
  if (reviewerJwt === '') throw new Error('the TokenRequest for vault-reviewer returned no token');
  await openbao.request('POST', `sys/auth/${mount}`, { type: 'kubernetes' });
  cleanups.push(() => openbao.request('DELETE', `sys/auth/${mount}`));
  await openbao.request('POST', `auth/${mount}/config`, {
    kubernetes_host: requireEnv('KUBE_API_URL'),
    kubernetes_ca_cert: readFileSync(requireEnv('KUBE_CA_FILE'), 'utf8'),
    token_reviewer_jwt: reviewerJwt,
    disable_local_ca_jwt: true,
  });
  const mounts = (await openbao.request('GET', 'sys/auth')) as {
    data?: Record<string, { accessor: string }>;
  };
  const accessor = mounts.data?.[`${mount}/`]?.accessor;
  if (!accessor) throw new Error(`OpenBao lists no accessor for auth mount ${mount}`);
  return { mount, accessor, reviewerJwt };
}
