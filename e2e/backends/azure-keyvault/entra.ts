// Entra ID's endpoints that MSAL (behind @azure/identity's confidential
// credentials) calls, on the host `login.<domain>`:
//   GET  /{tenant}/v2.0/.well-known/openid-configuration   (endpoint discovery)
//   GET  /{tenant}/discovery/v2.0/keys                      (token signing keys)
//   GET  /common/discovery/instance                         (instance discovery)
//   POST /{tenant}/oauth2/v2.0/token                        (client_credentials:
//        client_secret, or client_assertion = a ServiceAccount token matched
//        against the client's federated credentials)
import { timingSafeEqual } from 'node:crypto';
import type { ServerContext } from './context.js';
import type { Client } from './directory.js';
import { EntraError } from './errors.js';
import { formBody, type Request } from './http.js';
import type { Answer } from './keyvault-api.js';
import type { AssertionCheck } from './kubernetes-issuer.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

export function discoveryDocument(ctx: ServerContext, tenant: string): Record<string, unknown> {
  const base = `${ctx.loginBaseUrl}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: ctx.tokens.issuer(tenant),
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    tenant_region_scope: null,
    cloud_instance_name: ctx.config.domain,
  };
}

const tenantNotFound = (tenant: string): EntraError =>
  new EntraError(
    400,
    'invalid_request',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  );

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The one resource a client-credentials scope names (`<resource>/.default`). */
function resourceOf(ctx: ServerContext, scope: string | null, tenant: string): string {
  const scopes = (scope ?? '').split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s));
  if (scopes.length !== 1 || !scopes[0]!.endsWith('/.default'))
    throw new EntraError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  const resource = scopes[0]!.slice(0, -'/.default'.length);
  if (resource !== ctx.resource)
    throw new EntraError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant.`,
    );
  return resource;
}

/** client_secret in the body (client_secret_post) or HTTP Basic (client_secret_basic). */
function presentedSecret(req: Request, form: URLSearchParams): string | undefined {
  const fromBody = form.get('client_secret');
  if (fromBody !== null) return fromBody;
  const header = req.headers.authorization;
  if (typeof header === 'string' && /^Basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) return decodeURIComponent(decoded.slice(colon + 1));
  }
  return undefined;
}

async function checkAssertion(ctx: ServerContext, client: Client, assertion: string): Promise<void> {
  const issuer = ctx.kubernetes;
  const check: AssertionCheck = issuer
    ? await issuer.check(assertion, ctx.now())
    : { ok: false, reason: 'unknown-issuer' };
  if (!check.ok) {
    switch (check.reason) {
      case 'malformed':
        throw new EntraError(400, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
      case 'signature':
        throw new EntraError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
      case 'expired':
        throw new EntraError(
          400,
          'invalid_client',
          700024,
          'Client assertion is not within its valid time range.',
        );
      case 'unknown-issuer':
        throw new EntraError(
          400,
          'invalid_request',
          70021,
          `No matching federated identity record found for presented assertion. Assertion Issuer: '${check.issuer ?? ''}'.`,
        );
    }
  }
  const match = client.federatedCredentials.some(
    (f) =>
      f.issuer === check.issuer &&
      f.subject === check.subject &&
      f.audiences.some((a) => check.audiences.includes(a)),
  );
  if (!match)
    throw new EntraError(
      400,
      'invalid_request',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${check.issuer}'. Assertion Subject: '${check.subject}'. Assertion Audience: '${check.audiences.join(', ')}'.`,
    );
}

async function token(ctx: ServerContext, req: Request, tenant: string): Promise<Answer> {
  if (!ctx.directory.hasTenant(tenant)) throw tenantNotFound(tenant);
  const form = formBody(req);
  const grant = form.get('grant_type');
  if (grant !== 'client_credentials')
    throw new EntraError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grant ?? ''}'; this test server issues client_credentials only.`,
    );
  const clientId = form.get('client_id');
  if (!clientId)
    throw new EntraError(
      400,
      'invalid_request',
      900144,
      "The request body must contain the following parameter: 'client_id'.",
    );
  const resource = resourceOf(ctx, form.get('scope'), tenant);
  const client = ctx.directory.client(clientId);
  if (!client || client.tenantId.toLowerCase() !== tenant.toLowerCase())
    throw new EntraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
    );
  const assertion = form.get('client_assertion');
  const secret = presentedSecret(req, form);
  let method: 'secret' | 'assertion';
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== JWT_BEARER)
      throw new EntraError(
        400,
        'invalid_request',
        700023,
        `Invalid client_assertion_type; expected ${JWT_BEARER}.`,
      );
    await checkAssertion(ctx, client, assertion);
    method = 'assertion';
  } else if (secret !== undefined) {
    if (!client.secrets.some((s) => sameSecret(s, secret)))
      throw new EntraError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
      );
    method = 'secret';
  } else {
    throw new EntraError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  const issued = ctx.tokens.issue(client, resource, method);
  return {
    status: 200,
    body: {
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      ext_expires_in: issued.expiresIn,
      access_token: issued.accessToken,
    },
  };
}

export interface EntraRoute {
  readonly operation: string;
  run(): Promise<Answer>;
}

/** The Entra operation a request to `login.<domain>` names; undefined = no such endpoint. */
export function routeEntraRequest(ctx: ServerContext, req: Request): EntraRoute | undefined {
  const [tenant, ...rest] = req.segments;
  if (!tenant) return undefined;
  const path = rest.join('/');
  if (req.method === 'GET' && tenant === 'common' && path === 'discovery/instance')
    return {
      operation: 'discovery.instance',
      run: async () => {
        const host = new URL(ctx.loginBaseUrl).host;
        return {
          status: 200,
          body: {
            tenant_discovery_endpoint: `${ctx.loginBaseUrl}/common/v2.0/.well-known/openid-configuration`,
            'api-version': '1.1',
            metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
          },
        };
      },
    };
  if (
    req.method === 'GET' &&
    (path === 'v2.0/.well-known/openid-configuration' || path === '.well-known/openid-configuration')
  )
    return {
      operation: 'discovery.openid_configuration',
      run: async () => {
        if (!ctx.directory.hasTenant(tenant)) throw tenantNotFound(tenant);
        return { status: 200, body: discoveryDocument(ctx, tenant) };
      },
    };
  if (req.method === 'GET' && path === 'discovery/v2.0/keys')
    return { operation: 'discovery.keys', run: async () => ({ status: 200, body: ctx.tokens.jwks() }) };
  if (req.method === 'POST' && path === 'oauth2/v2.0/token') {
    const grant = formBody(req).get('grant_type') ?? 'unknown';
    return { operation: `token.${grant}`, run: () => token(ctx, req, tenant) };
  }
  return undefined;
}
