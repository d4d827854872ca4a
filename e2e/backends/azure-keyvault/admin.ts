// The test-only admin API under /_test/ (a path the real services never use),
// on every host of the HTTPS listener, behind a bearer secret from the config:
//   GET    /_test/health                  liveness (no secret needed)
//   GET    /_test/info                    URLs, resource, tenants, vaults
//   GET    /_test/counts   DELETE …       request counts by operation / reset them
//   GET    /_test/faults   POST …  DELETE …  pending faults / add one / clear all
//   PUT    /_test/clients/{clientId}      register or replace an app or managed identity
//   DELETE /_test/clients/{clientId}
//   PUT    /_test/vaults/{name}           create a vault ({tenantId?}); DELETE removes it and its data
//   POST   /_test/tokens                  sign an access token with chosen claims (negative tests)
import { timingSafeEqual } from 'node:crypto';
import { parseVaultConfig, ConfigError } from './config.js';
import { addVault, type ServerContext } from './context.js';
import { DirectoryInputError, parseClient } from './directory.js';
import { FaultInputError, parseFault } from './faults.js';
import { isObject, bearerToken, type Request } from './http.js';
import type { Answer } from './keyvault-api.js';

const bad = (message: string): Answer => ({ status: 400, body: { error: { code: 'BadRequest', message } } });

function authorized(ctx: ServerContext, req: Request): boolean {
  const token = bearerToken(req);
  if (!token) return false;
  const a = Buffer.from(token);
  const b = Buffer.from(ctx.config.adminToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

function json(req: Request): unknown {
  try {
    return req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
  } catch {
    return undefined;
  }
}

export function handleAdmin(ctx: ServerContext, req: Request, port: number): Answer {
  const [, resource, id] = req.segments;
  const { method } = req;
  if (resource === 'health' && method === 'GET') return { status: 200, body: { status: 'ok' } };
  if (!authorized(ctx, req))
    return {
      status: 401,
      body: { error: { code: 'Unauthorized', message: 'The admin API needs the admin bearer token.' } },
    };
  try {
    switch (`${method} ${resource ?? ''}${id !== undefined ? '/:id' : ''}`) {
      case 'GET info':
        return {
          status: 200,
          body: {
            loginUrl: ctx.loginBaseUrl,
            resource: ctx.resource,
            managedIdentityUrl: ctx.managedIdentityUrl,
            vaults: [...ctx.vaults.values()].map((v) => ({
              name: v.name,
              tenantId: v.tenantId,
              url: v.baseUrl,
            })),
          },
        };
      case 'GET counts':
        return { status: 200, body: ctx.counts.snapshot() };
      case 'DELETE counts':
        ctx.counts.reset();
        return { status: 204 };
      case 'GET faults':
        return { status: 200, body: ctx.faults.pending() };
      case 'POST faults':
        ctx.faults.add(parseFault(json(req)));
        return { status: 201, body: ctx.faults.pending() };
      case 'DELETE faults':
        ctx.faults.clear();
        return { status: 204 };
      case 'PUT clients/:id': {
        const body = json(req);
        const client = parseClient(isObject(body) ? { ...body, clientId: id } : body);
        ctx.directory.putClient(client);
        return {
          status: 200,
          body: { clientId: client.clientId, tenantId: client.tenantId, objectId: client.objectId },
        };
      }
      case 'DELETE clients/:id':
        return ctx.directory.deleteClient(id!)
          ? { status: 204 }
          : { status: 404, body: { error: { code: 'NotFound', message: `no client ${id}` } } };
      case 'PUT vaults/:id': {
        const body = json(req);
        const config = parseVaultConfig({ ...(isObject(body) ? body : {}), name: id }, ctx.config.tenants[0]);
        const vault = ctx.vaults.get(config.name) ?? addVault(ctx, port, config);
        return { status: 200, body: { name: vault.name, tenantId: vault.tenantId, url: vault.baseUrl } };
      }
      case 'DELETE vaults/:id':
        return ctx.vaults.delete(id!.toLowerCase())
          ? { status: 204 }
          : { status: 404, body: { error: { code: 'NotFound', message: `no vault ${id}` } } };
      case 'POST tokens': {
        const body = json(req);
        if (!isObject(body) || typeof body.clientId !== 'string') return bad('clientId is required');
        const client = ctx.directory.client(body.clientId);
        const tenantId = typeof body.tenantId === 'string' ? body.tenantId : client?.tenantId;
        if (!tenantId) return bad('tenantId is required for an unknown client');
        const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
        const expiresInSeconds = num(body.expiresInSeconds);
        const notBeforeOffsetSeconds = num(body.notBeforeOffsetSeconds);
        const token = ctx.tokens.mint({
          tenantId,
          clientId: body.clientId,
          ...(client ? { objectId: client.objectId } : {}),
          audience: typeof body.audience === 'string' ? body.audience : ctx.resource,
          ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
          ...(notBeforeOffsetSeconds !== undefined ? { notBeforeOffsetSeconds } : {}),
          ...(typeof body.issuer === 'string' ? { issuer: body.issuer } : {}),
        });
        return { status: 200, body: { access_token: token.accessToken, expires_on: token.expiresOn } };
      }
      default:
        return {
          status: 404,
          body: { error: { code: 'NotFound', message: `no admin route ${method} ${req.pathname}` } },
        };
    }
  } catch (error) {
    if (
      error instanceof DirectoryInputError ||
      error instanceof FaultInputError ||
      error instanceof ConfigError
    )
      return bad(error.message);
    throw error;
  }
}
