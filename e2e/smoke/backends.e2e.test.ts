// Proves each secret backend of the local environment is a real server (or, for
// Azure Key Vault, the project's own test server: docs/adr/0009) that answers
// a write and a read through the SDK the operator uses.
import { randomBytes } from 'node:crypto';
import nodeVault from 'node-vault';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { azureEnv, clientOptions, credentialOptions } from '../support/azure-keyvault.js';
import { requireEnv, uniqueName } from '../support/kube.js';

test('OpenBao answers a KV v2 write and read through node-vault', async () => {
  const vault = nodeVault({ endpoint: requireEnv('VAULT_ADDR'), token: requireEnv('VAULT_TOKEN') });
  const path = `secret/data/${uniqueName('smoke')}`;
  const password = randomBytes(16).toString('hex');
  await vault.write(path, { data: { password } });
  const read = (await vault.read(path)) as {
    data: { data: { password: string }; metadata: { version: number } };
  };
  expect(read.data.data.password === password).toBe(true);
  expect(read.data.metadata.version).toBe(1);
});

test('moto answers a Secrets Manager write and read through the AWS SDK', async () => {
  const client = new SecretsManagerClient({
    endpoint: requireEnv('AWS_ENDPOINT_URL'),
    region: requireEnv('AWS_REGION'),
    credentials: {
      accessKeyId: requireEnv('AWS_ACCESS_KEY_ID'),
      secretAccessKey: requireEnv('AWS_SECRET_ACCESS_KEY'),
    },
  });
  const name = uniqueName('smoke');
  const value = randomBytes(16).toString('hex');
  const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  expect(created.ARN).toContain(name);
  const read = await client.send(new GetSecretValueCommand({ SecretId: name }));
  expect(read.SecretString === value).toBe(true);
  expect(read.VersionStages).toContain('AWSCURRENT');
  client.destroy();
});

test('the Key Vault test server answers a write and a read through the Azure SDK', async () => {
  const env = azureEnv();
  const credential = new ClientSecretCredential(
    env.tenantId,
    env.clientId,
    env.clientSecret,
    credentialOptions(env),
  );
  const client = new SecretClient(env.vaultUrl, credential, clientOptions(env));
  const name = uniqueName('smoke');
  const value = randomBytes(16).toString('hex');
  const created = await client.setSecret(name, value);
  expect(created.properties.id).toBe(`${env.vaultUrl}/secrets/${name}/${created.properties.version}`);
  const read = await client.getSecret(name);
  expect(read.value === value).toBe(true);
});
