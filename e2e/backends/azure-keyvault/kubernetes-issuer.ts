// Verifies Kubernetes ServiceAccount tokens presented as client assertions the
// way Entra ID verifies a federated credential's token: it reads the issuer's
// OpenID discovery document and JWKS (here from the local API server, which
// serves them at /.well-known/openid-configuration and /openid/v1/jwks), then
// checks signature, issuer and lifetime. The issuer URL itself
// (https://kubernetes.default.svc.cluster.local) is not reachable from here,
// so the keys are fetched from the API server's own address.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { isObject } from './http.js';
import { decodeJwt, numberClaim, stringClaim, verifyRs256, audiences, type DecodedJwt } from './jwt.js';

export interface KubernetesIssuerOptions {
  readonly issuer: string;
  readonly apiUrl: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Refetch the JWKS for an unknown `kid` at most this often (key rotation, not a per-request fetch). */
const REFRESH_INTERVAL_MS = 10_000;

export type AssertionCheck =
  | { ok: true; issuer: string; subject: string; audiences: string[] }
  | { ok: false; reason: 'malformed' | 'unknown-issuer' | 'signature' | 'expired'; issuer?: string };

export class KubernetesIssuer {
  #keys = new Map<string, KeyObject>();
  #lastFetch = 0;

  constructor(private readonly options: KubernetesIssuerOptions) {}

  get issuer(): string {
    return this.options.issuer;
  }

  /** Fetches the discovery document and keys; fails when the API server names another issuer. */
  async refresh(): Promise<void> {
    this.#lastFetch = Date.now();
    const discovery = await this.#get('/.well-known/openid-configuration');
    if (!isObject(discovery) || discovery.issuer !== this.options.issuer)
      throw new Error(
        `the API server's issuer is ${isObject(discovery) ? String(discovery.issuer) : '?'}, not ${this.options.issuer}`,
      );
    const jwks = await this.#get('/openid/v1/jwks');
    const keys = new Map<string, KeyObject>();
    if (isObject(jwks) && Array.isArray(jwks.keys))
      for (const jwk of jwks.keys)
        if (isObject(jwk) && typeof jwk.kid === 'string')
          keys.set(jwk.kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
    if (keys.size === 0) throw new Error('the API server served no ServiceAccount signing keys');
    this.#keys = keys;
  }

  async check(token: string, nowSeconds: number): Promise<AssertionCheck> {
    const jwt = decodeJwt(token);
    if (!jwt) return { ok: false, reason: 'malformed' };
    const issuer = stringClaim(jwt.payload, 'iss');
    if (issuer !== this.options.issuer)
      return { ok: false, reason: 'unknown-issuer', ...(issuer ? { issuer } : {}) };
    const key = await this.#key(jwt);
    if (!key || !verifyRs256(jwt, key)) return { ok: false, reason: 'signature', issuer };
    const exp = numberClaim(jwt.payload, 'exp');
    const nbf = numberClaim(jwt.payload, 'nbf');
    if (exp === undefined || exp <= nowSeconds || (nbf !== undefined && nbf > nowSeconds + 60))
      return { ok: false, reason: 'expired', issuer };
    return {
      ok: true,
      issuer,
      subject: stringClaim(jwt.payload, 'sub') ?? '',
      audiences: audiences(jwt.payload),
    };
  }

  async #key(jwt: DecodedJwt): Promise<KeyObject | undefined> {
    const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid : '';
    if (!this.#keys.has(kid) && Date.now() - this.#lastFetch > REFRESH_INTERVAL_MS)
      await this.refresh().catch(() => undefined);
    return this.#keys.get(kid);
  }

  #get(path: string): Promise<unknown> {
    const { apiUrl, caFile, certFile, keyFile } = this.options;
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, apiUrl),
        {
          ca: readFileSync(caFile),
          cert: readFileSync(certFile),
          key: readFileSync(keyFile),
          headers: { accept: 'application/json, application/jwk-set+json' },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`GET ${path}: HTTP ${res.statusCode}`));
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
      req.on('error', reject);
      req.end();
    });
  }
}
