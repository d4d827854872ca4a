// Clients for the Key Vault test server that `make dev-up` starts
// (e2e/backends/azure-keyvault, docs/adr/0009): SDK options that trust its CA
// and point @azure/identity at its Entra endpoint, and its /_test admin API
// (request counts, faults, identities, vaults, hand-signed tokens).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TokenCredentialOptions } from '@azure/identity';
import { requireEnv } from './kube.js';

export interface AzureTestEnv {
  readonly vaultUrl: string;
  readonly resource: string;
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** PEM of the test server's own CA (never the kube CA; never NODE_EXTRA_CA_CERTS). */
  readonly ca: string;
  readonly adminToken: string;
  readonly managedIdentityClientId: string;
  /** http://127.0.0.1:<port>: the IMDS-style endpoint's host (AZURE_POD_IDENTITY_AUTHORITY_HOST). */
  readonly imdsHost: string;
  readonly appServiceEndpoint: string;
  readonly appServiceHeader: string;
}

export function azureEnv(): AzureTestEnv {
  return {
    vaultUrl: requireEnv('AZURE_KEYVAULT_URL'),
    resource: requireEnv('AZURE_KEYVAULT_RESOURCE'),
    authorityHost: requireEnv('AZURE_AUTHORITY_HOST'),
    tenantId: requireEnv('AZURE_TENANT_ID'),
    clientId: requireEnv('AZURE_CLIENT_ID'),
    clientSecret: requireEnv('AZURE_CLIENT_SECRET'),
    ca: readFileSync(requireEnv('AZURE_CA_FILE'), 'utf8'),
    adminToken: requireEnv('AZURE_KEYVAULT_ADMIN_TOKEN'),
    managedIdentityClientId: requireEnv('AZURE_MANAGED_IDENTITY_CLIENT_ID'),
    imdsHost: requireEnv('AZURE_POD_IDENTITY_AUTHORITY_HOST'),
    appServiceEndpoint: requireEnv('AZURE_KEYVAULT_IDENTITY_ENDPOINT'),
    appServiceHeader: requireEnv('AZURE_KEYVAULT_IDENTITY_HEADER'),
  };
}

/**
 * Options for an @azure/identity credential: the test authority, its CA, and
 * disableInstanceDiscovery (otherwise MSAL asks login.microsoftonline.com which
 * hosts are Entra authorities, and this machine has no internet).
 */
export function credentialOptions(
  env: AzureTestEnv,
): TokenCredentialOptions & { disableInstanceDiscovery: true } {
  return { authorityHost: env.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: env.ca } };
}

/** Options for a Key Vault SDK client: trust the test CA. Challenge-resource verification stays on. */
export function clientOptions(env: AzureTestEnv): { tlsOptions: { ca: string } } {
  return { tlsOptions: { ca: env.ca } };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = unknown>(): T;
}

/** One HTTPS request trusting the test CA (for what the SDKs never send: missing tokens, bad versions). */
export function rawRequest(
  env: AzureTestEnv,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: env.ca, headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: <T>() => JSON.parse(text) as T,
        });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface FaultSpec {
  kind: 'throttle' | 'error';
  count: number;
  status?: number;
  retryAfterSeconds?: number;
  operations?: string[];
}

export interface ClientSpec {
  tenantId: string;
  secrets?: string[];
  federatedCredentials?: { issuer: string; subject: string; audiences?: string[] }[];
  managedIdentity?: 'system' | 'user';
  permissions?: { secrets?: string[]; certificates?: string[] };
  vaults?: string[];
}

/** The test server's /_test admin API. */
export class KeyVaultTestAdmin {
  constructor(private readonly env: AzureTestEnv) {}

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await rawRequest(this.env, method, `${this.env.vaultUrl}/_test/${path}`, {
      headers: { authorization: `Bearer ${this.env.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status >= 300)
      throw new Error(`admin ${method} ${path}: HTTP ${response.status} ${response.text}`);
    return (response.text ? response.json() : undefined) as T;
  }

  counts(): Promise<Record<string, number>> {
    return this.#call('GET', 'counts');
  }

  resetCounts(): Promise<void> {
    return this.#call('DELETE', 'counts');
  }

  addFault(fault: FaultSpec): Promise<void> {
    return this.#call('POST', 'faults', fault);
  }

  clearFaults(): Promise<void> {
    return this.#call('DELETE', 'faults');
  }

  putClient(clientId: string, spec: ClientSpec): Promise<{ clientId: string; objectId: string }> {
    return this.#call('PUT', `clients/${clientId}`, spec);
  }

  deleteClient(clientId: string): Promise<void> {
    return this.#call('DELETE', `clients/${clientId}`);
  }

  /** Creates a vault (empty) and returns its URL. */
  async putVault(name: string, tenantId?: string): Promise<string> {
    const vault = await this.#call<{ url: string }>('PUT', `vaults/${name}`, tenantId ? { tenantId } : {});
    return vault.url;
  }

  deleteVault(name: string): Promise<void> {
    return this.#call('DELETE', `vaults/${name}`);
  }

  /** A token the server signs with chosen claims, for tests of what the data plane refuses. */
  async mintToken(claims: {
    clientId: string;
    tenantId?: string;
    audience?: string;
    expiresInSeconds?: number;
    notBeforeOffsetSeconds?: number;
    issuer?: string;
  }): Promise<string> {
    return (await this.#call<{ access_token: string }>('POST', 'tokens', claims)).access_token;
  }
}
