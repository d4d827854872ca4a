// AWS Secrets Manager as a provider under test: moto (AWS_ENDPOINT_URL), reached through a counting
// proxy (e2e/support/counting-proxy.ts) so a test can see the calls AWS would bill. A map is a JSON
// SecretString; every secret of an instance is named `<prefix>/<name>` and deleted at the end. Auth
// modes: access keys from a Secret, and web identity (the operator's TokenRequest token for a
// ServiceAccount, exchanged by AssumeRoleWithWebIdentity at moto's STS, which does not verify it).
import { createServiceAccount, uniqueName } from '../support/kube.js';
import { CountingProxy } from '../support/counting-proxy.js';
import { MotoAdmin } from '../support/moto-admin.js';
import type {
  AuthMode,
  ProviderContext,
  ProviderSpec,
  ProviderUnderTest,
  RemoteSecrets,
} from '../support/provider-under-test.js';

const ACCESS_KEY_ID = 'access-key-id';
const SECRET_ACCESS_KEY = 'secret-access-key';
const WEB_IDENTITY_ACCOUNT = 'aws-app';

export class AwsUnderTest implements ProviderUnderTest {
  readonly name = 'aws';
  readonly capabilities = { versions: true, findByTags: true, binaryValues: true };
  readonly moto = new MotoAdmin();
  /** Every Secrets Manager request of the operator passes it; STS goes to moto directly. */
  readonly proxy = new CountingProxy();
  readonly prefix = uniqueName('e2e-aws');
  readonly authModes: readonly AuthMode[] = [
    {
      name: 'accesskey',
      providerSpec: (ctx) => this.#accessKeySpec(ctx, true),
      // moto takes any key pair while IAM enforcement is off, so the refusal the operator can meet
      // here is a credentials Secret without its secret key (AuthFailed before any AWS call).
      refusedSpec: (ctx) => this.#accessKeySpec(ctx, false),
    },
    { name: 'webidentity', providerSpec: (ctx) => this.#webIdentitySpec(ctx) },
  ];

  readonly remote: RemoteSecrets = {
    path: (name) => `${this.prefix}/${name}`,
    create: async (path, values, options) => {
      const { versionId } = await this.moto.createSecret(path, JSON.stringify(values), options?.tags);
      this.#created.add(path);
      return { version: versionId };
    },
    update: async (path, values) => ({ version: await this.moto.putValue(path, JSON.stringify(values)) }),
    delete: async (path) => {
      await this.moto.deleteSecret(path);
      this.#created.delete(path);
    },
    createBinary: async (path, bytes) => {
      const { versionId } = await this.moto.createSecret(path, new Uint8Array(bytes));
      this.#created.add(path);
      return { version: versionId };
    },
  };

  readonly #created = new Set<string>();
  #webIdentityRole: Promise<string> | undefined;

  async setUp(ctx: ProviderContext): Promise<void> {
    await this.proxy.start(this.moto.url);
    ctx.onCleanup(async () => {
      for (const path of this.#created) await this.moto.deleteSecret(path).catch(() => undefined);
      this.moto.close();
      await this.proxy.stop();
    });
  }

  operatorEnv(): Record<string, string> {
    // The operator reaches STS at its regional endpoint unless told otherwise (docs/providers/aws.md).
    return { AWS_ENDPOINT_URL_STS: this.moto.url };
  }

  /** An `aws` spec for this region and the proxy, with `auth` (none: the SDK's default chain). */
  spec(auth?: object): ProviderSpec {
    return { aws: { region: this.moto.region, endpoint: this.proxy.url, ...(auth ? { auth } : {}) } };
  }

  /** Creates a secret holding a JSON map at `<prefix>/<name>` and returns that path. */
  async put(name: string, values: Readonly<Record<string, string>>): Promise<string> {
    const path = this.remote.path(name);
    await this.remote.create(path, values);
    return path;
  }

  async #accessKeySpec(ctx: ProviderContext, complete: boolean): Promise<ProviderSpec> {
    const name = uniqueName('aws-creds');
    // A generated secret key, so the leak check covers it like a value.
    const keys: Record<string, string> = { [ACCESS_KEY_ID]: 'AKIAE2EOPERATOR00000' };
    if (complete) keys[SECRET_ACCESS_KEY] = ctx.generated();
    await ctx.core.createNamespacedSecret({
      namespace: ctx.namespace,
      body: { metadata: { name }, stringData: keys },
    });
    return this.spec({
      secretRef: { name, accessKeyIdKey: ACCESS_KEY_ID, secretAccessKeyKey: SECRET_ACCESS_KEY },
    });
  }

  async #webIdentitySpec(ctx: ProviderContext): Promise<ProviderSpec> {
    const roleArn = await (this.#webIdentityRole ??= this.#createWebIdentityRole(ctx));
    await createServiceAccount(ctx.core, ctx.namespace, WEB_IDENTITY_ACCOUNT);
    return this.spec({ webIdentity: { serviceAccountRef: { name: WEB_IDENTITY_ACCOUNT }, roleArn } });
  }

  async #createWebIdentityRole(ctx: ProviderContext): Promise<string> {
    const role = `${this.prefix}-web`.replaceAll('/', '-');
    const arn = await this.moto.createRole(
      role,
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: 'kubernetes' },
            Action: 'sts:AssumeRoleWithWebIdentity',
          },
        ],
      },
      ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue', 'secretsmanager:ListSecrets'],
    );
    ctx.onCleanup(() => this.moto.deleteRole(role));
    return arn;
  }
}
