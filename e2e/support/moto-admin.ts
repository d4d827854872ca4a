// Setup calls to the moto server of `make dev-up` (AWS_ENDPOINT_URL) for the e2e tests: Secrets
// Manager through the SDK, IAM through its query API. moto checks no signature while IAM
// enforcement is off (its default), so the environment's test keys sign everything. Errors name the
// action only, never a body (it may hold a value or a key).
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { requireEnv } from './kube.js';

export class MotoAdmin {
  readonly url = requireEnv('AWS_ENDPOINT_URL');
  readonly region = requireEnv('AWS_REGION');
  readonly secrets = new SecretsManagerClient({ region: this.region, endpoint: this.url });

  /** Creates a secret holding a string or bytes, with tags; returns its ARN and first VersionId. */
  async createSecret(
    name: string,
    value: string | Uint8Array,
    tags: Readonly<Record<string, string>> = {},
  ): Promise<{ arn: string; versionId: string }> {
    const output = await this.secrets.send(
      new CreateSecretCommand({
        Name: name,
        ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return { arn: output.ARN!, versionId: output.VersionId! };
  }

  /** A new AWSCURRENT version; returns its VersionId. */
  async putValue(name: string, value: string): Promise<string> {
    return (await this.secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: value })))
      .VersionId!;
  }

  async deleteSecret(name: string): Promise<void> {
    await this.secrets.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  }

  /** One IAM query API call; returns the XML answer. */
  async iam(params: Record<string, string>): Promise<string> {
    const response = await fetch(`${this.url}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization:
          'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`IAM ${params.Action} failed: HTTP ${response.status}`);
    return body;
  }

  /** A role with this trust policy, allowed `actions` on every resource; returns its ARN. */
  async createRole(name: string, trust: object, actions: string[]): Promise<string> {
    const arn = xmlField(
      await this.iam({
        Action: 'CreateRole',
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify(trust),
      }),
      'Arn',
    );
    await this.iam({
      Action: 'PutRolePolicy',
      RoleName: name,
      PolicyName: 'secrets',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
      }),
    });
    return arn;
  }

  async deleteRole(name: string): Promise<void> {
    await this.iam({ Action: 'DeleteRolePolicy', RoleName: name, PolicyName: 'secrets' });
    await this.iam({ Action: 'DeleteRole', RoleName: name });
  }

  close(): void {
    this.secrets.destroy();
  }
}

/** The text of the first `<field>` of an IAM answer. */
export function xmlField(xml: string, field: string): string {
  const match = new RegExp(`<${field}>([^<]*)</${field}>`).exec(xml);
  if (!match) throw new Error(`no ${field} in the IAM answer`);
  return match[1]!;
}
