// Renders spec.target.template (data, labels, annotations, and templates from
// a ConfigMap) and the dockerConfig fields with the fetched values.
//
// The engine is LiquidJS: an interpreter (templates never become JavaScript,
// unlike Handlebars, whose compiler emits code and whose sandbox escapes were
// prototype-pollution CVEs), with own-property-only lookups, parse, render-time
// and memory limits, and no file or network access once its partial tags are
// removed. Its syntax accepts the Go-template habit `{{ .password }}` used in
// the CRD's own descriptions, so ESO users' templates mostly carry over.
// Nothing here reads the clock, the environment or random numbers: the same
// values render the same bytes, or the content hash would change every refresh.
import { Context, Liquid, LiquidError } from 'liquidjs';
import { strictBase64 } from './decoding.js';
import { SecretContentError, SecretTemplateError } from './errors.js';
import { quoteKey } from './keys.js';
import {
  RenderBudget,
  RenderBudgetExceeded,
  RENDER_BUDGET_MS,
  RENDER_MEMORY_BUDGET,
} from './render-budget.js';
import { RenderCache, renderCache } from './render-cache.js';
import {
  certificatesPem,
  isPrivateKeyLabel,
  orderCertificates,
  parseCertificates,
  parsePem,
  toPem,
} from './pem.js';

export { RENDER_BUDGET_MS, RENDER_MEMORY_BUDGET, RenderBudget } from './render-budget.js';
export { RenderCache } from './render-cache.js';

/** Longest template accepted, in characters (a ConfigMap holds at most 1 MiB). */
export const MAX_TEMPLATE_LENGTH = 1024 * 1024;

/** A helper's refusal; its message names the helper and never the value. */
export class TemplateHelperError extends Error {
  override readonly name = 'TemplateHelperError';
}

/**
 * A fetched value (or a b64dec result) that is not UTF-8 text. Templates can
 * pass it through whole (`{{ .keystore }}` as the entire template) or encode
 * it (b64enc, b64urlenc); any other use is refused instead of corrupting it.
 * The bytes sit in a private field, out of the engine's reach.
 */
export class BinaryValue {
  readonly #bytes: Buffer;
  readonly #label: string;
  constructor(bytes: Buffer, label: string) {
    this.#bytes = bytes;
    this.#label = label;
  }
  bytes(): Buffer {
    return this.#bytes;
  }
  refuse(use: string): never {
    throw new TemplateHelperError(
      `${this.#label} is binary (not UTF-8); ${use} cannot use it: pass it whole, or encode it with b64enc`,
    );
  }
  toString(): string {
    return this.refuse('text output');
  }
  valueOf(): never {
    return this.refuse('text output');
  }
  toJSON(): never {
    return this.refuse('toJson');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function textOrBinary(bytes: Buffer, label: string): string | BinaryValue {
  try {
    return utf8.decode(bytes);
  } catch {
    return new BinaryValue(bytes, label);
  }
}

function text(value: unknown, helper: string): string {
  if (value instanceof BinaryValue) value.refuse(helper);
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateHelperError(`${helper} needs text, not a list or an object`);
}

const bytesOf = (value: unknown, helper: string): Buffer =>
  value instanceof BinaryValue ? value.bytes() : Buffer.from(text(value, helper), 'utf8');

function decodeBase64(
  value: unknown,
  alphabet: 'Base64' | 'Base64URL',
  helper: string,
): string | BinaryValue {
  const decoded = strictBase64(text(value, helper).replace(/[\t\n\r ]/g, ''), alphabet);
  if (decoded === undefined)
    throw new TemplateHelperError(
      `${helper}: the input is not valid ${alphabet === 'Base64' ? 'base64' : 'base64url'}`,
    );
  return textOrBinary(decoded, `the output of ${helper}`);
}

/** PEM helpers report malformed input as their own failure, naming the helper. */
function pemHelper(helper: string, pick: (pem: string) => string): (value: unknown) => string {
  return (value) => {
    try {
      return pick(text(value, helper));
    } catch (error) {
      if (error instanceof SecretContentError) throw new TemplateHelperError(error.message);
      throw error;
    }
  };
}

const HELPERS: Readonly<Record<string, (value: unknown, ...args: unknown[]) => unknown>> = {
  b64enc: (value) => bytesOf(value, 'b64enc').toString('base64'),
  b64dec: (value) => decodeBase64(value, 'Base64', 'b64dec'),
  b64urlenc: (value) => bytesOf(value, 'b64urlenc').toString('base64url'),
  b64urldec: (value) => decodeBase64(value, 'Base64URL', 'b64urldec'),
  fromJson: (value) => {
    try {
      return JSON.parse(text(value, 'fromJson')) as unknown;
    } catch (error) {
      if (error instanceof TemplateHelperError) throw error;
      // JSON.parse quotes its input in its message.
      throw new TemplateHelperError('fromJson: the input is not valid JSON');
    }
  },
  toJson: (value) => {
    if (value instanceof BinaryValue) value.refuse('toJson');
    return JSON.stringify(value) ?? 'null';
  },
  lower: (value) => text(value, 'lower').toLowerCase(),
  upper: (value) => text(value, 'upper').toUpperCase(),
  trim: (value) => text(value, 'trim').trim(),
  pemLeaf: pemHelper('pemLeaf', (pem) => {
    const ordered = orderCertificates(parseCertificates(pem, 'pemLeaf'));
    if (!ordered) throw new TemplateHelperError('pemLeaf: the input holds no certificate');
    return certificatesPem([ordered.leaf]);
  }),
  pemChain: pemHelper('pemChain', (pem) => {
    const ordered = orderCertificates(parseCertificates(pem, 'pemChain'));
    return ordered ? certificatesPem([...ordered.chain, ...ordered.roots]) : '';
  }),
  pemKey: pemHelper('pemKey', (pem) => {
    const keys = parsePem(pem, 'pemKey').filter((block) => isPrivateKeyLabel(block.label));
    if (keys.length === 0) throw new TemplateHelperError('pemKey: the input holds no private key');
    return keys.map((block) => toPem(block.label, block.der)).join('');
  }),
};
/** LiquidJS spellings of our helpers, so both read the same values the same way. */
const ALIASES: Readonly<Record<string, string>> = {
  base64_encode: 'b64enc',
  base64_decode: 'b64dec',
  base64url_encode: 'b64urlenc',
  base64url_decode: 'b64urldec',
  json: 'toJson',
  jsonify: 'toJson',
};
/** Built-ins that read the clock or random numbers, or reach templates outside this one. */
const REMOVED_FILTERS = [
  'date',
  'date_to_xmlschema',
  'date_to_rfc822',
  'date_to_string',
  'date_to_long_string',
  'sample',
];
const REMOVED_TAGS = ['include', 'render', 'layout', 'block'];

function createEngine(): Liquid {
  const engine = new Liquid({
    strictVariables: true,
    strictFilters: true,
    // Lets `{{ missing | default: "x" }}` render "x" while strictVariables catches typos elsewhere.
    lenientIf: true,
    ownPropertyOnly: true,
    // An in-memory, empty template store: no lookup ever reaches the file system.
    templates: {},
    globals: {},
    parseLimit: MAX_TEMPLATE_LENGTH,
    // Every render gets a Context with the build's RenderBudget instead; these are the backstop.
    renderLimit: RENDER_BUDGET_MS,
    memoryLimit: RENDER_MEMORY_BUDGET,
  });
  for (const tag of REMOVED_TAGS) delete engine.tags[tag];
  for (const filter of REMOVED_FILTERS) delete engine.filters[filter];
  for (const [name, helper] of Object.entries(HELPERS)) engine.registerFilter(name, helper);
  for (const [alias, name] of Object.entries(ALIASES)) engine.registerFilter(alias, HELPERS[name]!);
  return engine;
}

const engine = createEngine();
const WHOLE_EXPRESSION = /^\{\{-?((?:(?!\{\{|\}\}|\{%)[\s\S])*?)-?\}\}$/;

export interface TemplateRendererOptions {
  /** What this build may spend on rendering; a fresh RenderBudget by default. */
  budget?: RenderBudget;
  /** Rendered results of earlier builds; the process-wide cache by default, null for none. */
  cache?: RenderCache | null;
}

/** Renders the templates of one Secret build; all of them draw on one RenderBudget. */
export class TemplateRenderer {
  readonly #values: ReadonlyMap<string, Buffer>;
  readonly #scope: Record<string, string | BinaryValue>;
  readonly #budget: RenderBudget;
  readonly #cache: RenderCache | null;
  #valuesDigest: string | undefined;

  /** `values`: the fetched, decoded values, by key. */
  constructor(values: ReadonlyMap<string, Buffer>, options: TemplateRendererOptions = {}) {
    this.#values = values;
    // No prototype: `{{ constructor }}` and friends find nothing.
    this.#scope = Object.create(null) as Record<string, string | BinaryValue>;
    for (const [key, value] of values) this.#scope[key] = textOrBinary(value, `key ${quoteKey(key)}`);
    this.#budget = options.budget ?? new RenderBudget();
    this.#cache = options.cache === undefined ? renderCache : options.cache;
  }

  /** The bytes a data template renders to. `where` names it in errors, e.g. `target.template.data["dsn"]`. */
  renderData(source: string, where: string): Buffer {
    checkLength(source, where);
    return this.#cached('data', source, () => {
      // A template that is one expression may yield binary bytes unchanged (keystores, DER).
      const whole = WHOLE_EXPRESSION.exec(source);
      if (whole) {
        let value: unknown;
        try {
          value = this.#budget.run(where, () =>
            engine.evalValueSync(whole[1]!, this.#context({ probe: true })),
          );
        } catch (error) {
          if (error instanceof SecretTemplateError) throw error;
          if (budgetSpent(error)) throw templateError(error, where);
          // Otherwise rendered below, whose errors carry the line and column.
        }
        if (value instanceof BinaryValue) return value.bytes();
      }
      return Buffer.from(this.#render(source, where), 'utf8');
    });
  }

  /** The text a template renders to (labels, annotations, dockerConfig fields). */
  renderText(source: string, where: string): string {
    checkLength(source, where);
    return this.#cached('text', source, () => this.#render(source, where));
  }

  #render(source: string, where: string): string {
    try {
      return this.#budget.run(
        where,
        () => engine.parseAndRenderSync(source, this.#context()) as unknown as string,
      );
    } catch (error) {
      if (error instanceof SecretTemplateError) throw error;
      throw templateError(error, where);
    }
  }

  /** A LiquidJS context over the values that charges this build's budget. */
  #context(options: { probe?: boolean } = {}): Context {
    // LiquidJS types its limiters as its own (unexported) class; ours have the same two methods.
    const limiters = this.#budget.limiters(options) as unknown as Pick<
      Context,
      'renderLimit' | 'memoryLimit'
    >;
    return new Context(this.#scope, engine.options, { sync: true }, { ...limiters, liquid: engine });
  }

  /** Rendering is deterministic (no clock, no randomness): same template and values, same bytes. */
  #cached<T extends Buffer | string>(kind: 'data' | 'text', source: string, render: () => T): T {
    if (!this.#cache) return render();
    this.#valuesDigest ??= RenderCache.digestValues(this.#values);
    const key = RenderCache.key(kind, source, this.#valuesDigest);
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit as T;
    const rendered = render();
    this.#cache.set(key, rendered);
    return (typeof rendered === 'string' ? rendered : Buffer.from(rendered)) as T;
  }
}

/**
 * Checks a template without rendering it: length, syntax, tags and filters, on the same engine the
 * operator renders with (for `secretsource validate`). Throws SecretTemplateError naming `where`.
 */
export function checkTemplateSyntax(source: string, where: string): void {
  checkLength(source, where);
  try {
    engine.parse(source);
  } catch (error) {
    throw templateError(error, where);
  }
}

const budgetSpent = (error: unknown): boolean => {
  for (let cause = error; cause; cause = (cause as LiquidError).originalError) {
    if (cause instanceof RenderBudgetExceeded) return true;
    if (!(cause instanceof LiquidError)) return false;
  }
  return false;
};

function checkLength(source: string, where: string): void {
  if (source.length > MAX_TEMPLATE_LENGTH) {
    throw new SecretTemplateError(
      `${where}: the template is longer than ${MAX_TEMPLATE_LENGTH} characters`,
      where,
    );
  }
}

/** Errors LiquidJS raises about the template itself; their messages hold template text, never values. */
const LIQUID_OWN_ERRORS = new Set(['AssertionError', 'InternalUndefinedVariableError']);

/** A SecretTemplateError naming the template and line; the detail never carries a value. */
function templateError(error: unknown, where: string): SecretTemplateError {
  // LiquidJS wraps the real failure (a helper's, a limit's) in RenderErrors; the innermost knows the line.
  let innermost: LiquidError | undefined;
  let cause: unknown = error;
  let position: [number, number] | undefined;
  while (cause instanceof LiquidError) {
    innermost = cause;
    position = positionOf(cause) ?? position;
    const inner: unknown = cause.originalError ?? (cause as { errors?: unknown[] }).errors?.[0];
    cause = inner === cause ? undefined : inner;
  }
  let detail: string;
  if (cause instanceof TemplateHelperError || cause instanceof RenderBudgetExceeded) detail = cause.message;
  else if (
    innermost &&
    (cause === undefined || (cause instanceof Error && LIQUID_OWN_ERRORS.has(cause.name)))
  ) {
    detail = stripPosition(innermost.message);
  } else detail = `rendering failed (${cause instanceof Error ? cause.name : 'unknown error'})`;
  const at = position ? ` line ${position[0]}, column ${position[1]}` : '';
  return new SecretTemplateError(`${where}${at}: ${detail}`, where, position?.[0]);
}

function positionOf(error: LiquidError): [number, number] | undefined {
  const position = (error.token as { getPosition?: () => number[] } | undefined)?.getPosition?.();
  return position && position.length >= 2 ? [position[0]!, position[1]!] : undefined;
}

/** LiquidJS appends ", line:1, col:4" (we report it ourselves). */
const stripPosition = (message: string): string => message.replace(/, line:\d+, col:\d+$/, '');
