// AWS Secrets Manager as a provider under test: moto (AWS_ENDPOINT_URL), reached through a counting
// proxy (e2e/support/counting-proxy.ts) so a test can see the calls AWS would bill. A map is a JSON
// SecretString; every secret of an instance is named `<prefix>/<name>` and deleted at the end. Auth
// modes: access keys from a Secret, and web identity (the operator's TokenRequest token for a
// ServiceAccount, exchanged by AssumeRoleWithWebIdentity at moto's STS). moto verifies neither a
// signature nor a token, so the proxy has a verifier in front of it (support/aws-auth-verifier.ts):
// only the key pairs and ServiceAccounts set up here get through, and a refusal is AWS's own.
import { randomBytes } from 'node:crypto';
import { adminKubeConfig, createServiceAccount, uniqueName } from '../support/kube.js';
import { AwsAuthVerifier } from '../support/aws-auth-verifier.js';
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
/** A ServiceAccount the web-identity role does not trust. */
const UNTRUSTED_ACCOUNT = 'aws-stranger';
/** An access key id of its own per SecretProvider, as IAM hands them out. */
const accessKeyId = (): string => `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;

export class AwsUnderTest implements ProviderUnderTest {
  readonly name = 'aws';
  readonly capabilities = { versions: true, findByTags: true, binaryValues: true };
  readonly moto = new MotoAdmin();
  /** Checks every signature and web-identity token before moto sees the request. */
  readonly verifier = new AwsAuthVerifier(adminKubeConfig());
  /** Every Secrets Manager and STS request of the operator passes it, and the verifier. */
  readonly proxy = new CountingProxy(this.verifier);
  readonly prefix = uniqueName('e2e-aws');
  readonly authModes: readonly AuthMode[] = [
    {
      name: 'accesskey',
      providerSpec: (ctx) => this.#accessKeySpec(ctx, true),
      // The key id is known, the secret key is not its own: the signature does not match.
      refusedSpec: (ctx) => this.#accessKeySpec(ctx, false),
      refusedMessage: 'InvalidSignatureException',
    },
    {
      name: 'webidentity',
      providerSpec: (ctx) => this.#webIdentitySpec(ctx, WEB_IDENTITY_ACCOUNT),
      // A real ServiceAccount token, of an account the role's trust policy does not name.
      refusedSpec: (ctx) => this.#webIdentitySpec(ctx, UNTRUSTED_ACCOUNT),
      refusedMessage: 'AccessDenied',
    },
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
    return { AWS_ENDPOINT_URL_STS: this.proxy.url };
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

  async #accessKeySpec(ctx: ProviderContext, own: boolean): Promise<ProviderSpec> {
    const name = uniqueName('aws-creds');
    // A generated secret key, so the leak check covers it like a value. The refused one is not
    // the key the verifier knows for this key id.
    const keyId = accessKeyId();
    const secretAccessKey = ctx.generated();
    this.verifier.allowKey(keyId, own ? secretAccessKey : ctx.generated());
    await ctx.core.createNamespacedSecret({
      namespace: ctx.namespace,
      body: {
        metadata: { name },
        stringData: { [ACCESS_KEY_ID]: keyId, [SECRET_ACCESS_KEY]: secretAccessKey },
      },
    });
    return this.spec({
      secretRef: { name, accessKeyIdKey: ACCESS_KEY_ID, secretAccessKeyKey: SECRET_ACCESS_KEY },
    });
  }

  async #webIdentitySpec(ctx: ProviderContext, serviceAccount: string): Promise<ProviderSpec> {
    const roleArn = await (this.#webIdentityRole ??= this.#createWebIdentityRole(ctx));
    await createServiceAccount(ctx.core, ctx.namespace, serviceAccount);
    if (serviceAccount === WEB_IDENTITY_ACCOUNT) this.verifier.trust(roleArn, ctx.namespace, serviceAccount);
    return this.spec({ webIdentity: { serviceAccountRef: { name: serviceAccount }, roleArn } });
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
