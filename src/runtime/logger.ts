// Structured JSON logs on stdout. Secret values must never reach a log line, so three layers apply:
// a deep sanitiser over every logged object (sensitive keys, binary data, errors), pino's path
// redaction as a second net, and an error serialiser that keeps only fields known to be safe.
import { hostname } from 'node:os';
import { pino, type DestinationStream, type LevelWithSilent, type LogFn, type Logger } from 'pino';

export type { Logger };
export type LogLevel = LevelWithSilent;
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const REDACTED = '[REDACTED]';

export interface CreateLoggerOptions {
  level?: LogLevel;
  name?: string;
  /** Where lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: DestinationStream;
}

// Keys whose value is redacted wherever they appear, compared lower-cased without '-' and '_'.
const SENSITIVE_KEYS = new Set([
  'data',
  'stringdata',
  'binarydata',
  'value',
  'values',
  'secretstring',
  'secretbinary',
  'authorization',
  'proxyauthorization',
  'xvaulttoken',
  'cookie',
  'setcookie',
  'secretid',
  'secretaccesskey',
  'kubectl.kubernetes.io/lastappliedconfiguration', // a Secret's full data, when applied with kubectl
]);
// Keys redacted when they end in one of these ("password", "dbPassword", "clientSecret", "vaultToken").
const SENSITIVE_SUFFIXES = ['password', 'passwd', 'secret', 'token', 'apikey', 'privatekey', 'credentials'];

const PATH_KEYS = [
  'data',
  'stringData',
  'binaryData',
  'value',
  'token',
  'password',
  'secret',
  'clientSecret',
  'secretAccessKey',
  'sessionToken',
  'secretId',
  'SecretString',
  'SecretBinary',
];
const HEADER_KEYS = ['authorization', 'cookie', 'set-cookie', '"x-vault-token"'].map((key) =>
  key.startsWith('"') ? `[${key}]` : `.${key}`,
);

/** pino redaction paths: the second net behind the sanitiser, for the shapes we know. */
export const REDACT_PATHS: readonly string[] = [
  ...PATH_KEYS.flatMap((key) => [key, `*.${key}`]),
  ...HEADER_KEYS.flatMap((key) => [`headers${key}`, `*.headers${key}`]),
  'err.config',
  'err.request',
  'err.response',
  'error.config',
  'error.request',
  'error.response',
];

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const { level = 'info', name, destination } = options;
  return pino(
    {
      level,
      // `logger`, not pino's `name`, so it does not collide with the object name in `{namespace, name}`.
      base: { pid: process.pid, hostname: hostname(), ...(name === undefined ? {} : { logger: name }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      serializers: { err: serializeError, error: serializeError },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => sanitizeRecord(bindings),
        log: (object) => sanitizeRecord(object),
      },
      hooks: { logMethod: safeErrorMessages },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

export interface SerializedError {
  name: string;
  message: string;
  reason?: string;
  code?: string | number;
  statusCode?: number;
  stack?: string;
  cause?: SerializedError;
  errors?: SerializedError[];
}

const MAX_MESSAGE_LENGTH = 1_000;
const MAX_ERROR_DEPTH = 3;

/**
 * Reduces any thrown value to name, message, reason, code, statusCode, stack and cause. Request and
 * response objects, bodies, headers and configs are dropped; messages are cut before an embedded
 * "Body:" or "Headers:" dump (the Kubernetes client puts both in ApiException messages).
 */
export function serializeError(error: unknown): SerializedError {
  return serializeErrorAt(error, 0);
}

/** The message that stands in when an error is logged without one. */
export function safeErrorMessage(error: unknown): string {
  return serializeError(error).message;
}

function serializeErrorAt(error: unknown, depth: number): SerializedError {
  if (!isObject(error)) {
    return {
      name: 'NonError',
      message: typeof error === 'string' ? cleanMessage(error) : `thrown ${typeof error}`,
    };
  }
  const name = stringField(error, 'name') ?? 'Error';
  const status = kubernetesStatus(error);
  const statusCode = findStatusCode(error);
  let message = cleanMessage(stringField(error, 'message') ?? '');
  if (status?.message !== undefined && statusCode !== undefined) {
    message = cleanMessage(`HTTP ${statusCode}: ${status.message}`);
  }

  const out: SerializedError = { name, message };
  const reason = stringField(error, 'reason') ?? status?.reason;
  if (reason !== undefined) out.reason = reason;
  const code = error['code'];
  if (typeof code === 'string' || (typeof code === 'number' && Number.isFinite(code))) out.code = code;
  if (statusCode !== undefined) out.statusCode = statusCode;
  const stack = stringField(error, 'stack');
  if (stack !== undefined) out.stack = cleanStack(`${name}: ${message}`, stack);
  if (depth < MAX_ERROR_DEPTH) {
    if (error['cause'] !== undefined) out.cause = serializeErrorAt(error['cause'], depth + 1);
    const inner = error['errors'];
    if (Array.isArray(inner))
      out.errors = inner.slice(0, 5).map((e: unknown) => serializeErrorAt(e, depth + 1));
  }
  return out;
}

function cleanMessage(message: string): string {
  const dump = message.search(/\n?\s*(Body|Headers):/);
  const head = dump === -1 ? message : message.slice(0, dump);
  return head.length > MAX_MESSAGE_LENGTH ? `${head.slice(0, MAX_MESSAGE_LENGTH)}…` : head;
}

// A stack's first lines repeat the raw message; keep only the frames under the cleaned message.
function cleanStack(headline: string, stack: string): string {
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  return [headline, ...frames].join('\n');
}

function kubernetesStatus(error: Record<string, unknown>): { reason?: string; message?: string } | undefined {
  const body = error['body'];
  if (!isObject(body) || body['kind'] !== 'Status') return undefined;
  const result: { reason?: string; message?: string } = {};
  const reason = stringField(body, 'reason');
  const message = stringField(body, 'message');
  if (reason !== undefined) result.reason = reason;
  if (message !== undefined) result.message = message;
  return result;
}

function findStatusCode(error: Record<string, unknown>): number | undefined {
  const metadata = error['$metadata']; // AWS SDK v3
  const response = error['response']; // axios, node-vault
  const candidates = [
    error['statusCode'], // Azure RestError, our typed errors
    error['status'],
    isObject(metadata) ? metadata['httpStatusCode'] : undefined,
    isObject(response) ? (response['statusCode'] ?? response['status']) : undefined,
    // @kubernetes/client-node ApiException keeps the HTTP status in `code` next to `body`/`headers`.
    'headers' in error || 'body' in error ? error['code'] : undefined,
  ];
  return candidates.find(
    (value): value is number =>
      typeof value === 'number' && Number.isInteger(value) && value >= 100 && value < 600,
  );
}

const MAX_SANITIZE_DEPTH = 10;

/** A copy of a logged value with sensitive keys redacted, binary data summarised and errors serialised. */
export function sanitizeForLog(value: unknown): unknown {
  return sanitizeAt(value, 0, new WeakSet());
}

function sanitizeRecord(record: Record<string, unknown>): Record<string, unknown> {
  const clean = sanitizeForLog(record);
  return isObject(clean) ? clean : {};
}

function sanitizeAt(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return serializeError(value);
  if (value instanceof Date) return value;
  if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[binary ${value.byteLength} bytes]`;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_SANITIZE_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item: unknown) => sanitizeAt(item, depth + 1, seen));
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const name = String(key);
      out[name] = isSensitiveKey(name) ? REDACTED : sanitizeAt(item, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export function isSensitiveKey(key: string): boolean {
  const normalised = key.toLowerCase().replace(/[-_]/g, '');
  return SENSITIVE_KEYS.has(normalised) || SENSITIVE_SUFFIXES.some((suffix) => normalised.endsWith(suffix));
}

// pino uses err.message as the line's msg when none is given; use the cleaned message instead.
function safeErrorMessages(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const [first] = args;
  if (first instanceof Error && args.length === 1) {
    method.call(this, { err: first }, safeErrorMessage(first));
    return;
  }
  if (isObject(first) && args.length === 1 && first['msg'] === undefined) {
    const error = first['err'] ?? first['error'];
    if (error instanceof Error) {
      method.call(this, first, safeErrorMessage(error));
      return;
    }
  }
  method.apply(this, args);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function stringField(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}
