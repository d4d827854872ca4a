// The two listeners and the request dispatch. HTTPS (one port, routed by Host):
//   <vault>.vault.<domain>  Key Vault data plane     login.<domain>  Entra ID
//   any host, /_test/...    admin API
// HTTP (another port): the managed-identity endpoints.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin.js';
import type { ServerConfig } from './config.js';
import { addVault, type ServerContext } from './context.js';
import { Directory, type Client } from './directory.js';
import { routeEntraRequest } from './entra.js';
import { EntraError, KeyVaultError, forbidden } from './errors.js';
import { FaultInjector, RequestCounter } from './faults.js';
import { bearerToken, readRequest, sendJson, type Request } from './http.js';
import { checkApiVersion, routeVaultRequest, type Answer, type VaultOperation } from './keyvault-api.js';
import { KubernetesIssuer } from './kubernetes-issuer.js';
import { routeManagedIdentityRequest } from './managed-identity.js';
import { TokenService } from './tokens.js';

export interface RunningServer {
  readonly httpsPort: number;
  readonly managedIdentityPort: number;
  readonly context: ServerContext;
  close(): Promise<void>;
}

function challenge(ctx: ServerContext, tenantId: string): Record<string, string> {
  // The exact form @azure/keyvault-common parses: authorization names the tenant, resource the audience.
  return {
    'www-authenticate': `Bearer authorization="${ctx.loginBaseUrl}/${tenantId}", resource="${ctx.resource}"`,
  };
}

function permitted(client: Client, permission: VaultOperation['permission']): boolean {
  return permission.kind === 'secrets'
    ? client.secretPermissions.has(permission.name)
    : client.certificatePermissions.has(permission.name);
}

function vaultRequest(ctx: ServerContext, req: Request, vaultName: string): Answer {
  const vault = ctx.vaults.get(vaultName);
  if (!vault)
    throw new KeyVaultError(
      404,
      'VaultNotFound',
      `No vault named ${vaultName} is served here; create it with PUT /_test/vaults/${vaultName}.`,
    );
  checkApiVersion(req);
  const operation = routeVaultRequest(req);
  const token = bearerToken(req);
  if (!token) {
    ctx.counts.increment('auth.challenge');
    throw new KeyVaultError(
      401,
      'Unauthorized',
      'AKV10000: Request is missing a Bearer or PoP token.',
      undefined,
      challenge(ctx, vault.tenantId),
    );
  }
  const verified = ctx.tokens.verify(token, vault.tenantId, ctx.resource);
  if (!verified.ok) {
    ctx.counts.increment('auth.rejected');
    throw new KeyVaultError(401, 'Unauthorized', verified.message, undefined, challenge(ctx, vault.tenantId));
  }
  ctx.counts.increment(operation.name);
  const fault = ctx.faults.take(operation.name, true);
  if (fault) {
    ctx.counts.increment(fault.status === 429 ? 'fault.throttled' : 'fault.error');
    throw fault;
  }
  const { clientId, objectId } = verified.subject;
  const client = ctx.directory.client(clientId);
  const { kind, name } = operation.permission;
  const allowed =
    client !== undefined &&
    (client.vaults === undefined || client.vaults.includes(vault.name)) &&
    permitted(client, operation.permission);
  if (!allowed)
    throw forbidden(
      `The user, group or application 'appid=${clientId};oid=${objectId};iss=${ctx.tokens.issuer(vault.tenantId)}' does not have ${kind} ${name} permission on key vault '${vault.name};location=local'.`,
      'AccessDenied',
    );
  return operation.run(vault);
}

async function entraRequest(ctx: ServerContext, req: Request): Promise<Answer> {
  const route = routeEntraRequest(ctx, req);
  if (!route)
    return {
      status: 404,
      body: { error: 'not_found', error_description: `No Entra endpoint ${req.method} ${req.pathname}` },
    };
  ctx.counts.increment(route.operation);
  const fault = ctx.faults.take(route.operation, false);
  if (fault) {
    ctx.counts.increment(fault.status === 429 ? 'fault.throttled' : 'fault.error');
    return {
      status: fault.status,
      body: {
        error: fault.status === 429 ? 'temporarily_unavailable' : 'server_error',
        error_description: fault.message,
      },
      headers: fault.headers,
    };
  }
  return route.run();
}

function respond(res: ServerResponse, answer: Answer): void {
  sendJson(res, answer.status, answer.body, { 'x-ms-request-id': randomUUID(), ...(answer.headers ?? {}) });
}

function handler(ctx: ServerContext, port: number, kind: 'https' | 'http') {
  const vaultSuffix = `.vault.${ctx.config.domain}`;
  const loginHost = `login.${ctx.config.domain}`;
  return (raw: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      let req: Request | undefined;
      try {
        req = await readRequest(raw);
        if (kind === 'http') {
          const route = routeManagedIdentityRequest(ctx, req);
          if (!route)
            return respond(res, {
              status: 404,
              body: { error: 'not_found', error_description: req.pathname },
            });
          ctx.counts.increment(route.operation);
          const fault = ctx.faults.take(route.operation, false);
          if (fault) {
            ctx.counts.increment(fault.status === 429 ? 'fault.throttled' : 'fault.error');
            return respond(res, {
              status: fault.status,
              body: { error: 'temporarily_unavailable', error_description: fault.message },
              headers: fault.headers,
            });
          }
          return respond(res, route.run());
        }
        if (req.pathname.startsWith('/_test/')) return respond(res, handleAdmin(ctx, req, port));
        if (req.hostname === loginHost) return respond(res, await entraRequest(ctx, req));
        if (req.hostname.endsWith(vaultSuffix)) {
          const name = req.hostname.slice(0, -vaultSuffix.length);
          if (name && !name.includes('.')) return respond(res, vaultRequest(ctx, req, name));
        }
        respond(res, {
          status: 404,
          body: { error: { code: 'NotFound', message: `Nothing is served at host ${req.hostname}.` } },
        });
      } catch (error) {
        if (error instanceof KeyVaultError)
          return respond(res, { status: error.status, body: error.body(), headers: error.headers });
        if (error instanceof EntraError)
          return respond(res, { status: error.status, body: error.body(new Date()) });
        console.error(`${req?.method ?? '?'} ${req?.pathname ?? '?'}:`, error);
        respond(res, {
          status: 500,
          body: { error: { code: 'InternalServerError', message: 'The test server failed; see its log.' } },
        });
      }
    })();
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const kubernetes = config.kubernetes ? new KubernetesIssuer(config.kubernetes) : undefined;
  // The keys must be readable before the first assertion arrives; dev-up starts this after the API
  // server, which may still be publishing its discovery endpoints for a moment.
  if (kubernetes)
    for (let attempt = 1; ; attempt++) {
      try {
        await kubernetes.refresh();
        break;
      } catch (error) {
        if (attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }

  const https = createHttpsServer({
    cert: readFileSync(config.tlsCertFile),
    key: readFileSync(config.tlsKeyFile),
  });
  const http = createHttpServer();
  const httpsPort = await listen(https, config.host, config.port);
  const miPort = await listen(http, config.host, config.managedIdentityPort);
  const loginBaseUrl = `https://login.${config.domain}:${httpsPort}`;
  const now = (): number => Math.floor(Date.now() / 1000);
  const context: ServerContext = {
    config,
    directory: new Directory(config.tenants, config.clients),
    tokens: new TokenService(loginBaseUrl, config.tokenLifetimeSeconds, now),
    counts: new RequestCounter(),
    faults: new FaultInjector(),
    vaults: new Map(),
    ...(kubernetes ? { kubernetes } : {}),
    loginBaseUrl,
    resource: `https://vault.${config.domain}`,
    managedIdentityUrl: `http://${config.host}:${miPort}`,
    now,
  };
  for (const v of config.vaults) addVault(context, httpsPort, v);
  https.on('request', handler(context, httpsPort, 'https'));
  http.on('request', handler(context, httpsPort, 'http'));
  return {
    httpsPort,
    managedIdentityPort: miPort,
    context,
    close: async () => {
      await Promise.all([https, http].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
