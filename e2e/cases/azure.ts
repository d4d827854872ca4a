// Azure Key Vault as a provider under test: the project's Key Vault test server (docs/adr/0009), its
// vault and its Entra ID, written with the environment's app (AZURE_CLIENT_ID). A map is a JSON
// secret value; names are `<prefix>-<name>` (Key Vault names hold letters, digits and dashes only).
// Auth modes: a service principal (client secret in a Secret), and workload identity (the
// operator's TokenRequest token for a ServiceAccount, federated to an app of this instance). Managed
// identity is not one: only a ClusterSecretProvider may use the operator's own identity
// (e2e/operator/azure.e2e.test.ts has it). The SecretProviders name the test CA and the test Entra
// ID, as a user of a private cloud would. Capabilities: versions and tags; no binary values (Key
// Vault secrets are text).
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import {
  azureEnv,
  clientOptions,
  credentialOptions,
  KeyVaultTestAdmin,
  type AzureTestEnv,
} from '../support/azure-keyvault.js';
import { createServiceAccount, requireEnv, uniqueName } from '../support/kube.js';
import type {
  AuthMode,
  ProviderContext,
  ProviderSpec,
  ProviderUnderTest,
  RemoteSecrets,
  Written,
} from '../support/provider-under-test.js';

const CLIENT_SECRET_KEY = 'client-secret';
const WORKLOAD_ACCOUNT = 'azure-app';

/** spec.azure for a test server: its CA and its Entra ID, with this auth block. */
export function azureSpec(auth: Record<string, unknown>, target: AzureTestEnv = azureEnv()): ProviderSpec {
  return {
    azure: {
      vaultUrl: target.vaultUrl,
      tenantId: target.tenantId,
      authorityHost: target.authorityHost,
      caBundle: target.ca,
      auth,
    },
  };
}

/** A SecretClient of the environment's app, which may do everything in the vault. */
export function vaultClient(target: AzureTestEnv = azureEnv()): SecretClient {
  return new SecretClient(
    target.vaultUrl,
    new ClientSecretCredential(
      target.tenantId,
      target.clientId,
      target.clientSecret,
      credentialOptions(target),
    ),
    clientOptions(target),
  );
}

export class AzureUnderTest implements ProviderUnderTest {
  readonly name = 'azure';
  readonly capabilities = { versions: true, findByTags: true, binaryValues: false };
  readonly env = azureEnv();
  readonly admin = new KeyVaultTestAdmin(this.env);
  readonly vault = vaultClient(this.env);
  readonly prefix = uniqueName('e2e-az');
  readonly authModes: readonly AuthMode[] = [
    {
      name: 'serviceprincipal',
      providerSpec: (ctx) => this.#servicePrincipalSpec(ctx, this.env.clientSecret),
      refusedSpec: (ctx) => this.#servicePrincipalSpec(ctx, ctx.generated()),
      refusedMessage: 'Entra ID refused the credentials (invalid_client, AADSTS7000215)',
    },
    {
      name: 'workloadidentity',
      providerSpec: (ctx) => this.#workloadIdentitySpec(ctx, WORKLOAD_ACCOUNT),
      // A ServiceAccount the app has no federated credential for: Entra refuses the assertion.
      refusedSpec: (ctx) => this.#workloadIdentitySpec(ctx, 'azure-stranger'),
      refusedMessage: 'AADSTS70021',
    },
  ];

  readonly remote: RemoteSecrets = {
    path: (name) => `${this.prefix}-${name}`,
    create: (path, values, options) => this.#set(path, JSON.stringify(values), options?.tags),
    update: (path, values) => this.#set(path, JSON.stringify(values)),
    delete: async (path) => {
      await this.vault.beginDeleteSecret(path);
    },
    createBinary: () => Promise.reject(new Error('Key Vault secrets hold text values only')),
  };

  /** The workload-identity app of this instance, federated to the ServiceAccount of each namespace. */
  #workloadApp: { clientId: string; subjects: string[] } | undefined;

  /** Nothing to create: the test server's vault and app exist; its secrets go with the environment. */
  setUp(ctx: ProviderContext): Promise<void> {
    ctx.neverPrint(this.env.clientSecret);
    return Promise.resolve();
  }

  operatorEnv(): Record<string, string> {
    // The operator's own managed identity, as a node's would be (IMDS; see e2e/.run/env).
    return { AZURE_POD_IDENTITY_AUTHORITY_HOST: this.env.imdsHost };
  }

  /**
   * A version of a secret (default: the latest) and its value (with `property`, that key of its
   * JSON document), read with the environment's app; undefined while there is none.
   */
  async read(
    path: string,
    options: { property?: string; version?: string } = {},
  ): Promise<{ version: string; value?: string } | undefined> {
    const secret = await this.vault
      .getSecret(path, options.version ? { version: options.version } : {})
      .catch(() => undefined);
    if (secret?.value === undefined) return undefined;
    const value =
      options.property === undefined
        ? secret.value
        : (JSON.parse(secret.value) as Record<string, string | undefined>)[options.property];
    return { version: secret.properties.version!, ...(value === undefined ? {} : { value }) };
  }

  async #set(path: string, value: string, tags?: Readonly<Record<string, string>>): Promise<Written> {
    const written = await this.vault.setSecret(path, value, tags ? { tags: { ...tags } } : {});
    return { version: written.properties.version! };
  }

  async #servicePrincipalSpec(ctx: ProviderContext, clientSecret: string): Promise<ProviderSpec> {
    const name = uniqueName('azure-sp');
    await ctx.core.createNamespacedSecret({
      namespace: ctx.namespace,
      body: { metadata: { name }, stringData: { [CLIENT_SECRET_KEY]: clientSecret } },
    });
    return azureSpec(
      { servicePrincipal: { clientId: this.env.clientId, secretRef: { name, key: CLIENT_SECRET_KEY } } },
      this.env,
    );
  }

  async #workloadIdentitySpec(ctx: ProviderContext, serviceAccount: string): Promise<ProviderSpec> {
    await createServiceAccount(ctx.core, ctx.namespace, serviceAccount);
    const clientId = await this.#federate(ctx, `system:serviceaccount:${ctx.namespace}:${WORKLOAD_ACCOUNT}`);
    return azureSpec(
      { workloadIdentity: { clientId, serviceAccountRef: { name: serviceAccount } } },
      this.env,
    );
  }

  /** An app that trusts the API server's tokens for `subject` and may read the vault's secrets. */
  async #federate(ctx: ProviderContext, subject: string): Promise<string> {
    const app = (this.#workloadApp ??= { clientId: randomUUID(), subjects: [] });
    if (!app.subjects.includes(subject)) {
      if (app.subjects.length === 0) ctx.onCleanup(() => this.admin.deleteClient(app.clientId));
      app.subjects.push(subject);
      const issuer = requireEnv('KUBE_SERVICE_ACCOUNT_ISSUER');
      await this.admin.putClient(app.clientId, {
        tenantId: this.env.tenantId,
        federatedCredentials: app.subjects.map((s) => ({ issuer, subject: s })),
        permissions: { secrets: ['get', 'list'] },
      });
    }
    return app.clientId;
  }
}
