// Setup calls to an OpenBao server with an admin (root) token, for the e2e tests and the bench:
// policies, tokens, KV v2 secrets, auth mounts. Errors name the method and path only, never a
// body (it may hold a value or a token).
import { requireEnv } from './kube.js';

export class OpenBaoAdmin {
  readonly #address: string;
  readonly #token: string;

  constructor(address: string, token: string) {
    this.#address = address;
    this.#token = token;
  }

  /** The shared dev server of `make dev-up` (VAULT_ADDR), with its root token (VAULT_TOKEN). */
  static fromEnv(): OpenBaoAdmin {
    return new OpenBaoAdmin(requireEnv('VAULT_ADDR'), requireEnv('VAULT_TOKEN'));
  }

  async request(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.#address}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': this.#token, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`OpenBao ${method} ${path}: HTTP ${response.status}`);
    const text = await response.text();
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  }

  putPolicy(name: string, rules: string): Promise<unknown> {
    return this.request('PUT', `sys/policies/acl/${name}`, { policy: rules });
  }

  deletePolicy(name: string): Promise<unknown> {
    return this.request('DELETE', `sys/policies/acl/${name}`);
  }

  /** A child token with `policies` plus `default` (token auth needs lookup-self and renew-self). */
  async createToken(policies: string[], ttl: string): Promise<string> {
    const created = await this.request('POST', 'auth/token/create', { policies, ttl });
    return (created.auth as { client_token: string }).client_token;
  }

  revokeToken(token: string): Promise<unknown> {
    return this.request('POST', 'auth/token/revoke', { token });
  }

  /** Writes a KV v2 secret on the `secret/` mount; returns `path`, as a SecretSource refers to it. */
  async putKv(path: string, data: Record<string, string>): Promise<string> {
    await this.request('POST', `secret/data/${path}`, { data });
    return path;
  }

  /** Deletes every version and the metadata of a KV v2 secret. */
  deleteKv(path: string): Promise<unknown> {
    return this.request('DELETE', `secret/metadata/${path}`);
  }
}
