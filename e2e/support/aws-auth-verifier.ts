// What moto does not check, checked in front of it: moto takes any key pair and any web-identity
// token while its IAM enforcement is off (turning it on would need every client of moto, the
// tests' own set-up included, to hold IAM users it knows). The CountingProxy asks this verifier
// about each request first and answers a refusal the way AWS does, so "refused credentials" is a
// real refusal for AWS as for OpenBao and Azure:
// - a signed request: the access key must be one registered here (else UnrecognizedClientException,
//   or InvalidClientTokenId for STS), and its SigV4 signature, recomputed with @smithy/signature-v4
//   from the request's signed headers and x-amz-date, must match (else InvalidSignatureException, or
//   SignatureDoesNotMatch for STS);
// - AssumeRoleWithWebIdentity: the token must be a ServiceAccount token of the local API server
//   (signature against its JWKS, issuer KUBE_SERVICE_ACCOUNT_ISSUER, lifetime, audience
//   sts.amazonaws.com) whose subject the role trusts (else InvalidIdentityToken or AccessDenied);
//   the temporary keys moto then hands out are registered, so reads signed with them pass.
// Messages are AWS's own fixed texts; nothing of the request is quoted.
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { createHash, createHmac, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import {
  audiences,
  decodeJwt,
  numberClaim,
  stringClaim,
  verifyRs256,
} from '../backends/azure-keyvault/jwt.js';
import { isObject } from '../backends/azure-keyvault/http.js';
import { requireEnv } from './kube.js';

const bytes = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 and HMAC-SHA256 as the signer asks for them, from node:crypto. */
class Sha256 implements Checksum {
  #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
  reset(): void {}
}

export interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Keys {
  secretAccessKey: string;
  sessionToken?: string;
}

const WEB_IDENTITY_AUDIENCE = 'sts.amazonaws.com';
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/;

export class AwsAuthVerifier {
  readonly #keys = new Map<string, Keys>();
  /** roleArn → the ServiceAccount subjects its trust policy admits. */
  readonly #trust = new Map<string, Set<string>>();
  readonly #kc: k8s.KubeConfig;
  #jwks: Map<string, KeyObject> | undefined;
  /** What was refused, by AWS error code (counts only; never a key or token). */
  readonly refusals: string[] = [];

  constructor(kc: k8s.KubeConfig) {
    this.#kc = kc;
  }

  /** A key pair AWS would know (an IAM user's access key). */
  allowKey(accessKeyId: string, secretAccessKey: string, sessionToken?: string): void {
    this.#keys.set(accessKeyId, { secretAccessKey, ...(sessionToken ? { sessionToken } : {}) });
  }

  /** The role's trust policy admits web-identity tokens of this ServiceAccount. */
  trust(roleArn: string, namespace: string, serviceAccount: string): void {
    const subjects = this.#trust.get(roleArn) ?? new Set<string>();
    subjects.add(`system:serviceaccount:${namespace}:${serviceAccount}`);
    this.#trust.set(roleArn, subjects);
  }

  /** Undefined when the request may go on to moto; else AWS's answer. */
  async check(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<Refusal | undefined> {
    const form = new URLSearchParams(
      String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
        ? body.toString()
        : '',
    );
    if (form.get('Action') === 'AssumeRoleWithWebIdentity') return this.#webIdentity(form);
    const sts = form.has('Action');
    const authorization = headers.authorization;
    const parsed = typeof authorization === 'string' ? AUTHORIZATION.exec(authorization) : null;
    if (!parsed) return this.#refuse(sts, 'MissingAuthenticationToken', 'Missing Authentication Token', 403);
    const [, accessKeyId, , region, service, signedHeaders, signature] = parsed as unknown as string[];
    const keys = this.#keys.get(accessKeyId!);
    if (!keys)
      return sts
        ? this.#refuse(
            true,
            'InvalidClientTokenId',
            'The security token included in the request is invalid.',
            403,
          )
        : this.#refuse(
            false,
            'UnrecognizedClientException',
            'The security token included in the request is invalid.',
            400,
          );
    const expected = await this.#signature(method, url, headers, body, signedHeaders!.split(';'), {
      accessKeyId: accessKeyId!,
      region: region!,
      service: service!,
      ...keys,
    });
    if (expected === signature) return undefined;
    const message =
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
    return sts
      ? this.#refuse(true, 'SignatureDoesNotMatch', message, 403)
      : this.#refuse(false, 'InvalidSignatureException', message, 400);
  }

  /** Registers the temporary keys of a successful AssumeRoleWithWebIdentity answer. */
  learnCredentials(answer: string): void {
    const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(answer)?.[1];
    const accessKeyId = field('AccessKeyId');
    const secretAccessKey = field('SecretAccessKey');
    if (accessKeyId && secretAccessKey) this.allowKey(accessKeyId, secretAccessKey, field('SessionToken'));
  }

  async #signature(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
    signed: readonly string[],
    who: { accessKeyId: string; region: string; service: string } & Keys,
  ): Promise<string> {
    const target = new URL(url, 'http://placeholder');
    const only: Record<string, string> = {};
    for (const name of signed) {
      const value = headers[name];
      if (value !== undefined) only[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const query: Record<string, string> = {};
    target.searchParams.forEach((value, key) => (query[key] = value));
    const amzDate = only['x-amz-date'] ?? '';
    const signingDate = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: who.accessKeyId,
        secretAccessKey: who.secretAccessKey,
        ...(who.sessionToken ? { sessionToken: who.sessionToken } : {}),
      },
      region: who.region,
      service: who.service,
      sha256: Sha256,
      applyChecksum: false,
    });
    const signedRequest = await signer.sign(
      {
        method,
        protocol: 'http:',
        hostname: (only.host ?? '').split(':')[0] ?? '',
        path: target.pathname,
        query,
        headers: only,
        body,
      },
      { signingDate, signableHeaders: new Set(signed), unsignableHeaders: new Set() },
    );
    const header = signedRequest.headers.authorization ?? signedRequest.headers.Authorization ?? '';
    return /Signature=([0-9a-f]+)/.exec(header)?.[1] ?? '';
  }

  async #webIdentity(form: URLSearchParams): Promise<Refusal | undefined> {
    const invalid = () =>
      this.#refuse(
        true,
        'InvalidIdentityToken',
        'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.',
        400,
      );
    const jwt = decodeJwt(form.get('WebIdentityToken') ?? '');
    if (!jwt) return invalid();
    const key = (await this.#keysOfIssuer()).get(typeof jwt.header.kid === 'string' ? jwt.header.kid : '');
    const now = Date.now() / 1000;
    const exp = numberClaim(jwt.payload, 'exp');
    if (
      !key ||
      !verifyRs256(jwt, key) ||
      stringClaim(jwt.payload, 'iss') !== requireEnv('KUBE_SERVICE_ACCOUNT_ISSUER') ||
      exp === undefined ||
      exp <= now ||
      !audiences(jwt.payload).includes(WEB_IDENTITY_AUDIENCE)
    )
      return invalid();
    const subject = stringClaim(jwt.payload, 'sub') ?? '';
    if (!this.#trust.get(form.get('RoleArn') ?? '')?.has(subject))
      return this.#refuse(
        true,
        'AccessDenied',
        'Not authorized to perform sts:AssumeRoleWithWebIdentity',
        403,
      );
    return undefined;
  }

  #refuse(sts: boolean, code: string, message: string, status: number): Refusal {
    this.refusals.push(code);
    if (sts)
      return {
        status,
        headers: { 'content-type': 'text/xml' },
        body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>e2e-verifier</RequestId></ErrorResponse>`,
      };
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code },
      body: JSON.stringify({ __type: code, message }),
    };
  }

  /** The API server's ServiceAccount signing keys (its JWKS), fetched once as the admin. */
  async #keysOfIssuer(): Promise<Map<string, KeyObject>> {
    if (this.#jwks) return this.#jwks;
    const options: import('node:https').RequestOptions = {};
    await this.#kc.applyToHTTPSOptions(options);
    const jwks = await new Promise<unknown>((resolve, reject) => {
      const req = request(new URL('/openid/v1/jwks', requireEnv('KUBE_API_URL')), options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    const keys = new Map<string, KeyObject>();
    if (isObject(jwks) && Array.isArray(jwks.keys))
      for (const jwk of jwks.keys)
        if (isObject(jwk) && typeof jwk.kid === 'string')
          keys.set(jwk.kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
    this.#jwks = keys;
    return keys;
  }
}
