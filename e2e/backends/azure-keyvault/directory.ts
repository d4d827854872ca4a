// The identities the test server knows: Entra ID applications (client secret
// and/or federated credentials), managed identities, and what each may do in
// which vault (Key Vault access-policy permissions). Tests add identities at
// run time through the admin API, so each test can make its own tenant's apps.
import { randomUUID } from 'node:crypto';
import { isObject } from './http.js';

export const SECRET_PERMISSIONS = ['get', 'list', 'set', 'delete', 'recover', 'purge'] as const;
export const CERTIFICATE_PERMISSIONS = ['get', 'list', 'import', 'delete', 'update'] as const;
export type SecretPermission = (typeof SECRET_PERMISSIONS)[number];
export type CertificatePermission = (typeof CERTIFICATE_PERMISSIONS)[number];

export interface FederatedCredential {
  readonly issuer: string;
  /** e.g. `system:serviceaccount:<namespace>:<name>`; matched case-sensitively, as Entra does. */
  readonly subject: string;
  readonly audiences: readonly string[];
}

export interface Client {
  readonly tenantId: string;
  readonly clientId: string;
  /** The service principal's object id (the `oid` claim). */
  readonly objectId: string;
  readonly secrets: readonly string[];
  readonly federatedCredentials: readonly FederatedCredential[];
  /** "system": what IMDS answers without a client_id; "user": selected by client_id. */
  readonly managedIdentity?: 'system' | 'user';
  readonly secretPermissions: ReadonlySet<SecretPermission>;
  readonly certificatePermissions: ReadonlySet<CertificatePermission>;
  /** Vault names this client has an access policy in; undefined = every vault. */
  readonly vaults?: readonly string[];
}

export class DirectoryInputError extends Error {}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new DirectoryInputError(`${field} must be an array of strings`);
  return value;
}

function permissionSet<P extends string>(value: unknown, allowed: readonly P[], field: string): Set<P> {
  const list = stringList(value, field).map((p) => p.toLowerCase());
  if (list.includes('all')) return new Set(allowed);
  for (const p of list)
    if (!(allowed as readonly string[]).includes(p))
      throw new DirectoryInputError(
        `${field}: unknown permission "${p}" (allowed: ${allowed.join(', ')}, all)`,
      );
  return new Set(list as P[]);
}

/** Parses a client definition from the config file or the admin API. */
export function parseClient(input: unknown): Client {
  if (!isObject(input)) throw new DirectoryInputError('a client must be an object');
  const { tenantId, clientId, objectId, managedIdentity } = input;
  if (typeof tenantId !== 'string' || !tenantId) throw new DirectoryInputError('client.tenantId is required');
  if (typeof clientId !== 'string' || !clientId) throw new DirectoryInputError('client.clientId is required');
  if (objectId !== undefined && typeof objectId !== 'string')
    throw new DirectoryInputError('client.objectId must be a string');
  if (managedIdentity !== undefined && managedIdentity !== 'system' && managedIdentity !== 'user')
    throw new DirectoryInputError('client.managedIdentity must be "system" or "user"');
  const federated = input.federatedCredentials ?? [];
  if (!Array.isArray(federated))
    throw new DirectoryInputError('client.federatedCredentials must be an array');
  const federatedCredentials = federated.map((f, i): FederatedCredential => {
    if (!isObject(f) || typeof f.issuer !== 'string' || typeof f.subject !== 'string')
      throw new DirectoryInputError(`client.federatedCredentials[${i}] needs issuer and subject`);
    const aud = stringList(f.audiences, `client.federatedCredentials[${i}].audiences`);
    return {
      issuer: f.issuer,
      subject: f.subject,
      audiences: aud.length ? aud : ['api://AzureADTokenExchange'],
    };
  });
  const permissions = isObject(input.permissions) ? input.permissions : {};
  const vaults = input.vaults === undefined ? undefined : stringList(input.vaults, 'client.vaults');
  return {
    tenantId,
    clientId,
    objectId: typeof objectId === 'string' && objectId ? objectId : randomUUID(),
    secrets: stringList(input.secrets, 'client.secrets'),
    federatedCredentials,
    ...(managedIdentity ? { managedIdentity } : {}),
    secretPermissions: permissionSet(permissions.secrets, SECRET_PERMISSIONS, 'permissions.secrets'),
    certificatePermissions: permissionSet(
      permissions.certificates,
      CERTIFICATE_PERMISSIONS,
      'permissions.certificates',
    ),
    ...(vaults ? { vaults: vaults.map((v) => v.toLowerCase()) } : {}),
  };
}

export class Directory {
  readonly #tenants = new Set<string>();
  readonly #clients = new Map<string, Client>();

  constructor(tenants: readonly string[], clients: readonly Client[]) {
    for (const t of tenants) this.#tenants.add(t.toLowerCase());
    for (const c of clients) this.putClient(c);
  }

  hasTenant(tenantId: string): boolean {
    return this.#tenants.has(tenantId.toLowerCase());
  }

  addTenant(tenantId: string): void {
    this.#tenants.add(tenantId.toLowerCase());
  }

  /** Client ids are GUIDs in Entra and compared case-insensitively. */
  client(clientId: string): Client | undefined {
    return this.#clients.get(clientId.toLowerCase());
  }

  putClient(client: Client): void {
    this.#tenants.add(client.tenantId.toLowerCase());
    this.#clients.set(client.clientId.toLowerCase(), client);
  }

  deleteClient(clientId: string): boolean {
    return this.#clients.delete(clientId.toLowerCase());
  }

  managedIdentityByObjectId(objectId: string): Client | undefined {
    return [...this.#clients.values()].find(
      (c) => c.managedIdentity && c.objectId.toLowerCase() === objectId.toLowerCase(),
    );
  }

  /** The system-assigned managed identity, if one is configured. */
  systemManagedIdentity(): Client | undefined {
    return [...this.#clients.values()].find((c) => c.managedIdentity === 'system');
  }
}
