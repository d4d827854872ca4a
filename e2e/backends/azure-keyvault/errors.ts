// The two error shapes the real services answer with. Key Vault's data plane
// answers `{"error":{"code","message","innererror"?}}`; Entra ID's token
// endpoint answers OAuth 2.0 errors with an AADSTS number in the description.
import { randomUUID } from 'node:crypto';

export class KeyVaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string; innererror?: { code: string } } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode ? { innererror: { code: this.innerCode } } : {}),
      },
    };
  }
}

export const badParameter = (message: string): KeyVaultError =>
  new KeyVaultError(400, 'BadParameter', message);

export const forbidden = (message: string, innerCode: string): KeyVaultError =>
  new KeyVaultError(403, 'Forbidden', message, innerCode);

export const secretNotFound = (what: string): KeyVaultError =>
  new KeyVaultError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`,
  );

export const deletedSecretNotFound = (name: string): KeyVaultError =>
  new KeyVaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);

export const certificateNotFound = (what: string): KeyVaultError =>
  new KeyVaultError(
    404,
    'CertificateNotFound',
    `A certificate with (name/id) ${what} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command.`,
  );

/** A route the real API has but this test server does not implement: says so, instead of pretending. */
export const notImplemented = (what: string): KeyVaultError =>
  new KeyVaultError(501, 'NotImplemented', `${what} is not implemented by the Key Vault test server.`);

/** An Entra ID (AADSTS) error as the v2.0 token endpoint returns it. */
export class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    description: string,
  ) {
    super(description);
  }

  body(now: Date): Record<string, unknown> {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = now
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    return {
      error: this.error,
      error_description: `AADSTS${this.aadsts}: ${this.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [this.aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${this.aadsts}`,
    };
  }
}
