// The server's configuration file (JSON, written by `make dev-up`), parsed
// into typed values once at start; a bad file stops the server with a reason.
import { readFileSync } from 'node:fs';
import { DirectoryInputError, parseClient, type Client } from './directory.js';
import { isObject, type JsonObject } from './http.js';
import type { KubernetesIssuerOptions } from './kubernetes-issuer.js';

export interface VaultConfig {
  readonly name: string;
  readonly tenantId: string;
}

export interface ServerConfig {
  readonly host: string;
  /** HTTPS: vaults (`<name>.vault.<domain>`), Entra ID (`login.<domain>`) and the admin API (`/_test/`). */
  readonly port: number;
  /** Plain HTTP, as IMDS is: the managed-identity endpoints. */
  readonly managedIdentityPort: number;
  readonly domain: string;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly adminToken: string;
  readonly tokenLifetimeSeconds: number;
  readonly softDeleteRetentionDays: number;
  readonly tenants: readonly string[];
  readonly vaults: readonly VaultConfig[];
  readonly clients: readonly Client[];
  readonly kubernetes?: KubernetesIssuerOptions;
  /** The App Service flavour's shared secret (IDENTITY_HEADER); none = that endpoint answers 400. */
  readonly appServiceIdentityHeader?: string;
}

export class ConfigError extends Error {}

function str(o: JsonObject, field: string, fallback?: string): string {
  const v = o[field] ?? fallback;
  if (typeof v !== 'string' || !v) throw new ConfigError(`config.${field} must be a non-empty string`);
  return v;
}

function int(o: JsonObject, field: string, fallback: number, min: number, max: number): number {
  const v = o[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ConfigError(`config.${field} must be an integer from ${min} to ${max}`);
  return v;
}

/** Vault names: 3-24 letters, digits and dashes (the real naming rule), lower-cased as DNS is. */
const VAULT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

export function parseVaultConfig(input: unknown, fallbackTenant: string | undefined): VaultConfig {
  if (!isObject(input) || typeof input.name !== 'string' || !VAULT_NAME.test(input.name))
    throw new ConfigError('a vault needs a name of 3-24 letters, digits and dashes');
  const tenantId = input.tenantId ?? fallbackTenant;
  if (typeof tenantId !== 'string' || !tenantId)
    throw new ConfigError(`vault ${input.name} needs a tenantId`);
  return { name: input.name.toLowerCase(), tenantId };
}

export function parseConfig(input: unknown): ServerConfig {
  if (!isObject(input)) throw new ConfigError('the config must be a JSON object');
  const tenants = input.tenants;
  if (!Array.isArray(tenants) || !tenants.every((t) => typeof t === 'string') || tenants.length === 0)
    throw new ConfigError('config.tenants must be a non-empty array of tenant ids');
  const vaults = input.vaults ?? [];
  if (!Array.isArray(vaults)) throw new ConfigError('config.vaults must be an array');
  const clients = input.clients ?? [];
  if (!Array.isArray(clients)) throw new ConfigError('config.clients must be an array');
  let kubernetes: KubernetesIssuerOptions | undefined;
  if (input.kubernetes !== undefined) {
    if (!isObject(input.kubernetes)) throw new ConfigError('config.kubernetes must be an object');
    const k = input.kubernetes;
    kubernetes = {
      issuer: str(k, 'issuer'),
      apiUrl: str(k, 'apiUrl'),
      caFile: str(k, 'caFile'),
      certFile: str(k, 'certFile'),
      keyFile: str(k, 'keyFile'),
    };
  }
  const header = input.appServiceIdentityHeader;
  if (header !== undefined && typeof header !== 'string')
    throw new ConfigError('config.appServiceIdentityHeader must be a string');
  try {
    return {
      host: str(input, 'host', '127.0.0.1'),
      port: int(input, 'port', 0, 0, 65535),
      managedIdentityPort: int(input, 'managedIdentityPort', 0, 0, 65535),
      domain: str(input, 'domain', 'localhost').toLowerCase(),
      tlsCertFile: str(input, 'tlsCertFile'),
      tlsKeyFile: str(input, 'tlsKeyFile'),
      adminToken: str(input, 'adminToken'),
      tokenLifetimeSeconds: int(input, 'tokenLifetimeSeconds', 3600, 60, 86_400),
      softDeleteRetentionDays: int(input, 'softDeleteRetentionDays', 90, 7, 90),
      tenants,
      vaults: vaults.map((v) => parseVaultConfig(v, tenants[0])),
      clients: clients.map(parseClient),
      ...(kubernetes ? { kubernetes } : {}),
      ...(header ? { appServiceIdentityHeader: header } : {}),
    };
  } catch (error) {
    if (error instanceof DirectoryInputError) throw new ConfigError(error.message);
    throw error;
  }
}

export function loadConfig(file: string): ServerConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseConfig(parsed);
}
