// The bench's setup calls to OpenBao with the root token: policies, tokens, KV v2 secrets.
// Errors name the method and path only, never a body (it may hold a value or a token).
export class OpenBaoAdmin {
  readonly #address: string;
  readonly #token: string;

  constructor(address: string, token: string) {
    this.#address = address;
    this.#token = token;
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

  /** Writes a KV v2 secret on the `secret/` mount. */
  putKv(path: string, data: Record<string, string>): Promise<unknown> {
    return this.request('POST', `secret/data/${path}`, { data });
  }

  /** Deletes every version and the metadata of a KV v2 secret. */
  deleteKv(path: string): Promise<unknown> {
    return this.request('DELETE', `secret/metadata/${path}`);
  }
}
