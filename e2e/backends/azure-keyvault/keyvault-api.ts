// Key Vault's data plane: maps method + path to one operation (its name for
// the request counts, the access-policy permission it needs, and what it
// does), parsing bodies into typed values. Authentication, permissions and
// faults are applied by the server before an operation runs.
import { PEM_CONTENT_TYPE, PKCS12_CONTENT_TYPE, type ImportRequest } from './certificates.js';
import type { CertificatePermission, SecretPermission } from './directory.js';
import { KeyVaultError, badParameter, forbidden, notImplemented } from './errors.js';
import { isObject, jsonBody, type JsonObject, type Request } from './http.js';
import { OBJECT_NAME, type SecretInput, type SecretPatch } from './secrets-store.js';
import type { Vault } from './vault.js';

/** Versions the server accepts: 7.4-7.6 and the date-named ones the current SDKs send by default. */
export const API_VERSIONS = ['7.4', '7.5', '7.6', '2025-07-01', '2026-04-01'] as const;
const MAX_RESULTS = 25;

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface VaultOperation {
  readonly name: string;
  readonly permission:
    | { readonly kind: 'secrets'; readonly name: SecretPermission }
    | { readonly kind: 'certificates'; readonly name: CertificatePermission };
  run(vault: Vault): Answer;
}

export function checkApiVersion(req: Request): string {
  const version = req.query.get('api-version');
  if (!version) throw badParameter('The api-version query parameter is missing.');
  if (!(API_VERSIONS as readonly string[]).includes(version))
    throw badParameter(
      `The specified version (${version}) is not recognized. Consider using the latest supported version (${API_VERSIONS.at(-1)}).`,
    );
  return version;
}

// ---- typed bodies ----------------------------------------------------------

function optionalString(o: JsonObject, field: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badParameter(`Property ${field} has invalid value`);
  return v;
}

function tags(o: JsonObject): Record<string, string> | undefined {
  const t = o.tags;
  if (t === undefined || t === null) return undefined;
  if (!isObject(t) || !Object.values(t).every((v) => typeof v === 'string'))
    throw badParameter('Property tags has invalid value');
  if (Object.keys(t).length > 15) throw badParameter('A secret can have at most 15 tags.');
  return t as Record<string, string>;
}

function attributes(o: JsonObject): { enabled?: boolean; nbf?: number; exp?: number } {
  const a = o.attributes;
  if (a === undefined || a === null) return {};
  if (!isObject(a)) throw badParameter('Property attributes has invalid value');
  const out: { enabled?: boolean; nbf?: number; exp?: number } = {};
  if (a.enabled !== undefined && a.enabled !== null) {
    if (typeof a.enabled !== 'boolean') throw badParameter('Property attributes.enabled has invalid value');
    out.enabled = a.enabled;
  }
  for (const field of ['nbf', 'exp'] as const) {
    const v = a[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw badParameter(`Property attributes.${field} has invalid value`);
    out[field] = v;
  }
  return out;
}

function secretInput(req: Request): SecretInput {
  const body = jsonBody(req);
  const value = body.value;
  if (typeof value !== 'string') throw badParameter('Property value is required and must be a string.');
  if (Buffer.byteLength(value) > 25 * 1024) throw badParameter('The secret value exceeds the 25 KB limit.');
  const contentType = optionalString(body, 'contentType');
  const t = tags(body);
  return {
    value,
    ...(contentType !== undefined ? { contentType } : {}),
    ...(t ? { tags: t } : {}),
    ...attributes(body),
  };
}

function secretPatch(req: Request): SecretPatch {
  const body = jsonBody(req);
  const contentType = optionalString(body, 'contentType');
  const t = tags(body);
  return {
    ...(contentType !== undefined ? { contentType } : {}),
    ...(t ? { tags: t } : {}),
    ...attributes(body),
  };
}

function importRequest(req: Request): ImportRequest {
  const body = jsonBody(req);
  if (typeof body.value !== 'string' || !body.value) throw badParameter('Property value is required.');
  const password = optionalString(body, 'pwd');
  const policy = isObject(body.policy) ? body.policy : {};
  const secretProps = isObject(policy.secret_props) ? policy.secret_props : {};
  const contentType = optionalString(secretProps, 'contentType') ?? PKCS12_CONTENT_TYPE;
  if (contentType !== PEM_CONTENT_TYPE && contentType !== PKCS12_CONTENT_TYPE)
    throw badParameter(`Property policy.secret_props.contentType has invalid value ${contentType}`);
  const t = tags(body);
  const { enabled } = attributes(body);
  return {
    value: body.value,
    contentType,
    ...(password ? { password } : {}),
    ...(enabled !== undefined ? { enabled } : {}),
    ...(t ? { tags: t } : {}),
  };
}

function objectName(name: string | undefined): string {
  if (!name || !OBJECT_NAME.test(name))
    throw badParameter(`The object name ${name ?? ''} is invalid: use 1-127 letters, digits and dashes.`);
  return name;
}

// ---- paging ----------------------------------------------------------------

function page<T>(
  req: Request,
  vault: Vault,
  items: readonly T[],
  render: (item: T) => unknown,
): { value: unknown[]; nextLink: string | null } {
  const max = req.query.get('maxresults');
  const size = max === null ? MAX_RESULTS : Number(max);
  if (!Number.isInteger(size) || size < 1 || size > MAX_RESULTS)
    throw badParameter(`Invalid maxresults: it must be between 1 and ${MAX_RESULTS}.`);
  const token = req.query.get('$skiptoken');
  let offset = 0;
  if (token) {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
      offset = isObject(parsed) && typeof parsed.offset === 'number' ? parsed.offset : NaN;
    } catch {
      offset = NaN;
    }
    if (!Number.isInteger(offset) || offset < 0) throw badParameter('The $skiptoken is invalid.');
  }
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length;
  const nextLink = next
    ? `${vault.baseUrl}${req.pathname}?api-version=${encodeURIComponent(req.query.get('api-version') ?? '')}` +
      `&$skiptoken=${Buffer.from(JSON.stringify({ offset: offset + size })).toString('base64url')}&maxresults=${size}`
    : null;
  return { value: slice.map(render), nextLink };
}

// ---- routes ----------------------------------------------------------------

const secretOp = (
  name: string,
  permission: SecretPermission,
  run: (vault: Vault) => Answer,
): VaultOperation => ({
  name: `secrets.${name}`,
  permission: { kind: 'secrets', name: permission },
  run,
});

const certOp = (
  name: string,
  permission: CertificatePermission,
  run: (vault: Vault) => Answer,
): VaultOperation => ({
  name: `certificates.${name}`,
  permission: { kind: 'certificates', name: permission },
  run,
});

const ok = (body: unknown): Answer => ({ status: 200, body });

const DISABLED = (): KeyVaultError =>
  forbidden('Operation get is not allowed on a disabled secret.', 'SecretDisabled');

function secretRoute(req: Request, rest: readonly string[]): VaultOperation {
  const { method } = req;
  if (rest.length === 0) {
    if (method === 'GET')
      return secretOp('list', 'list', (v) =>
        ok(page(req, v, v.secrets.list(), (e) => v.secretItem(e, e.versions.at(-1)!, false))),
      );
    throw methodNotAllowed(method);
  }
  const name = objectName(rest[0]);
  const second = rest[1];
  if (rest.length === 1 && method === 'PUT') {
    const input = () => secretInput(req);
    return secretOp('set', 'set', (v) => {
      const created = v.secrets.set(name, input());
      return ok(v.secretBundle(v.secrets.get(name, created.version).entry, created, true));
    });
  }
  if (rest.length === 1 && method === 'DELETE')
    return secretOp('delete', 'delete', (v) => ok(v.deletedSecretBundle(v.secrets.delete(name))));
  if (second === 'versions' && rest.length === 2 && method === 'GET')
    return secretOp('listVersions', 'list', (v) => {
      const { entry } = v.secrets.get(name);
      return ok(page(req, v, entry.versions, (ver) => v.secretItem(entry, ver, true)));
    });
  if (second === 'backup' || (name === 'restore' && method === 'POST' && rest.length === 1))
    throw notImplemented('Secret backup and restore');
  if (rest.length <= 2) {
    const version = second ?? '';
    if (method === 'GET')
      return secretOp('get', 'get', (v) => {
        const found = v.secrets.get(name, version);
        if (!found.version.attributes.enabled) throw DISABLED();
        return ok(v.secretBundle(found.entry, found.version, true));
      });
    if (method === 'PATCH') {
      const patch = () => secretPatch(req);
      return secretOp('update', 'set', (v) => {
        const found = v.secrets.update(name, version, patch());
        return ok(v.secretBundle(found.entry, found.version, false));
      });
    }
    throw methodNotAllowed(method);
  }
  throw unknownRoute(req);
}

function deletedSecretRoute(req: Request, rest: readonly string[]): VaultOperation {
  const { method } = req;
  if (rest.length === 0 && method === 'GET')
    return secretOp('listDeleted', 'list', (v) =>
      ok(page(req, v, v.secrets.listDeleted(), (e) => v.deletedSecretItem(e))),
    );
  const name = objectName(rest[0]);
  if (rest.length === 1 && method === 'GET')
    return secretOp('getDeleted', 'get', (v) => ok(v.deletedSecretBundle(v.secrets.getDeleted(name))));
  if (rest.length === 1 && method === 'DELETE')
    return secretOp('purge', 'purge', (v) => {
      v.secrets.purge(name);
      return { status: 204 };
    });
  if (rest.length === 2 && rest[1] === 'recover' && method === 'POST')
    return secretOp('recover', 'recover', (v) => {
      const entry = v.secrets.recover(name);
      return ok(v.secretBundle(entry, entry.versions.at(-1)!, false));
    });
  throw unknownRoute(req);
}

function certificateRoute(req: Request, rest: readonly string[]): VaultOperation {
  const { method } = req;
  if (rest.length === 0 && method === 'GET')
    return certOp('list', 'list', (v) =>
      ok(page(req, v, v.certificates.list(), (e) => v.certificateItem(e, e.versions.at(-1)!, false))),
    );
  const name = objectName(rest[0]);
  const second = rest[1];
  if (second === 'import' && rest.length === 2 && method === 'POST') {
    const input = () => importRequest(req);
    return certOp('import', 'import', (v) => {
      const { entry, version } = v.certificates.import(name, input());
      return ok(v.certificateBundle(entry, version));
    });
  }
  if (second === 'versions' && rest.length === 2 && method === 'GET')
    return certOp('listVersions', 'list', (v) => {
      const { entry } = v.certificates.get(name);
      return ok(page(req, v, entry.versions, (ver) => v.certificateItem(entry, ver, true)));
    });
  if (second === 'policy' && rest.length === 2 && method === 'GET')
    return certOp('getPolicy', 'get', (v) => {
      const { entry, version } = v.certificates.get(name);
      return ok(v.certificatePolicy(entry, version));
    });
  if (
    rest.length <= 2 &&
    method === 'GET' &&
    !['create', 'pending', 'backup', 'restore'].includes(second ?? '')
  )
    return certOp('get', 'get', (v) => {
      const { entry, version } = v.certificates.get(name, second ?? '');
      return ok(v.certificateBundle(entry, version));
    });
  throw notImplemented(`${method} ${req.pathname}`);
}

/** The operation a vault request names, or a KeyVaultError to answer instead. */
export function routeVaultRequest(req: Request): VaultOperation {
  const [collection, ...rest] = req.segments;
  switch (collection) {
    case 'secrets':
      return secretRoute(req, rest);
    case 'deletedsecrets':
      return deletedSecretRoute(req, rest);
    case 'certificates':
      return certificateRoute(req, rest);
    case 'keys':
    case 'deletedkeys':
    case 'deletedcertificates':
    case 'storage':
    case 'rng':
    case 'settings':
      throw notImplemented(`The ${collection} API`);
    default:
      throw unknownRoute(req);
  }
}

function methodNotAllowed(method: string): KeyVaultError {
  return new KeyVaultError(
    405,
    'MethodNotAllowed',
    `The HTTP method ${method} is not allowed on this resource.`,
  );
}

function unknownRoute(req: Request): KeyVaultError {
  return new KeyVaultError(404, 'NotFound', `No Key Vault operation answers ${req.method} ${req.pathname}.`);
}
