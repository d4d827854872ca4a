// Access tokens: the server is its own Entra ID, so it signs the tokens it
// issues (RS256, a key made at start) and checks them on every data-plane
// request as Key Vault does: signature, issuer (the vault's tenant), audience,
// lifetime. The AKV numbers used are the ones the real service is known to
// answer with (10000, 10022, 10032, 10046); other messages carry none.
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { Client } from './directory.js';
import { audiences, decodeJwt, numberClaim, signRs256, stringClaim, verifyRs256 } from './jwt.js';

/** Tolerance for clock differences on exp/nbf, as token validators allow (Key Vault: minutes). */
const CLOCK_SKEW_SECONDS = 60;

export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly expiresOn: number;
  readonly notBefore: number;
}

/** What a verified token says about its caller. */
export interface TokenSubject {
  readonly tenantId: string;
  readonly clientId: string;
  readonly objectId: string;
}

export type Verification = { ok: true; subject: TokenSubject } | { ok: false; message: string };

/** How the client proved itself: `appidacr` 1 = client secret, 2 = certificate or assertion, 0 = managed identity. */
export type AuthMethod = 'secret' | 'assertion' | 'managed-identity';

export class TokenService {
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  readonly keyId = randomUUID().replaceAll('-', '');

  constructor(
    private readonly loginBaseUrl: string,
    private readonly lifetimeSeconds: number,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = pair.privateKey;
    this.#publicKey = pair.publicKey;
  }

  issuer(tenantId: string): string {
    return `${this.loginBaseUrl}/${tenantId}/v2.0`;
  }

  /** The signing key as a JWK set (served at /{tenant}/discovery/v2.0/keys). */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.#publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.keyId, use: 'sig', alg: 'RS256', kty: 'RSA' }] };
  }

  issue(client: Client, resource: string, method: AuthMethod): IssuedToken {
    return this.mint({
      tenantId: client.tenantId,
      clientId: client.clientId,
      objectId: client.objectId,
      audience: resource,
      method,
    });
  }

  /** Signs a token with arbitrary claims; the admin API uses it for negative tests (wrong audience, expired). */
  mint(options: {
    tenantId: string;
    clientId: string;
    objectId?: string;
    audience: string;
    method?: AuthMethod;
    expiresInSeconds?: number;
    notBeforeOffsetSeconds?: number;
    issuer?: string;
  }): IssuedToken {
    const now = this.now();
    const expiresIn = options.expiresInSeconds ?? this.lifetimeSeconds;
    const nbf = now + (options.notBeforeOffsetSeconds ?? 0);
    const exp = now + expiresIn;
    const acr = { secret: '1', assertion: '2', 'managed-identity': '2' }[options.method ?? 'secret'];
    const objectId = options.objectId ?? randomUUID();
    const payload = {
      aud: options.audience,
      iss: options.issuer ?? this.issuer(options.tenantId),
      iat: now,
      nbf,
      exp,
      appid: options.clientId,
      appidacr: acr,
      azp: options.clientId,
      azpacr: acr,
      idp: this.issuer(options.tenantId),
      oid: objectId,
      sub: objectId,
      tid: options.tenantId,
      uti: randomUUID().replaceAll('-', ''),
      ver: '2.0',
    };
    return {
      accessToken: signRs256({ kid: this.keyId }, payload, this.#privateKey),
      expiresIn,
      expiresOn: exp,
      notBefore: nbf,
    };
  }

  /** Checks a bearer token for a vault of `tenantId` whose resource is `resource`. */
  verify(token: string, tenantId: string, resource: string): Verification {
    const jwt = decodeJwt(token);
    if (!jwt) return { ok: false, message: 'Bearer token is malformed.' };
    if (jwt.header.kid !== this.keyId || !verifyRs256(jwt, this.#publicKey))
      return {
        ok: false,
        message: `AKV10046: Unable to resolve the key used for signature validation.`,
      };
    const iss = stringClaim(jwt.payload, 'iss');
    if (iss !== this.issuer(tenantId))
      return {
        ok: false,
        message: `AKV10032: Invalid issuer. Expected one of ${this.issuer(tenantId)}, found ${iss ?? '(none)'}.`,
      };
    const aud = audiences(jwt.payload);
    if (!aud.includes(resource))
      return {
        ok: false,
        message: `AKV10022: Invalid audience. Expected ${resource}, found: ${aud.join(', ') || '(none)'}.`,
      };
    const now = this.now();
    const exp = numberClaim(jwt.payload, 'exp');
    if (exp === undefined || exp + CLOCK_SKEW_SECONDS <= now)
      return { ok: false, message: 'Token is expired.' };
    const nbf = numberClaim(jwt.payload, 'nbf');
    if (nbf !== undefined && nbf - CLOCK_SKEW_SECONDS > now)
      return { ok: false, message: 'Token is not yet valid.' };
    const clientId = stringClaim(jwt.payload, 'appid') ?? stringClaim(jwt.payload, 'azp');
    const objectId = stringClaim(jwt.payload, 'oid');
    if (!clientId || !objectId) return { ok: false, message: 'Token has no appid or oid claim.' };
    return { ok: true, subject: { tenantId, clientId, objectId } };
  }
}
