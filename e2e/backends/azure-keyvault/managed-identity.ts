// Managed-identity token endpoints on a plain-HTTP listener, as the real ones
// are (IMDS is http://169.254.169.254). @azure/identity's
// ManagedIdentityCredential (through MSAL) is pointed here without code
// changes by one of two environment variables:
//   AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:<port>  → IMDS flavour,
//     GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…], header Metadata: true
//   IDENTITY_ENDPOINT=http://127.0.0.1:<port>/msi/token + IDENTITY_HEADER=<secret> → App Service flavour,
//     GET /msi/token?api-version=2019-08-01&resource=…[&client_id=…], header X-IDENTITY-HEADER
import { timingSafeEqual } from 'node:crypto';
import type { ServerContext } from './context.js';
import type { Client } from './directory.js';
import type { Request } from './http.js';
import type { Answer } from './keyvault-api.js';

const invalid = (description: string, error = 'invalid_request'): Answer => ({
  status: 400,
  body: { error, error_description: description },
});

function selectIdentity(ctx: ServerContext, req: Request): Client | Answer {
  const clientId = req.query.get('client_id') ?? req.query.get('clientid');
  const objectId = req.query.get('object_id') ?? req.query.get('principal_id');
  if (req.query.get('msi_res_id') || req.query.get('mi_res_id'))
    return invalid('Selecting an identity by resource id is not supported by the test server.');
  let identity: Client | undefined;
  if (clientId) identity = ctx.directory.client(clientId);
  else if (objectId) identity = ctx.directory.managedIdentityByObjectId(objectId);
  else identity = ctx.directory.systemManagedIdentity();
  if (!identity?.managedIdentity) return invalid('Identity not found');
  return identity;
}

function issue(ctx: ServerContext, req: Request, flavour: 'imds' | 'appservice'): Answer {
  const resource = req.query.get('resource');
  if (!resource) return invalid('Required audience parameter not specified');
  const identity = selectIdentity(ctx, req);
  if (!('clientId' in identity)) return identity;
  // Tokens are for the Key Vault resource only; its trailing-slash form is the usual mistake.
  if (resource !== ctx.resource)
    return invalid(
      `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${identity.tenantId}.`,
      'invalid_resource',
    );
  const token = ctx.tokens.issue(identity, resource, 'managed-identity');
  const common = {
    access_token: token.accessToken,
    client_id: identity.clientId,
    expires_on: String(token.expiresOn),
    resource,
    token_type: 'Bearer',
  };
  return flavour === 'imds'
    ? {
        status: 200,
        body: {
          ...common,
          expires_in: String(token.expiresIn),
          ext_expires_in: String(token.expiresIn),
          not_before: String(token.notBefore),
        },
      }
    : { status: 200, body: common };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface ManagedIdentityRoute {
  readonly operation: string;
  run(): Answer;
}

export function routeManagedIdentityRequest(
  ctx: ServerContext,
  req: Request,
): ManagedIdentityRoute | undefined {
  // MSAL asks for ".../token/" (its URL builder appends a slash); the real endpoints answer both.
  const path = req.pathname.replace(/\/$/, '');
  if (req.method === 'GET' && path === '/metadata/identity/oauth2/token')
    return {
      operation: 'token.managed_identity',
      run: () => {
        // IMDS refuses a request without this header, so a server-side request forgery cannot reach it.
        if (req.headers.metadata !== 'true') return invalid('Required metadata header not specified');
        if (!req.query.get('api-version')) return invalid("Required query variable 'api-version' is missing");
        return issue(ctx, req, 'imds');
      },
    };
  if (req.method === 'GET' && path === '/msi/token')
    return {
      operation: 'token.managed_identity',
      run: () => {
        const expected = ctx.config.appServiceIdentityHeader;
        const presented = req.headers['x-identity-header'];
        if (!expected || typeof presented !== 'string' || !sameSecret(presented, expected))
          return {
            status: 401,
            body: { statusCode: 401, message: 'X-IDENTITY-HEADER is missing or wrong.' },
          };
        if (!req.query.get('api-version')) return invalid("Required query variable 'api-version' is missing");
        return issue(ctx, req, 'appservice');
      },
    };
  return undefined;
}
