import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { ApiException } from '@kubernetes/client-node';
import {
  createLogger,
  isSensitiveKey,
  REDACTED,
  sanitizeForLog,
  serializeError,
  type Logger,
} from './logger.js';

function capture(level: 'info' | 'debug' = 'info'): {
  logger: Logger;
  output: () => string;
  lines: () => unknown[];
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ level, name: 'test', destination });
  const output = (): string => chunks.join('');
  return {
    logger,
    output,
    lines: () =>
      output()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as unknown),
  };
}

const secret = (): string => randomBytes(24).toString('base64url');

describe('createLogger', () => {
  it('writes one JSON object per line with level label, time and logger name', () => {
    const { logger, lines } = capture();
    logger.info({ namespace: 'payments', name: 'db' }, 'synced');
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'info',
        logger: 'test',
        msg: 'synced',
        namespace: 'payments',
        name: 'db',
      }),
    ]);
    const [line] = lines() as [{ time: string }];
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  it('honours the level', () => {
    const { logger, lines } = capture('info');
    logger.debug('hidden');
    logger.warn('shown');
    expect(lines()).toEqual([expect.objectContaining({ level: 'warn', msg: 'shown' })]);
  });

  it('never writes secret values from well-known places', () => {
    const { logger, output } = capture('debug');
    const [v0, v1, v2, v3, v4, v5, v6, v7] = [
      secret(),
      secret(),
      secret(),
      secret(),
      secret(),
      secret(),
      secret(),
      secret(),
    ];
    const [v8, v9, v10, v11, v12, v13, v14, v15] = [
      secret(),
      secret(),
      secret(),
      secret(),
      secret(),
      secret(),
      secret(),
      secret(),
    ];
    const values = [v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15];

    logger.info({ data: { password: v0 }, stringData: { key: v1 } }, 'top level');
    logger.info({ secret: { data: { k: v2 }, stringData: { k: v3 } } }, 'kubernetes Secret');
    logger.info({ remote: { value: Buffer.from(v4), token: v5 } }, 'remote value');
    logger.info({ auth: { password: v6, clientSecret: v7, secret: v8 } }, 'credentials');
    logger.info({ request: { headers: { authorization: `Bearer ${v9}`, 'x-vault-token': v10 } } }, 'headers');
    logger.info({ a: { b: { c: { d: { data: v11 } } } } }, 'deeply nested');
    logger.info({ values: new Map([['db', { value: Buffer.from(v12) }]]) }, 'map of values');
    logger.info({ raw: Buffer.from(v13) }, 'buffer');
    logger.child({ token: v14 }).info('child binding');
    logger.info(
      {
        metadata: {
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"data":"${v15}"}` },
        },
      },
      'kubectl annotation',
    );

    const text = output();
    for (const value of values) expect(text).not.toContain(value);
    expect(text).toContain(REDACTED);
    expect(text).toContain(`[binary ${Buffer.byteLength(v13)} bytes]`);
  });

  it('keeps errors useful but drops request, response, config, bodies and headers', () => {
    const { logger, output, lines } = capture();
    const token = secret();
    const bodyValue = secret();
    const error = Object.assign(new Error('request failed'), {
      code: 'ECONNRESET',
      reason: 'Unavailable',
      statusCode: 503,
      config: { headers: { 'X-Vault-Token': token } },
      request: { headers: { authorization: token } },
      response: { status: 503, data: { data: { password: bodyValue } } },
    });

    logger.error({ err: error }, 'fetch failed');
    logger.error(error);
    logger.warn({ error, namespace: 'payments' });

    const text = output();
    expect(text).not.toContain(token);
    expect(text).not.toContain(bodyValue);
    const [first, second, third] = lines() as Array<Record<string, unknown>>;
    expect(first).toMatchObject({
      msg: 'fetch failed',
      err: {
        name: 'Error',
        message: 'request failed',
        code: 'ECONNRESET',
        reason: 'Unavailable',
        statusCode: 503,
      },
    });
    expect(Object.keys(first?.['err'] as object).sort()).toEqual([
      'code',
      'message',
      'name',
      'reason',
      'stack',
      'statusCode',
    ]);
    expect(second).toMatchObject({ msg: 'request failed', err: { message: 'request failed' } });
    expect(third).toMatchObject({ msg: 'request failed', namespace: 'payments', error: { statusCode: 503 } });
  });

  it('cuts the body and headers out of a Kubernetes ApiException, also when it is the message', () => {
    const { logger, output, lines } = capture();
    const value = secret();
    const status = { kind: 'Status', reason: 'Conflict', message: 'the object has been modified', code: 409 };
    const error = new ApiException(
      409,
      'Unknown API Status Code!',
      { ...status, details: { causes: [value] } },
      {
        authorization: value,
      },
    );

    logger.error(error);

    expect(output()).not.toContain(value);
    expect(lines()).toEqual([
      expect.objectContaining({
        msg: 'HTTP 409: the object has been modified',
        err: expect.objectContaining({ reason: 'Conflict', statusCode: 409, code: 409 }),
      }),
    ]);
  });
});

describe('serializeError', () => {
  it('follows causes and aggregate errors without their payloads', () => {
    const value = secret();
    const inner = Object.assign(new Error('denied'), { statusCode: 403, response: { body: value } });
    const outer = new AggregateError([inner], 'all failed', { cause: inner });
    const serialized = serializeError(outer);
    expect(JSON.stringify(serialized)).not.toContain(value);
    expect(serialized).toMatchObject({
      name: 'AggregateError',
      cause: { message: 'denied', statusCode: 403 },
      errors: [{ message: 'denied' }],
    });
  });

  it('reads status codes from AWS and axios-style errors', () => {
    expect(
      serializeError(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 429 } })).statusCode,
    ).toBe(429);
    expect(serializeError(Object.assign(new Error('x'), { response: { status: 404 } })).statusCode).toBe(404);
  });

  it('does not echo the message dump in the stack', () => {
    const value = secret();
    const error = new Error(`HTTP-Code: 500\nMessage: boom\nBody: {"data":"${value}"}\nHeaders: {}`);
    const serialized = serializeError(error);
    expect(serialized.message).toBe('HTTP-Code: 500\nMessage: boom');
    expect(serialized.stack).not.toContain(value);
    expect(serialized.stack).toMatch(/^Error: HTTP-Code: 500\nMessage: boom\n\s+at /);
  });

  it('handles thrown non-errors', () => {
    expect(serializeError('plain')).toEqual({ name: 'NonError', message: 'plain' });
    expect(serializeError(42)).toEqual({ name: 'NonError', message: 'thrown number' });
  });
});

describe('sanitizeForLog', () => {
  it('leaves ordinary fields, references and metadata alone', () => {
    const input = {
      metadata: { name: 'db' },
      secretRef: { name: 'vault-token', key: 'token' },
      key: 'password',
    };
    expect(sanitizeForLog(input)).toEqual(input);
  });

  it('survives cycles', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic['self'] = cyclic;
    expect(sanitizeForLog(cyclic)).toEqual({ name: 'a', self: '[Circular]' });
  });

  it.each([
    'password',
    'dbPassword',
    'client_secret',
    'X-Vault-Token',
    'SecretString',
    'stringData',
    'apiKey',
  ])('treats %s as sensitive', (key) => expect(isSensitiveKey(key)).toBe(true));
  it.each(['name', 'metadata', 'secretRef', 'key', 'tokenTtl', 'path'])('treats %s as safe', (key) =>
    expect(isSensitiveKey(key)).toBe(false),
  );
});
