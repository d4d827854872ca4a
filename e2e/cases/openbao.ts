// OpenBao as a provider under test: the shared dev server of `make dev-up` (VAULT_ADDR, KV v2 on
// `secret/`), set up with its root token. Each instance keeps to its own path prefix, with a
// read-only policy on it that every auth mode's identity gets: token (a child token in a Secret),
// kubernetes (OpenBao reviews the operator's TokenRequest tokens through a reviewer ServiceAccount)
// and appRole (role_id in the spec, secret_id in a Secret).
import { createServiceAccount, requireEnv, uniqueName } from '../support/kube.js';
import { OpenBaoAdmin } from '../support/openbao-admin.js';
import { enableKubernetesAuth } from '../support/openbao-kubernetes-auth.js';
import type {
  AuthMode,
  ProviderContext,
  ProviderSpec,
  ProviderUnderTest,
  RemoteSecrets,
  SecretMap,
  Written,
} from '../support/provider-under-test.js';

/** A SecretProvider spec for the shared dev server with this auth block. */
export function openBaoSpec(auth: object): ProviderSpec {
  return { vault: { server: requireEnv('VAULT_ADDR'), path: 'secret', version: 'v2', auth } };
}

/** A SecretProvider spec authenticated by the token under key `token` of Secret `tokenSecret`. */
export function openBaoTokenProvider(tokenSecret: string): ProviderSpec {
  return openBaoSpec({ token: { secretRef: { name: tokenSecret, key: 'token' } } });
}

export class OpenBaoUnderTest implements ProviderUnderTest {
  readonly name = 'openbao';
  readonly capabilities = { versions: true, findByTags: false, binaryValues: false };
  readonly admin = OpenBaoAdmin.fromEnv();
  /** Every path and backend object of this instance starts with it. */
  readonly prefix = uniqueName('e2e-openbao');
  /** Reads (data and metadata) below the prefix, and writes if asked; every auth mode's identity gets it. */
  readonly policy = this.prefix;
  readonly #writable: boolean;
  readonly authModes: readonly AuthMode[] = [
    {
      name: 'token',
      providerSpec: async (ctx) => openBaoTokenProvider(await this.#tokenSecret(ctx, await this.token(ctx))),
      refusedSpec: async (ctx) => openBaoTokenProvider(await this.#tokenSecret(ctx, ctx.generated())),
    },
    {
      name: 'kubernetes',
      providerSpec: (ctx) => this.#kubernetesSpec(ctx, 'app'),
      // A ServiceAccount the role does not bind: OpenBao refuses the login.
      refusedSpec: (ctx) => this.#kubernetesSpec(ctx, 'stranger'),
    },
    {
      name: 'approle',
      providerSpec: async (ctx) => this.#appRoleSpec(ctx, await this.#secretId(ctx)),
      refusedSpec: (ctx) => this.#appRoleSpec(ctx, ctx.generated()),
    },
  ];

  readonly remote: RemoteSecrets = {
    path: (name) => `${this.prefix}/${name}`,
    create: (path, values) => this.#write(path, values),
    update: (path, values) => this.#write(path, values),
    delete: async (path) => {
      await this.admin.deleteKv(path);
      this.#written.delete(path);
    },
    createBinary: () => Promise.reject(new Error('OpenBao KV holds text values only')),
  };

  /** Every path written, deleted at the end. */
  readonly #written = new Set<string>();
  #kubernetesMount: Promise<string> | undefined;
  #appRole: Promise<{ mount: string; roleId: string }> | undefined;
  readonly #kubernetesRoles = new Map<string, Promise<string>>();

  /** writable: the operator may write below the prefix too (spec.generate writes before it syncs). */
  constructor(options: { writable?: boolean } = {}) {
    this.#writable = options.writable ?? false;
  }

  async setUp(ctx: ProviderContext): Promise<void> {
    const data = this.#writable ? '"create", "read", "update"' : '"read"';
    await this.admin.putPolicy(
      this.policy,
      [
        `path "secret/data/${this.prefix}/*" { capabilities = [${data}] }`,
        `path "secret/metadata/${this.prefix}/*" { capabilities = ["read", "list"] }`,
      ].join('\n'),
    );
    ctx.onCleanup(() => this.admin.deletePolicy(this.policy));
    ctx.onCleanup(async () => {
      for (const path of this.#written) await this.admin.deleteKv(path).catch(() => undefined);
    });
  }

  operatorEnv(): Record<string, string> {
    return {};
  }

  /** Writes (creates or replaces) the map at `<prefix>/<name>` and returns that path. */
  async put(name: string, values: SecretMap): Promise<string> {
    const path = this.remote.path(name);
    await this.#write(path, values);
    return path;
  }

  /** A child token with the policy (plus `default`), revoked at the end and never printed. */
  async token(ctx: ProviderContext): Promise<string> {
    const token = await this.admin.createToken([this.policy], '1h');
    ctx.neverPrint(token);
    ctx.onCleanup(() => this.admin.revokeToken(token));
    return token;
  }

  async #write(path: string, values: SecretMap): Promise<Written> {
    const written = await this.admin.request('POST', `secret/data/${path}`, { data: values });
    this.#written.add(path);
    return { version: String((written.data as { version: number }).version) };
  }

  async #tokenSecret(ctx: ProviderContext, token: string): Promise<string> {
    const name = uniqueName('openbao-token');
    await ctx.core.createNamespacedSecret({
      namespace: ctx.namespace,
      body: { metadata: { name }, stringData: { token } },
    });
    return name;
  }

  // ----------------------------------------------------------------------------------------------
  // kubernetes auth

  async #kubernetesSpec(ctx: ProviderContext, serviceAccount: string): Promise<ProviderSpec> {
    const mountPath = await (this.#kubernetesMount ??= this.#mountKubernetes(ctx));
    const role = await this.#kubernetesRole(ctx, mountPath);
    await createServiceAccount(ctx.core, ctx.namespace, serviceAccount);
    return openBaoSpec({
      kubernetes: { mountPath, role, serviceAccountRef: { name: serviceAccount }, audiences: ['vault'] },
    });
  }

  /** The auth mount; OpenBao checks login JWTs with a TokenReview made with a reviewer's token. */
  async #mountKubernetes(ctx: ProviderContext): Promise<string> {
    const cleanups: (() => Promise<unknown>)[] = [];
    const { mount, reviewerJwt } = await enableKubernetesAuth(
      ctx.kc,
      this.admin,
      `k8s-${this.prefix}`,
      ctx.namespace,
      cleanups,
    );
    ctx.neverPrint(reviewerJwt);
    for (const cleanup of cleanups) ctx.onCleanup(cleanup);
    return mount;
  }

  /** A role for ServiceAccount `app` of ctx.namespace, one per namespace. */
  #kubernetesRole(ctx: ProviderContext, mount: string): Promise<string> {
    let role = this.#kubernetesRoles.get(ctx.namespace);
    if (!role) {
      role = this.admin
        .request('POST', `auth/${mount}/role/${ctx.namespace}`, {
          bound_service_account_names: ['app'],
          bound_service_account_namespaces: [ctx.namespace],
          audience: 'vault',
          token_policies: [this.policy],
          token_ttl: '10m',
        })
        .then(() => ctx.namespace);
      this.#kubernetesRoles.set(ctx.namespace, role);
    }
    return role;
  }

  // ----------------------------------------------------------------------------------------------
  // appRole auth

  async #appRoleSpec(ctx: ProviderContext, secretId: string): Promise<ProviderSpec> {
    const { mount, roleId } = await (this.#appRole ??= this.#mountAppRole(ctx));
    const name = uniqueName('approle');
    await ctx.core.createNamespacedSecret({
      namespace: ctx.namespace,
      body: { metadata: { name }, stringData: { 'secret-id': secretId } },
    });
    return openBaoSpec({ appRole: { path: mount, roleId, secretRef: { name, key: 'secret-id' } } });
  }

  async #mountAppRole(ctx: ProviderContext): Promise<{ mount: string; roleId: string }> {
    const mount = `approle-${this.prefix}`;
    await this.admin.request('POST', `sys/auth/${mount}`, { type: 'approle' });
    ctx.onCleanup(() => this.admin.request('DELETE', `sys/auth/${mount}`));
    await this.admin.request('POST', `auth/${mount}/role/app`, {
      token_policies: [this.policy],
      token_ttl: '10m',
    });
    const answer = await this.admin.request('GET', `auth/${mount}/role/app/role-id`);
    return { mount, roleId: (answer.data as { role_id: string }).role_id };
  }

  async #secretId(ctx: ProviderContext): Promise<string> {
    const { mount } = await (this.#appRole ??= this.#mountAppRole(ctx));
    const answer = await this.admin.request('POST', `auth/${mount}/role/app/secret-id`);
    const secretId = (answer.data as { secret_id: string }).secret_id;
    ctx.neverPrint(secretId);
    return secretId;
  }
}
