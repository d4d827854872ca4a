// OpenBao's PKI secrets engine on a mount of a test's own: a root CA and a role `web` that issues
// certificates for example.test and its subdomains (at most 5 minutes each).
import type { OpenBaoAdmin } from './openbao-admin.js';

/** The policy lines an identity needs to issue from `mount` and renew and revoke its leases. */
export function pkiIssuePolicy(mount: string): string[] {
  return [
    `path "${mount}/issue/web" { capabilities = ["create", "update"] }`,
    `path "sys/leases/renew" { capabilities = ["update"] }`,
    `path "sys/leases/revoke" { capabilities = ["update"] }`,
  ];
}

export async function mountPki(
  admin: OpenBaoAdmin,
  mount: string,
  onCleanup: (step: () => Promise<unknown>) => void,
): Promise<void> {
  await admin.request('POST', `sys/mounts/${mount}`, { type: 'pki', config: { max_lease_ttl: '1h' } });
  onCleanup(() => admin.request('DELETE', `sys/mounts/${mount}`));
  await admin.request('POST', `${mount}/root/generate/internal`, { common_name: 'e2e CA', ttl: '1h' });
  await admin.request('POST', `${mount}/roles/web`, {
    allowed_domains: ['example.test'],
    allow_subdomains: true,
    max_ttl: '5m',
  });
}
