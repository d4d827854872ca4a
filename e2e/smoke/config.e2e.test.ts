// config/ is what users install: the API server must accept all of it, and
// the manager's pod template must satisfy the restricted Pod Security level.
import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import { adminKubeConfig, installCrds, repoRoot, requireEnv } from '../support/kube.js';
import { installOperatorRbac } from '../support/operator.js';

function kubectl(...args: string[]): string {
  return execFileSync(requireEnv('KUBECTL'), args, {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
}

// No operator fixture: config/ is applied as a user would, and nothing runs.
beforeAll(async () => {
  const kc = adminKubeConfig();
  await installCrds(kc);
  await installOperatorRbac(kc); // creates the secretsource-system namespace a dry run cannot
});

test('kubectl apply -f crds/ --dry-run=server is accepted: crds/ holds only the CRDs', () => {
  // Users install CRDs with -f; a kustomization.yaml there is refused as an unknown kind.
  const output = kubectl('apply', '-f', 'crds/', '--dry-run=server');
  for (const plural of ['secretsources', 'secretproviders', 'clustersecretproviders']) {
    expect(output).toContain(`customresourcedefinition.apiextensions.k8s.io/${plural}.secretsource.dev`);
  }
});

test('kubectl apply -k config/default --dry-run=server is accepted', () => {
  const output = execFileSync(requireEnv('KUBECTL'), ['apply', '-k', 'config/default', '--dry-run=server'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  for (const object of [
    'customresourcedefinition.apiextensions.k8s.io/secretsources.secretsource.dev',
    'clusterrole.rbac.authorization.k8s.io/secretsource-operator',
    'role.rbac.authorization.k8s.io/secretsource-leader-election',
    'deployment.apps/secretsource-operator',
    'networkpolicy.networking.k8s.io/secretsource-operator',
    'networkpolicy.networking.k8s.io/secretsource-operator-backends',
    'validatingadmissionpolicy.admissionregistration.k8s.io/secretsource-target-guard',
    'validatingadmissionpolicy.admissionregistration.k8s.io/secretsource-provider-namespace',
    'validatingadmissionpolicy.admissionregistration.k8s.io/secretsource-requester-rights',
    'validatingadmissionpolicybinding.admissionregistration.k8s.io/secretsource-requester-rights',
  ]) {
    expect(output).toContain(object);
  }
});

test('the manager Deployment meets the restricted Pod Security Standard', () => {
  // The namespace enforces "restricted"; the API server warns on a workload whose
  // pod template would be refused. Capture stderr, where kubectl prints warnings.
  let warnings = '';
  try {
    execFileSync(requireEnv('KUBECTL'), ['apply', '-k', 'config/manager', '--dry-run=server'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    });
  } catch (error) {
    warnings = String((error as { stderr?: string }).stderr);
  }
  const secured = kubectl('get', 'namespace', 'secretsource-system', '-o', 'jsonpath={.metadata.labels}');
  expect(JSON.parse(secured)).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  expect(warnings).not.toMatch(/violate PodSecurity/);
  // And a plain pod (root, no seccomp profile) is refused there, so the check is live.
  const refused = (() => {
    try {
      kubectl(
        'run',
        'unrestricted-probe',
        '-n',
        'secretsource-system',
        '--image=busybox',
        '--dry-run=server',
      );
      return '';
    } catch (error) {
      return String((error as { stderr?: string }).stderr);
    }
  })();
  expect(refused).toMatch(/violates PodSecurity "restricted/);
});

test('the NetworkPolicies let in only metrics from a labelled namespace, and out only DNS, the API server and backends', () => {
  interface Rule {
    from?: { namespaceSelector?: { matchLabels?: Record<string, string> } }[];
    to?: { podSelector?: { matchLabels?: Record<string, string> } }[];
    ports?: { protocol: string; port: number }[];
  }
  const policies = YAML.parseAllDocuments(kubectl('kustomize', 'config/network-policy'))
    .map((doc) => doc.toJSON() as { spec: { policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] } })
    .filter(Boolean);
  const ingress = policies.flatMap((p) => p.spec.ingress ?? []);
  expect(ingress).toEqual([
    {
      from: [{ namespaceSelector: { matchLabels: { metrics: 'enabled' } } }],
      ports: [{ protocol: 'TCP', port: 8080 }],
    },
  ]);
  expect(policies.some((p) => p.spec.policyTypes.includes('Ingress'))).toBe(true);
  const egress = policies.flatMap((p) => p.spec.egress ?? []);
  const ports = new Set(egress.flatMap((rule) => (rule.ports ?? []).map((p) => `${p.protocol}/${p.port}`)));
  expect([...ports].sort()).toEqual(['TCP/443', 'TCP/53', 'TCP/6443', 'TCP/8200', 'UDP/53']);
  // DNS only to the cluster's DNS pods; every rule names its ports.
  const dns = egress.filter((rule) => rule.ports?.some((p) => p.port === 53));
  expect(dns.map((rule) => rule.to?.[0]?.podSelector?.matchLabels)).toEqual([{ 'k8s-app': 'kube-dns' }]);
  expect(egress.every((rule) => (rule.ports ?? []).length > 0)).toBe(true);
});
