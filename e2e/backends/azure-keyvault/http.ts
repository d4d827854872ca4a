// The edge: turns a node:http request into a typed value once, and writes JSON answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badParameter } from './errors.js';

/** Key Vault's own limit on a secret value is 25 KB; bodies past 1 MiB are refused outright. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface Request {
  readonly method: string;
  /** Host name without the port, lower case (Key Vault and Entra host names are case-insensitive). */
  readonly hostname: string;
  readonly pathname: string;
  /** Path segments, decoded; `/secrets/a/` gives ["secrets", "a", ""] so an empty version is visible. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export async function readRequest(req: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw badParameter('The request body is too large.');
    chunks.push(chunk);
  }
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const hostHeader = req.headers.host ?? '';
  const hostname = hostHeader
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  let segments: string[];
  try {
    segments = url.pathname
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s));
  } catch {
    throw badParameter('The request path is not valid percent-encoding.');
  }
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    hostname,
    pathname: url.pathname,
    segments,
    query: url.searchParams,
    headers: req.headers,
    body: Buffer.concat(chunks),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache',
    ...headers,
  });
  res.end(text);
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body as a JSON object, or BadParameter as Key Vault answers a body it cannot read. */
export function jsonBody(req: Request): JsonObject {
  if (req.body.length === 0) throw badParameter('The request body is missing.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw badParameter('The request body is not valid JSON.');
  }
  if (!isObject(parsed)) throw badParameter('The request body must be a JSON object.');
  return parsed;
}

/** The body as application/x-www-form-urlencoded parameters (the OAuth token endpoint). */
export function formBody(req: Request): URLSearchParams {
  return new URLSearchParams(req.body.toString('utf8'));
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
