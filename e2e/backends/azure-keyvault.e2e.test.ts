// Conformance test of the project's Key Vault test server (docs/adr/0009): every
// route it serves is driven through the official SDK clients, with the Key
// Vault SDK's challenge-resource verification on (the default), so what the
// server answers is what @azure/keyvault-secrets, @azure/keyvault-certificates
// and @azure/identity accept from the real service. Raw HTTPS only for what an
// SDK never sends (no token, a bad api-version).
import { spawn } from 'node:child_process';
import { jest } from '@jest/globals';
import { X509Certificate, createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type AccessToken,
  type TokenCredential,
  ClientAssertionCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { SecretClient } from '@azure/keyvault-secrets';
import * as k8s from '@kubernetes/client-node';
import forge from 'node-forge';
import {
  KeyVaultTestAdmin,
  azureEnv,
  clientOptions,
  credentialOptions,
  rawRequest,
  type AzureTestEnv,
} from '../support/azure-keyvault.js';
import {
  adminKubeConfig,
  createNamespace,
  deleteNamespace,
  repoRoot,
  requireEnv,
  uniqueName,
} from '../support/kube.js';

// Retries with Retry-After and ServiceAccount set-up take seconds (the projects' testTimeout is not applied).
jest.setTimeout(60_000);

let env: AzureTestEnv;
let admin: KeyVaultTestAdmin;

beforeAll(() => {
  env = azureEnv();
  admin = new KeyVaultTestAdmin(env);
});

afterEach(async () => {
  await admin.clearFaults();
});

const value = (): string => randomBytes(24).toString('base64url');
const name = (prefix: string): string => uniqueName(prefix);

function secretCredential(clientId = env.clientId, secret = env.clientSecret): ClientSecretCredential {
  return new ClientSecretCredential(env.tenantId, clientId, secret, credentialOptions(env));
}

function secretClient(
  credential: TokenCredential = secretCredential(),
  url = env.vaultUrl,
  extra = {},
): SecretClient {
  return new SecretClient(url, credential, { ...clientOptions(env), ...extra });
}

/** The SDKs throw RestError (core-rest-pipeline); read it structurally, without depending on that package. */
interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message: string;
  details?: { error?: { code?: string; innerError?: { code?: string } } };
}

async function failure(promise: Promise<unknown>): Promise<RestErrorLike & { name: string }> {
  try {
    await promise;
  } catch (error) {
    return error as RestErrorLike & { name: string };
  }
  throw new Error('expected the call to fail');
}

/** A TokenCredential that hands out a fixed token: what the data plane refuses, seen through the SDK. */
function fixedToken(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

/** A self-signed certificate with its RSA key, as PEM (PKCS#8 key) and as PKCS#12. */
function makeCertificate(commonName: string): {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  der: Buffer;
  pkcs8Pem: string;
  pkcs1Pem: string;
  certPem: string;
  pkcs12(password: string): Buffer;
} {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `01${randomBytes(4).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * 86_400_000);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 2, value: commonName }] }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return {
    cert,
    key: keys.privateKey,
    der: Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary'),
    pkcs8Pem: forge.pki.privateKeyInfoToPem(
      forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keys.privateKey)),
    ),
    pkcs1Pem: forge.pki.privateKeyToPem(keys.privateKey),
    certPem: forge.pki.certificateToPem(cert),
    pkcs12: (password) =>
      Buffer.from(
        forge.asn1
          .toDer(forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert], password, { algorithm: '3des' }))
          .getBytes(),
        'binary',
      ),
  };
}

/**
 * @azure/keyvault-certificates 4.10 drops the `policy` option of importCertificate (its serializer reads
 * `certificatePolicy`), and Key Vault needs policy.secret_props.contentType for a PEM import. Passing both
 * keeps the typed option and gets the content type onto the wire.
 */
function pemImportOptions(): Record<string, unknown> {
  return {
    policy: { contentType: 'application/x-pem-file' },
    certificatePolicy: { secretProperties: { contentType: 'application/x-pem-file' } },
  };
}

describe('the 401 bearer challenge', () => {
  test('an unauthenticated request gets 401 with a challenge the SDK accepts for this vault', async () => {
    const response = await rawRequest(env, 'GET', `${env.vaultUrl}/secrets/${name('any')}?api-version=7.6`);
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({
      error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
    });
    const header = String(response.headers['www-authenticate']);
    // The form @azure/keyvault-common parses, naming the tenant and the resource.
    expect(header).toBe(
      `Bearer authorization="${env.authorityHost}/${env.tenantId}", resource="${env.resource}"`,
    );
    // The SDK's challenge-resource check: the vault host must end with "." + the resource's host.
    expect(new URL(env.vaultUrl).hostname.endsWith(`.${new URL(env.resource).hostname}`)).toBe(true);
  });

  test('the SDK answers the challenge with a client-secret token and retries the request', async () => {
    await admin.resetCounts();
    const client = secretClient();
    const secretName = name('challenge');
    const secretValue = value();
    await client.setSecret(secretName, secretValue);
    const read = await client.getSecret(secretName);
    expect(read.value === secretValue).toBe(true);
    const counts = await admin.counts();
    expect(counts['auth.challenge']).toBe(1);
    expect(counts['discovery.openid_configuration']).toBe(1);
    expect(counts['token.client_credentials']).toBe(1);
    expect(counts['secrets.set']).toBe(1);
    expect(counts['secrets.get']).toBe(1);
  });

  test('api-version is required and checked; 7.4, 7.5 and 7.6 are served', async () => {
    const token = (await secretCredential().getToken(`${env.resource}/.default`)).token;
    const headers = { authorization: `Bearer ${token}` };
    const missing = await rawRequest(env, 'GET', `${env.vaultUrl}/secrets`, { headers });
    expect(missing.status).toBe(400);
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('BadParameter');
    const old = await rawRequest(env, 'GET', `${env.vaultUrl}/secrets?api-version=7.3`, { headers });
    expect(old.status).toBe(400);
    expect(old.json<{ error: { message: string } }>().error.message).toContain('(7.3) is not recognized');
    for (const serviceVersion of ['7.4', '7.5', '7.6'] as const) {
      const client = secretClient(secretCredential(), env.vaultUrl, { serviceVersion });
      const secretName = name('version');
      await client.setSecret(secretName, value());
      expect((await client.getSecret(secretName)).name).toBe(secretName);
    }
  });
});

describe('tokens the data plane refuses', () => {
  test.each([
    ['a wrong audience', { audience: 'https://management.localhost' }, 'AKV10022'],
    ['an expired token', { expiresInSeconds: -3600 }, 'expired'],
    ['a token not valid yet', { notBeforeOffsetSeconds: 3600 }, 'not yet valid'],
    ['another tenant', { tenantId: randomUUID() }, 'AKV10032'],
  ])('%s → 401 Unauthorized', async (_what, claims, message) => {
    const token = await admin.mintToken({ clientId: env.clientId, ...claims });
    const error = await failure(secretClient(fixedToken(token)).getSecret(name('any')));
    expect(error.statusCode).toBe(401);
    expect(error.code).toBe('Unauthorized');
    expect(error.message).toContain(message);
  });

  test('a token with a forged signature → 401 AKV10046', async () => {
    const token = await admin.mintToken({ clientId: env.clientId });
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${randomBytes(256).toString('base64url')}`;
    const error = await failure(secretClient(fixedToken(forged)).getSecret(name('any')));
    expect(error.statusCode).toBe(401);
    expect(error.message).toContain('AKV10046');
  });
});

describe('access policies', () => {
  test('a client allowed to read but not write gets 403 Forbidden on write', async () => {
    const clientId = randomUUID();
    const clientSecret = value();
    await admin.putClient(clientId, {
      tenantId: env.tenantId,
      secrets: [clientSecret],
      permissions: { secrets: ['get', 'list'] },
    });
    const secretName = name('readonly');
    const secretValue = value();
    await secretClient().setSecret(secretName, secretValue);
    const reader = secretClient(secretCredential(clientId, clientSecret));
    expect((await reader.getSecret(secretName)).value === secretValue).toBe(true);
    const error = await failure(reader.setSecret(secretName, value()));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('Forbidden');
    expect(error.details?.error?.innerError?.code).toBe('AccessDenied');
    expect(error.message).toContain('does not have secrets set permission');
  });

  test('a client with an access policy in another vault only gets 403 here', async () => {
    const clientId = randomUUID();
    const clientSecret = value();
    await admin.putClient(clientId, {
      tenantId: env.tenantId,
      secrets: [clientSecret],
      permissions: { secrets: ['all'] },
      vaults: ['some-other-vault'],
    });
    const error = await failure(
      secretClient(secretCredential(clientId, clientSecret)).getSecret(name('any')),
    );
    expect(error.statusCode).toBe(403);
    expect(error.details?.error?.innerError?.code).toBe('AccessDenied');
  });
});

describe('secrets', () => {
  test('set creates a new 32-hex version each time; get answers latest or a given version', async () => {
    const client = secretClient();
    const secretName = name('versions');
    const first = value();
    const second = value();
    const v1 = await client.setSecret(secretName, first, {
      contentType: 'text/plain',
      tags: { team: 'payments' },
    });
    const v2 = await client.setSecret(secretName, second);
    expect(v1.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(v2.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(v1.properties.version).not.toBe(v2.properties.version);
    expect(v1.properties.id).toBe(`${env.vaultUrl}/secrets/${secretName}/${v1.properties.version}`);
    expect(v1.properties.vaultUrl).toBe(env.vaultUrl);
    expect(v1.properties.contentType).toBe('text/plain');
    expect(v1.properties.tags).toEqual({ team: 'payments' });
    expect(v1.properties.recoveryLevel).toBe('Recoverable+Purgeable');
    expect((await client.getSecret(secretName)).value === second).toBe(true);
    const old = await client.getSecret(secretName, { version: v1.properties.version! });
    expect(old.value === first).toBe(true);
    expect(old.properties.tags).toEqual({ team: 'payments' });
    const missing = await failure(client.getSecret(name('missing')));
    expect(missing.statusCode).toBe(404);
    expect(missing.code).toBe('SecretNotFound');
    const badVersion = await failure(
      client.getSecret(secretName, { version: randomBytes(16).toString('hex') }),
    );
    expect(badVersion.code).toBe('SecretNotFound');
  });

  test('names are case-insensitive and keep the case they were created with', async () => {
    const client = secretClient();
    const secretName = `Mixed-${randomBytes(3).toString('hex')}`;
    const secretValue = value();
    await client.setSecret(secretName, secretValue);
    const read = await client.getSecret(secretName.toLowerCase());
    expect(read.value === secretValue).toBe(true);
    expect(read.name).toBe(secretName);
  });

  test('list is paged by maxresults with nextLink, and never carries values', async () => {
    const vaultName = `page-${randomBytes(3).toString('hex')}`;
    const url = await admin.putVault(vaultName, env.tenantId);
    const client = secretClient(secretCredential(), url);
    for (let i = 0; i < 5; i++) await client.setSecret(`s${i}`, value());
    await admin.resetCounts();
    const pages: string[][] = [];
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 }))
      pages.push(page.map((p) => p.name));
    expect(pages).toEqual([['s0', 's1'], ['s2', 's3'], ['s4']]);
    expect((await admin.counts())['secrets.list']).toBe(3);
    for await (const properties of client.listPropertiesOfSecrets())
      expect((properties as { value?: unknown }).value).toBeUndefined();
    const raw = await rawRequest(env, 'GET', `${url}/secrets?api-version=7.6&maxresults=26`, {
      headers: {
        authorization: `Bearer ${(await secretCredential().getToken(`${env.resource}/.default`)).token}`,
      },
    });
    expect(raw.status).toBe(400);
    await admin.deleteVault(vaultName);
  });

  test('list versions is paged too and names each version', async () => {
    const client = secretClient();
    const secretName = name('history');
    const versions: string[] = [];
    for (let i = 0; i < 3; i++)
      versions.push((await client.setSecret(secretName, value())).properties.version!);
    const seen: string[] = [];
    for await (const page of client.listPropertiesOfSecretVersions(secretName).byPage({ maxPageSize: 2 }))
      seen.push(...page.map((p) => p.version!));
    expect(seen).toEqual(versions);
  });

  test('update changes attributes, tags and content type of one version, never its value', async () => {
    const client = secretClient();
    const secretName = name('patch');
    const secretValue = value();
    const created = await client.setSecret(secretName, secretValue, { tags: { a: '1' } });
    const updated = await client.updateSecretProperties(secretName, created.properties.version!, {
      tags: { b: '2' },
      contentType: 'application/json',
    });
    expect(updated.tags).toEqual({ b: '2' });
    expect(updated.contentType).toBe('application/json');
    const read = await client.getSecret(secretName);
    expect(read.value === secretValue).toBe(true);
    expect(read.properties.tags).toEqual({ b: '2' });
  });

  test('a disabled version answers 403 Forbidden with inner code SecretDisabled; others still read', async () => {
    const client = secretClient();
    const secretName = name('disabled');
    const first = value();
    const v1 = await client.setSecret(secretName, first);
    const v2 = await client.setSecret(secretName, value(), { enabled: false });
    const error = await failure(client.getSecret(secretName));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('Forbidden');
    expect(error.details?.error?.innerError?.code).toBe('SecretDisabled');
    expect((await client.getSecret(secretName, { version: v1.properties.version! })).value === first).toBe(
      true,
    );
    const listed = [];
    for await (const p of client.listPropertiesOfSecretVersions(secretName)) listed.push(p);
    expect(listed.find((p) => p.version === v2.properties.version)?.enabled).toBe(false);
    await client.updateSecretProperties(secretName, v2.properties.version!, { enabled: true });
    expect((await client.getSecret(secretName)).properties.enabled).toBe(true);
  });

  test('not-yet-valid (nbf) and expired (exp) versions are still returned, with their dates', async () => {
    const client = secretClient();
    const future = new Date(Math.ceil(Date.now() / 1000 + 86_400) * 1000);
    const past = new Date(Math.floor(Date.now() / 1000 - 86_400) * 1000);
    const notYet = name('nbf');
    const expired = name('exp');
    const v1 = value();
    const v2 = value();
    await client.setSecret(notYet, v1, { notBefore: future });
    await client.setSecret(expired, v2, { expiresOn: past });
    const a = await client.getSecret(notYet);
    const b = await client.getSecret(expired);
    expect(a.value === v1 && b.value === v2).toBe(true);
    expect(a.properties.notBefore?.getTime()).toBe(future.getTime());
    expect(b.properties.expiresOn?.getTime()).toBe(past.getTime());
  });

  test('soft delete: deleted bundle, 404 on get, 409 on reuse, then recover, delete and purge', async () => {
    const client = secretClient();
    const secretName = name('softdelete');
    const secretValue = value();
    await client.setSecret(secretName, secretValue);
    const poller = await client.beginDeleteSecret(secretName, { intervalInMs: 50 });
    const deleted = await poller.pollUntilDone();
    expect(deleted.recoveryId).toBe(`${env.vaultUrl}/deletedsecrets/${secretName}`);
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date);
    expect(deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime()).toBe(
      90 * 86_400_000,
    );
    const gone = await failure(client.getSecret(secretName));
    expect(gone.statusCode).toBe(404);
    expect(gone.code).toBe('SecretNotFound');
    const reuse = await failure(client.setSecret(secretName, value()));
    expect(reuse.statusCode).toBe(409);
    expect(reuse.code).toBe('Conflict');
    expect(reuse.details?.error?.innerError?.code).toBe('ObjectIsDeletedButRecoverable');
    expect((await client.getDeletedSecret(secretName)).name).toBe(secretName);
    const deletedNames = [];
    for await (const d of client.listDeletedSecrets()) deletedNames.push(d.name);
    expect(deletedNames).toContain(secretName);

    const recover = await client.beginRecoverDeletedSecret(secretName, { intervalInMs: 50 });
    await recover.pollUntilDone();
    expect((await client.getSecret(secretName)).value === secretValue).toBe(true);

    await (await client.beginDeleteSecret(secretName, { intervalInMs: 50 })).pollUntilDone();
    await client.purgeDeletedSecret(secretName);
    expect((await failure(client.getDeletedSecret(secretName))).statusCode).toBe(404);
    const again = await client.setSecret(secretName, value());
    expect(again.properties.version).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('certificates', () => {
  const certificateClient = (): CertificateClient =>
    new CertificateClient(env.vaultUrl, secretCredential(), clientOptions(env));

  test('PEM import returns the bundle; the backing secret holds the key and certificate as PEM', async () => {
    const certName = name('pem');
    const made = makeCertificate(`${certName}.example`);
    const certificates = certificateClient();
    const imported = await certificates.importCertificate(
      certName,
      Buffer.from(made.pkcs8Pem + made.certPem),
      pemImportOptions(),
    );
    const version = imported.properties.version!;
    expect(Buffer.from(imported.cer!).equals(made.der)).toBe(true);
    expect(Buffer.from(imported.properties.x509Thumbprint!).toString('hex')).toBe(
      createHash('sha1').update(made.der).digest('hex'),
    );
    expect(imported.keyId).toBe(`${env.vaultUrl}/keys/${certName}/${version}`);
    expect(imported.secretId).toBe(`${env.vaultUrl}/secrets/${certName}/${version}`);
    expect(imported.policy?.contentType).toBe('application/x-pem-file');
    expect(imported.policy?.subject).toBe(`CN=${certName}.example`);

    const fetched = await certificates.getCertificate(certName);
    expect(fetched.properties.version).toBe(version);
    expect((await certificates.getCertificateVersion(certName, version)).properties.version).toBe(version);

    const backing = await secretClient().getSecret(certName);
    // The backing secret belongs to the certificate: the secrets API may read it, not replace it.
    expect((await failure(secretClient().setSecret(certName, value()))).statusCode).toBe(409);
    expect(backing.properties.contentType).toBe('application/x-pem-file');
    expect(backing.properties.managed).toBe(true);
    expect(backing.properties.certificateKeyId).toBe(imported.keyId);
    expect(backing.value).toContain('-----BEGIN PRIVATE KEY-----');
    const leaf = new X509Certificate(backing.value!);
    expect(leaf.raw.equals(made.der)).toBe(true);
    expect(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(backing.value!))).toBe(true);
  });

  test('PKCS#12 import (with a password); the backing secret is a base64 PFX without one', async () => {
    const certName = name('pfx');
    const made = makeCertificate(`${certName}.example`);
    const password = value();
    const imported = await certificateClient().importCertificate(certName, made.pkcs12(password), {
      password,
    });
    expect(imported.policy?.contentType).toBe('application/x-pkcs12');
    expect(Buffer.from(imported.cer!).equals(made.der)).toBe(true);
    const backing = await secretClient().getSecret(certName);
    expect(backing.properties.contentType).toBe('application/x-pkcs12');
    const pfx = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(backing.value!, 'base64').toString('binary'))),
      '',
    );
    const bags = pfx.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
    const der = Buffer.from(
      forge.asn1.toDer(forge.pki.certificateToAsn1(bags[0]!.cert!)).getBytes(),
      'binary',
    );
    expect(der.equals(made.der)).toBe(true);
    const keyBags = pfx.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[
      forge.pki.oids.pkcs8ShroudedKeyBag!
    ];
    expect(keyBags?.length).toBe(1);
  });

  test('a wrong PKCS#12 password, a PKCS#1 key, or PEM without the policy content type → 400', async () => {
    const certificates = certificateClient();
    const made = makeCertificate('bad.example');
    const wrongPassword = await failure(
      certificates.importCertificate(name('bad'), made.pkcs12(value()), { password: value() }),
    );
    expect(wrongPassword.statusCode).toBe(400);
    expect(wrongPassword.code).toBe('BadParameter');
    const pkcs1 = await failure(
      certificates.importCertificate(
        name('bad'),
        Buffer.from(made.pkcs1Pem + made.certPem),
        pemImportOptions(),
      ),
    );
    expect(pkcs1.code).toBe('BadParameter');
    expect(pkcs1.message).toContain('PKCS#8');
    // Through the typed option alone (the SDK quirk above), the PEM arrives as if it were PKCS#12.
    const untyped = await failure(
      certificates.importCertificate(name('bad'), Buffer.from(made.pkcs8Pem + made.certPem), {
        policy: { contentType: 'application/x-pem-file' },
      } as never),
    );
    expect(untyped.code).toBe('BadParameter');
  });

  test('list certificates, list versions and get policy', async () => {
    const certificates = certificateClient();
    const certName = name('listed');
    const v1 = await certificates.importCertificate(certName, makeCertificate('a.example').pkcs12(''), {});
    const v2 = await certificates.importCertificate(certName, makeCertificate('b.example').pkcs12(''), {});
    const versions = [];
    for await (const p of certificates.listPropertiesOfCertificateVersions(certName))
      versions.push(p.version);
    expect(versions).toEqual([v1.properties.version, v2.properties.version]);
    const names = [];
    for await (const p of certificates.listPropertiesOfCertificates()) names.push(p.name);
    expect(names).toContain(certName);
    const policy = await certificates.getCertificatePolicy(certName);
    expect(policy.subject).toBe('CN=b.example');
    expect(policy.contentType).toBe('application/x-pkcs12');
  });
});

describe('Entra ID token endpoint', () => {
  test('a wrong client secret is refused (AADSTS7000215) as @azure/identity reports it', async () => {
    const error = await failure(secretCredential(env.clientId, value()).getToken(`${env.resource}/.default`));
    // @azure/identity 4.x turns MSAL's ServerError into AuthenticationRequiredError, not AuthenticationError.
    expect(error.name).toBe('AuthenticationRequiredError');
    expect(error.message).toContain('invalid_client');
    expect(error.message).toContain('AADSTS7000215');
  });

  test('an unknown client (AADSTS700016) or resource (AADSTS500011) is refused', async () => {
    const unknownClient = await failure(
      secretCredential(randomUUID(), value()).getToken(`${env.resource}/.default`),
    );
    expect(unknownClient.message).toContain('AADSTS700016');
    const wrongResource = await failure(secretCredential().getToken('https://management.localhost/.default'));
    expect(wrongResource.message).toContain('AADSTS500011');
  });

  test('an unknown tenant has no discovery document (AADSTS90002), so MSAL cannot resolve its endpoints', async () => {
    const tenant = randomUUID();
    const discovery = await rawRequest(
      env,
      'GET',
      `${env.authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`,
    );
    expect(discovery.status).toBe(400);
    expect(discovery.json<{ error_codes: number[] }>().error_codes).toEqual([90002]);
    const credential = new ClientSecretCredential(
      tenant,
      env.clientId,
      env.clientSecret,
      credentialOptions(env),
    );
    const error = await failure(credential.getToken(`${env.resource}/.default`));
    expect(error.name).toBe('CredentialUnavailableError');
    expect(error.message).toContain('endpoints_resolution_error');
  });

  test('the raw token endpoint answers Entra error bodies', async () => {
    const response = await rawRequest(env, 'POST', `${env.authorityHost}/${env.tenantId}/oauth2/v2.0/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: env.clientId,
        scope: `${env.resource}/.default`,
        client_secret: value(),
      }).toString(),
    });
    expect(response.status).toBe(401);
    const body = response.json<{ error: string; error_codes: number[]; error_description: string }>();
    expect(body.error).toBe('invalid_client');
    expect(body.error_codes).toEqual([7000215]);
    expect(body.error_description).toMatch(/^AADSTS7000215: /);
  });
});

describe('workload identity: a ServiceAccount token as the client assertion', () => {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let namespace: string;
  const issuer = requireEnv('KUBE_SERVICE_ACCOUNT_ISSUER');

  beforeAll(async () => {
    namespace = await createNamespace(kc, 'azure-wi');
    for (const sa of ['payments-app', 'other-app'])
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
  });

  afterAll(async () => {
    await deleteNamespace(kc, namespace);
  });

  async function serviceAccountToken(sa: string, audience = 'api://AzureADTokenExchange'): Promise<string> {
    const { status } = await core.createNamespacedServiceAccountToken({
      name: sa,
      namespace,
      body: { spec: { audiences: [audience], expirationSeconds: 3600 } },
    });
    return status!.token!;
  }

  async function federatedClient(): Promise<string> {
    const clientId = randomUUID();
    await admin.putClient(clientId, {
      tenantId: env.tenantId,
      federatedCredentials: [{ issuer, subject: `system:serviceaccount:${namespace}:payments-app` }],
      permissions: { secrets: ['get'] },
    });
    return clientId;
  }

  test('WorkloadIdentityCredential with a TokenRequest token reads a secret', async () => {
    const clientId = await federatedClient();
    const secretName = name('wi');
    const secretValue = value();
    await secretClient().setSecret(secretName, secretValue);
    const dir = path.join(requireEnv('SECRETSOURCE_RUN_DIR'), 'azure-wi');
    mkdirSync(dir, { recursive: true });
    const tokenFile = path.join(dir, `${uniqueName('token')}`);
    writeFileSync(tokenFile, await serviceAccountToken('payments-app'), { mode: 0o600 });
    const credential = new WorkloadIdentityCredential({
      tenantId: env.tenantId,
      clientId,
      tokenFilePath: tokenFile,
      ...credentialOptions(env),
    });
    expect((await secretClient(credential).getSecret(secretName)).value === secretValue).toBe(true);
  });

  test('ClientAssertionCredential: another ServiceAccount or another audience → AADSTS70021', async () => {
    const clientId = await federatedClient();
    const assertionFor = (getToken: () => Promise<string>): ClientAssertionCredential =>
      new ClientAssertionCredential(env.tenantId, clientId, getToken, credentialOptions(env));
    const good = assertionFor(() => serviceAccountToken('payments-app'));
    expect((await good.getToken(`${env.resource}/.default`)).token.split('.')).toHaveLength(3);
    const otherSa = await failure(
      assertionFor(() => serviceAccountToken('other-app')).getToken(`${env.resource}/.default`),
    );
    expect(otherSa.message).toContain('AADSTS70021');
    expect(otherSa.message).toContain(`system:serviceaccount:${namespace}:other-app`);
    const otherAudience = await failure(
      assertionFor(() => serviceAccountToken('payments-app', 'vault')).getToken(`${env.resource}/.default`),
    );
    expect(otherAudience.message).toContain('AADSTS70021');
  });

  test('an assertion signed by anyone but the API server is refused (AADSTS700027)', async () => {
    const clientId = await federatedClient();
    const real = await serviceAccountToken('payments-app');
    const [header, payload] = real.split('.');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signature = (await import('node:crypto'))
      .createSign('RSA-SHA256')
      .update(`${header}.${payload}`)
      .sign(privateKey);
    const forged = `${header}.${payload}.${signature.toString('base64url')}`;
    const credential = new ClientAssertionCredential(
      env.tenantId,
      clientId,
      async () => forged,
      credentialOptions(env),
    );
    expect((await failure(credential.getToken(`${env.resource}/.default`))).message).toContain(
      'AADSTS700027',
    );
  });
});

describe('managed identity', () => {
  test('ManagedIdentityCredential reaches the IMDS endpoint named by AZURE_POD_IDENTITY_AUTHORITY_HOST', async () => {
    await admin.resetCounts();
    const secretName = name('mi');
    const secretValue = value();
    await secretClient().setSecret(secretName, secretValue);
    const client = secretClient(new ManagedIdentityCredential());
    expect((await client.getSecret(secretName)).value === secretValue).toBe(true);
    expect((await admin.counts())['token.managed_identity']).toBe(1);
  });

  test('a user-assigned identity is chosen by client id; an unknown one is not found', async () => {
    const clientId = randomUUID();
    await admin.putClient(clientId, {
      tenantId: env.tenantId,
      managedIdentity: 'user',
      permissions: { secrets: ['get'] },
    });
    const secretName = name('uami');
    await secretClient().setSecret(secretName, value());
    const read = await secretClient(new ManagedIdentityCredential({ clientId })).getSecret(secretName);
    expect(read.name).toBe(secretName);
    const error = await failure(
      new ManagedIdentityCredential({ clientId: randomUUID() }).getToken(`${env.resource}/.default`),
    );
    expect(error.name).toBe('CredentialUnavailableError');
    expect(error.message).toContain('Identity not found');
  });

  test('the IMDS endpoint refuses a request without the Metadata header', async () => {
    const url = `${env.imdsHost}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(env.resource)}`;
    const without = await fetch(url);
    expect(without.status).toBe(400);
    expect(await without.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Required metadata header not specified',
    });
    const withHeader = await fetch(url, { headers: { Metadata: 'true' } });
    expect(withHeader.status).toBe(200);
    const body = (await withHeader.json()) as Record<string, unknown>;
    expect(body.token_type).toBe('Bearer');
    expect(body.resource).toBe(env.resource);
    expect(body.client_id).toBe(env.managedIdentityClientId);
  });

  test('the App Service flavour (IDENTITY_ENDPOINT + IDENTITY_HEADER) works in a process of its own', async () => {
    // MSAL picks the managed-identity source once per process, so this flavour gets a fresh one.
    const secretName = name('appsvc');
    const secretValue = value();
    await secretClient().setSecret(secretName, secretValue);
    const script = `
      import { ManagedIdentityCredential } from '@azure/identity';
      import { SecretClient } from '@azure/keyvault-secrets';
      import { readFileSync } from 'node:fs';
      const client = new SecretClient(process.env.AZURE_KEYVAULT_URL, new ManagedIdentityCredential(),
        { tlsOptions: { ca: readFileSync(process.env.AZURE_CA_FILE, 'utf8') } });
      const secret = await client.getSecret(process.env.SECRET_NAME);
      process.stdout.write(secret.value === process.env.EXPECTED ? 'match' : 'mismatch');`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        path.join(repoRoot, 'e2e/support/localhost-resolver.mjs'),
        '--input-type=module',
        '-e',
        script,
      ],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH ?? '',
          AZURE_KEYVAULT_URL: env.vaultUrl,
          AZURE_CA_FILE: requireEnv('AZURE_CA_FILE'),
          IDENTITY_ENDPOINT: env.appServiceEndpoint,
          IDENTITY_HEADER: env.appServiceHeader,
          SECRET_NAME: secretName,
          EXPECTED: secretValue,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, out, err: code === 0 ? '' : err }).toEqual({ code: 0, out: 'match', err: '' });
    const wrongHeader = await fetch(
      `${env.appServiceEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(env.resource)}`,
      { headers: { 'X-IDENTITY-HEADER': value() } },
    );
    expect(wrongHeader.status).toBe(401);
  });
});

describe('fault hooks', () => {
  test('429 with Retry-After is honoured by the SDK retry policy', async () => {
    const client = secretClient();
    const secretName = name('throttle');
    const secretValue = value();
    await client.setSecret(secretName, secretValue);
    await admin.resetCounts();
    await admin.addFault({ kind: 'throttle', count: 2, retryAfterSeconds: 1, operations: ['secrets.get'] });
    expect((await client.getSecret(secretName)).value === secretValue).toBe(true);
    const counts = await admin.counts();
    expect(counts['secrets.get']).toBe(3);
    expect(counts['fault.throttled']).toBe(2);
  });

  test('the raw 429 carries Retry-After and the Throttled error body', async () => {
    const token = (await secretCredential().getToken(`${env.resource}/.default`)).token;
    await admin.addFault({ kind: 'throttle', count: 1, retryAfterSeconds: 7 });
    const response = await rawRequest(env, 'GET', `${env.vaultUrl}/secrets?api-version=7.6`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.json<{ error: { code: string } }>().error.code).toBe('Throttled');
  });

  test('a 503 is retried to success; a lasting 500 fails after the retries', async () => {
    const secretName = name('fault');
    await secretClient().setSecret(secretName, value());
    const client = secretClient(secretCredential(), env.vaultUrl, {
      retryOptions: { maxRetries: 2, retryDelayInMs: 50 },
    });
    await client.getSecret(secretName); // the challenge and token, before counting
    await admin.resetCounts();
    await admin.addFault({ kind: 'error', count: 1, status: 503 });
    expect((await client.getSecret(secretName)).name).toBe(secretName);
    expect((await admin.counts())['secrets.get']).toBe(2);

    await admin.resetCounts();
    await admin.addFault({ kind: 'error', count: 10, status: 500, operations: ['secrets.'] });
    const error = await failure(client.getSecret(secretName));
    expect(error.statusCode).toBe(500);
    expect(error.code).toBe('InternalServerError');
    expect((await admin.counts())['secrets.get']).toBe(3);
  });

  test('a throttled token endpoint (429 + Retry-After) is retried by @azure/identity', async () => {
    await admin.resetCounts();
    await admin.addFault({
      kind: 'throttle',
      count: 1,
      retryAfterSeconds: 1,
      operations: ['token.client_credentials'],
    });
    expect((await secretCredential().getToken(`${env.resource}/.default`)).token.split('.')).toHaveLength(3);
    const counts = await admin.counts();
    expect(counts['token.client_credentials']).toBe(2);
    expect(counts['fault.throttled']).toBe(1);
  });

  test('the admin API needs its token', async () => {
    const response = await rawRequest(env, 'GET', `${env.vaultUrl}/_test/counts`);
    expect(response.status).toBe(401);
  });
});
