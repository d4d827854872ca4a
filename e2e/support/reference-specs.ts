// For each provider field that names a namespace (reference-fields.ts), the smallest provider spec
// that sets it, pointed at `namespace`. The isolation and admission tests try every entry; both
// check that this table lists exactly the fields the schemas have.
import { requireEnv } from './kube.js';

type Spec = Record<string, unknown>;

const vault = (fields: Spec): Spec => ({
  vault: { server: requireEnv('VAULT_ADDR'), path: 'secret', version: 'v2', ...fields },
});
const vaultToken = { token: { secretRef: { name: 'vault-token', key: 'token' } } };

export const NAMESPACED_REFERENCE_SPECS: Readonly<Record<string, (namespace: string) => Spec>> = {
  'spec.vault.caRef': (namespace) =>
    vault({ caRef: { name: 'ca', key: 'ca.crt', namespace }, auth: vaultToken }),
  'spec.vault.auth.token.secretRef': (namespace) =>
    vault({ auth: { token: { secretRef: { name: 'vault-token', key: 'token', namespace } } } }),
  'spec.vault.auth.kubernetes.serviceAccountRef': (namespace) =>
    vault({ auth: { kubernetes: { role: 'app', serviceAccountRef: { name: 'app', namespace } } } }),
  'spec.vault.auth.appRole.secretRef': (namespace) =>
    vault({ auth: { appRole: { roleId: 'role', secretRef: { name: 'approle', key: 'id', namespace } } } }),
  'spec.aws.auth.secretRef': (namespace) => ({
    aws: {
      region: requireEnv('AWS_REGION'),
      auth: {
        secretRef: { name: 'aws', namespace, accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' },
      },
    },
  }),
  'spec.aws.auth.webIdentity.serviceAccountRef': (namespace) => ({
    aws: {
      region: requireEnv('AWS_REGION'),
      auth: {
        webIdentity: {
          serviceAccountRef: { name: 'app', namespace },
          roleArn: 'arn:aws:iam::123456789012:role/app',
        },
      },
    },
  }),
  'spec.azure.auth.servicePrincipal.secretRef': (namespace) =>
    azure({ servicePrincipal: { clientId: 'app', secretRef: { name: 'azure', key: 'secret', namespace } } }),
  'spec.azure.auth.servicePrincipal.certificateRef': (namespace) =>
    azure({
      servicePrincipal: { clientId: 'app', certificateRef: { name: 'azure', key: 'cert.pem', namespace } },
    }),
  'spec.azure.auth.workloadIdentity.serviceAccountRef': (namespace) =>
    azure({ workloadIdentity: { clientId: 'app', serviceAccountRef: { name: 'app', namespace } } }),
};

function azure(auth: Spec): Spec {
  return {
    azure: {
      vaultUrl: 'https://e2e-kv.vault.azure.localhost',
      tenantId: '00000000-0000-0000-0000-000000000001',
      auth,
    },
  };
}

/** The backend a spec of this table uses (`vault`, `aws`, `azure`). */
export const backendOf = (spec: Spec): string => Object.keys(spec)[0]!;
