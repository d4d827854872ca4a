// The secret backends the sync bench can run against (BACKEND=openbao|aws|azure). Each one creates the
// distinct secrets the N SecretSources read, the credentials Secret and provider spec the operator
// uses, and cleans up after itself. Values are generated, handed to the caller so it can check the
// operator's output for them, and never printed.
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import {
  azureEnv,
  clientOptions,
  credentialOptions,
  KeyVaultTestAdmin,
} from '../../e2e/support/azure-keyvault.js';
import { requireEnv } from '../../e2e/support/kube.js';
import { CountingProxy } from '../../e2e/support/counting-proxy.js';
import { openBaoTokenProvider } from '../../e2e/cases/openbao.js';
import { OpenBaoAdmin } from '../../e2e/support/openbao-admin.js';
import { mapBounded } from './bounded.js';

export type BackendName = 'openbao' | 'aws' | 'azure';

export function backendName(text: string | undefined): BackendName {
  if (text === undefined || text === '' || text === 'openbao') return 'openbao';
  if (text === 'aws' || text === 'azure') return text;
  throw new Error(`BACKEND: expected openbao, aws or azure, got ${text}`);
}

export interface BenchBackend {
  readonly name: BackendName;
  /** The local environment's server process (its pid file in e2e/.run/pids), for CPU figures. */
  readonly server: string;
  /**
   * Creates `count` secrets, each holding one generated value under the property `value`, and
   * returns the remoteRef that reads each one.
   */
  createSecrets(count: number, concurrency: number): Promise<Record<string, unknown>[]>;
  /**
   * Gives the secrets createSecrets made (all, or those at `indices`) a new generated value (a new
   * version).
   */
  rewriteSecrets(concurrency: number, indices?: readonly number[]): Promise<void>;
  /** Creates the credentials Secret in `namespace` and returns the SecretProvider spec using it. */
  providerSpec(core: k8s.CoreV1Api, namespace: string): Promise<Record<string, unknown>>;
  /**
   * External Secrets Operator's SecretStore `spec.provider` over the same credentials Secret
   * (providerSpec first), and the environment its process needs (aws: the endpoint, the counting
   * proxy). Throws for a backend the comparison does not cover.
   */
  esoStore(): { provider: Record<string, unknown>; env: Record<string, string> };
  /**
   * What the server itself received, per action, since `from` (a mark() value); undefined when the
   * backend cannot tell (then only the operator's metrics count calls).
   */
  requestsSince(from: number): Promise<Record<string, number> | undefined>;
  mark(): Promise<number>;
  /** Generated values and credentials that must never appear in the operator's output. */
  readonly generated: readonly string[];
  cleanup(): Promise<void>;
}

const CREDENTIALS_SECRET = 'bench-backend-credentials';

export function createBackend(name: BackendName, runId: string): BenchBackend {
  if (name === 'aws') return new AwsBackend(runId);
  return name === 'azure' ? new AzureBackend(runId) : new OpenBaoBackend(runId);
}

abstract class BaseBackend {
  readonly generated: string[] = [];
  protected readonly cleanups: (() => Promise<unknown>)[] = [];
  /** Names of this run's secrets (and OpenBao policy) start with it. */
  protected readonly prefix: string;

  constructor(runId: string) {
    this.prefix = `bench-${runId}`;
  }

  /** The secrets createSecrets made. */
  protected created: string[] = [];

  /** The names of `count` secrets of this run. */
  protected names(count: number): string[] {
    return Array.from({ length: count }, (_, i) => `${this.prefix}/p${i}`);
  }

  /** The created secrets at `indices` (all when undefined). */
  protected chosen(indices: readonly number[] | undefined): string[] {
    return indices === undefined ? this.created : indices.map((i) => this.created[i]!);
  }

  protected newValue(): string {
    const value = randomBytes(16).toString('hex');
    this.generated.push(value);
    return value;
  }

  async cleanup(): Promise<void> {
    for (const step of this.cleanups.reverse()) {
      await step().catch((error: unknown) => console.error(`backend cleanup failed: ${String(error)}`));
    }
  }
}

/** OpenBao KV v2 on `secret/`, read with a non-root token limited to the bench's paths. */
class OpenBaoBackend extends BaseBackend implements BenchBackend {
  readonly name = 'openbao';
  readonly server = 'openbao';
  readonly #bao = new OpenBaoAdmin(requireEnv('VAULT_ADDR'), requireEnv('VAULT_TOKEN'));

  async createSecrets(count: number, concurrency: number): Promise<Record<string, unknown>[]> {
    const paths = (this.created = this.names(count));
    this.cleanups.push(() => mapBounded(paths, 8, (p) => this.#bao.deleteKv(p)));
    await this.rewriteSecrets(concurrency);
    return paths.map((path) => ({ path, property: 'value' }));
  }

  async rewriteSecrets(concurrency: number, indices?: readonly number[]): Promise<void> {
    await mapBounded(this.chosen(indices), concurrency, (p) =>
      this.#bao.putKv(p, { value: this.newValue() }),
    );
  }

  async providerSpec(core: k8s.CoreV1Api, namespace: string): Promise<Record<string, unknown>> {
    const policy = this.prefix;
    await this.#bao.putPolicy(policy, `path "secret/data/${this.prefix}/*" { capabilities = ["read"] }`);
    this.cleanups.push(() => this.#bao.deletePolicy(policy));
    const token = await this.#bao.createToken([policy], '8h');
    this.generated.push(token);
    this.cleanups.push(() => this.#bao.revokeToken(token));
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: CREDENTIALS_SECRET }, stringData: { token } },
    });
    return openBaoTokenProvider(CREDENTIALS_SECRET);
  }

  esoStore(): { provider: Record<string, unknown>; env: Record<string, string> } {
    const server = requireEnv('VAULT_ADDR');
    const auth = { tokenSecretRef: { name: CREDENTIALS_SECRET, key: 'token' } };
    return { provider: { vault: { server, path: 'secret', version: 'v2', auth } }, env: {} };
  }

  requestsSince(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  mark(): Promise<number> {
    return Promise.resolve(0);
  }
}

/**
 * Secrets Manager on moto, reached through a counting proxy so the bench reports the calls moto
 * received (what AWS would bill) next to the operator's own count.
 */
class AwsBackend extends BaseBackend implements BenchBackend {
  readonly name = 'aws';
  readonly server = 'moto';
  readonly #admin = new SecretsManagerClient({
    region: requireEnv('AWS_REGION'),
    endpoint: requireEnv('AWS_ENDPOINT_URL'),
  });
  readonly #proxy = new CountingProxy();

  async createSecrets(count: number, concurrency: number): Promise<Record<string, unknown>[]> {
    const names = (this.created = this.names(count));
    this.cleanups.push(() =>
      mapBounded(names, 8, (name) =>
        this.#admin.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })),
      ),
    );
    await mapBounded(names, concurrency, (name) =>
      this.#admin.send(
        new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ value: this.newValue() }) }),
      ),
    );
    return names.map((path) => ({ path, property: 'value' }));
  }

  async rewriteSecrets(concurrency: number, indices?: readonly number[]): Promise<void> {
    await mapBounded(this.chosen(indices), concurrency, (name) =>
      this.#admin.send(
        new PutSecretValueCommand({
          SecretId: name,
          SecretString: JSON.stringify({ value: this.newValue() }),
        }),
      ),
    );
  }

  async providerSpec(core: k8s.CoreV1Api, namespace: string): Promise<Record<string, unknown>> {
    await this.#proxy.start(requireEnv('AWS_ENDPOINT_URL'));
    this.cleanups.push(() => this.#proxy.stop());
    // moto accepts any key pair while IAM enforcement is off: a generated secret key, so the
    // operator's output can be checked for it like for the values.
    const secretAccessKey = this.newValue();
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: CREDENTIALS_SECRET },
        stringData: {
          'access-key-id': requireEnv('AWS_ACCESS_KEY_ID'),
          'secret-access-key': secretAccessKey,
        },
      },
    });
    return {
      aws: {
        region: requireEnv('AWS_REGION'),
        endpoint: this.#proxy.url,
        auth: {
          secretRef: {
            name: CREDENTIALS_SECRET,
            accessKeyIdKey: 'access-key-id',
            secretAccessKeyKey: 'secret-access-key',
          },
        },
      },
    };
  }

  /** ESO's AWS provider takes a custom endpoint from this variable only (its resolver.go). */
  esoStore(): { provider: Record<string, unknown>; env: Record<string, string> } {
    const key = (name: string): { name: string; key: string } => ({ name: CREDENTIALS_SECRET, key: name });
    const auth = {
      secretRef: {
        accessKeyIDSecretRef: key('access-key-id'),
        secretAccessKeySecretRef: key('secret-access-key'),
      },
    };
    return {
      provider: { aws: { service: 'SecretsManager', region: requireEnv('AWS_REGION'), auth } },
      env: { AWS_SECRETSMANAGER_ENDPOINT: this.#proxy.url },
    };
  }

  requestsSince(from: number): Promise<Record<string, number>> {
    return Promise.resolve(this.#proxy.countsSince(from));
  }

  mark(): Promise<number> {
    return Promise.resolve(this.#proxy.actions.length);
  }
}

/**
 * The project's Key Vault test server (docs/adr/0009): a vault of the bench's own, read by an app
 * of its own with a generated client secret (get permission only). What the server received comes
 * from its admin API's request counts.
 */
class AzureBackend extends BaseBackend implements BenchBackend {
  readonly name = 'azure';
  readonly server = 'azure-keyvault';
  readonly #env = azureEnv();
  readonly #admin = new KeyVaultTestAdmin(this.#env);
  readonly #marks: Record<string, number>[] = [];
  #vaultUrl: string | undefined;

  /** Key Vault names are letters, digits and dashes: no slashes. */
  protected override names(count: number): string[] {
    return Array.from({ length: count }, (_, i) => `${this.prefix}-p${i}`);
  }

  async #vault(): Promise<string> {
    if (this.#vaultUrl === undefined) {
      const name = this.prefix.replace(/[^a-z0-9]/g, '').slice(0, 24);
      this.#vaultUrl = await this.#admin.putVault(name, this.#env.tenantId);
      this.cleanups.push(() => this.#admin.deleteVault(name));
    }
    return this.#vaultUrl;
  }

  async createSecrets(count: number, concurrency: number): Promise<Record<string, unknown>[]> {
    const names = (this.created = this.names(count));
    await this.rewriteSecrets(concurrency);
    return names.map((path) => ({ path, property: 'value' }));
  }

  async rewriteSecrets(concurrency: number, indices?: readonly number[]): Promise<void> {
    const env = this.#env;
    const writer = new SecretClient(
      await this.#vault(),
      new ClientSecretCredential(env.tenantId, env.clientId, env.clientSecret, credentialOptions(env)),
      clientOptions(env),
    );
    await mapBounded(this.chosen(indices), concurrency, (name) =>
      writer.setSecret(name, JSON.stringify({ value: this.newValue() })),
    );
  }

  /**
   * Not compared: ESO's Azure provider would need this test server's Entra ID as a custom cloud
   * (an environment file), its CA in the Go trust store and *.vault.localhost resolved by Go.
   */
  esoStore(): never {
    throw new Error(
      'make bench-compare covers BACKEND=openbao and BACKEND=aws; ESO is not set up for the Key Vault test server',
    );
  }

  async providerSpec(core: k8s.CoreV1Api, namespace: string): Promise<Record<string, unknown>> {
    const env = this.#env;
    const clientId = `${this.prefix}-reader`;
    const secret = this.newValue();
    await this.#admin.putClient(clientId, {
      tenantId: env.tenantId,
      secrets: [secret],
      permissions: { secrets: ['get', 'list'] },
    });
    this.cleanups.push(() => this.#admin.deleteClient(clientId));
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: CREDENTIALS_SECRET }, stringData: { 'client-secret': secret } },
    });
    return {
      azure: {
        vaultUrl: await this.#vault(),
        tenantId: env.tenantId,
        authorityHost: env.authorityHost,
        caBundle: env.ca,
        auth: {
          servicePrincipal: { clientId, secretRef: { name: CREDENTIALS_SECRET, key: 'client-secret' } },
        },
      },
    };
  }

  async requestsSince(from: number): Promise<Record<string, number>> {
    const before = this.#marks[from] ?? {};
    const now = await this.#admin.counts();
    const since: Record<string, number> = {};
    for (const [operation, count] of Object.entries(now)) {
      const delta = count - (before[operation] ?? 0);
      if (delta > 0) since[operation] = delta;
    }
    return since;
  }

  async mark(): Promise<number> {
    this.#marks.push(await this.#admin.counts());
    return this.#marks.length - 1;
  }
}
