// Everything a request handler may use, built once at start.
import type { ServerConfig, VaultConfig } from './config.js';
import type { Directory } from './directory.js';
import type { FaultInjector, RequestCounter } from './faults.js';
import type { KubernetesIssuer } from './kubernetes-issuer.js';
import type { TokenService } from './tokens.js';
import { Vault } from './vault.js';

export interface ServerContext {
  readonly config: ServerConfig;
  readonly directory: Directory;
  readonly tokens: TokenService;
  readonly counts: RequestCounter;
  readonly faults: FaultInjector;
  readonly vaults: Map<string, Vault>;
  readonly kubernetes?: KubernetesIssuer;
  /** `https://login.<domain>:<port>`: the authority host clients are pointed at. */
  readonly loginBaseUrl: string;
  /** `https://vault.<domain>`: the token audience, and what the 401 challenge names. */
  readonly resource: string;
  readonly managedIdentityUrl: string;
  readonly now: () => number;
}

export function vaultBaseUrl(config: ServerConfig, port: number, name: string): string {
  return `https://${name}.vault.${config.domain}:${port}`;
}

export function addVault(ctx: ServerContext, port: number, vault: VaultConfig): Vault {
  const created = new Vault(
    vault.name,
    vault.tenantId,
    vaultBaseUrl(ctx.config, port, vault.name),
    ctx.config.softDeleteRetentionDays,
    ctx.now,
  );
  ctx.directory.addTenant(vault.tenantId);
  ctx.vaults.set(vault.name, created);
  return created;
}
