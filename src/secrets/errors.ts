// Errors raised while building a Secret's content. Each carries the reason the
// SecretSource's Ready condition shows. Messages name keys, fields, templates
// and lines, never a value: they reach status, Events and logs.

export type SecretContentReason = 'InvalidSpec' | 'InvalidTemplate';

export abstract class SecretContentError extends Error {
  abstract readonly reason: SecretContentReason;
}

/** The spec, or what was fetched for it, cannot make a valid Secret. */
export class SecretSpecError extends SecretContentError {
  readonly reason = 'InvalidSpec';
  override readonly name = 'SecretSpecError';
}

/** A template does not parse or does not render. */
export class SecretTemplateError extends SecretContentError {
  readonly reason = 'InvalidTemplate';
  override readonly name = 'SecretTemplateError';
  constructor(
    message: string,
    /** Where the template sits, e.g. `target.template.data["dsn"]`. */
    readonly template?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}
