import { request as httpRequest } from 'node:http';
import { formatListenAddress, InvalidAddressError, parseListenAddress } from './address.js';
import { OperatorHttpServer, type Readiness } from './http-server.js';
import { Metrics } from './metrics.js';

const servers: OperatorHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: ConstructorParameters<typeof OperatorHttpServer>[0]): Promise<string> {
  const server = new OperatorHttpServer(options);
  servers.push(server);
  const port = await server.listen();
  expect(port).toBe(server.port);
  return `http://127.0.0.1:${port}`;
}

describe('OperatorHttpServer', () => {
  it('binds port 0 and reports the bound port', async () => {
    const base = await start({
      address: '127.0.0.1:0',
      health: { readiness: () => ({ ready: true, reasons: [] }) },
    });
    expect(Number(new URL(base).port)).toBeGreaterThan(0);
  });

  it('answers /healthz while alive and /readyz from the readiness callback', async () => {
    let readiness: Readiness = {
      ready: false,
      reasons: ['informer secretsources has not synced', 'not leader yet'],
    };
    const base = await start({ address: '127.0.0.1:0', health: { readiness: () => readiness } });

    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.text()).toBe('ok\n');

    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('- informer secretsources has not synced\n- not leader yet\n');

    readiness = { ready: true, reasons: [] };
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('answers 503 when a check throws or a liveness check fails', async () => {
    const warnings: string[] = [];
    const base = await start({
      address: '127.0.0.1:0',
      logger: { warn: (_object, message) => warnings.push(message) },
      health: {
        readiness: () => {
          throw new Error('boom');
        },
        liveness: () => ({ ready: false, reasons: ['work loop stalled for 120s'] }),
      },
    });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('- health check failed\n');
    expect(warnings).toEqual(['health check threw']);
    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(503);
    expect(await live.text()).toBe('- work loop stalled for 120s\n');
  });

  it('serves Prometheus text on /metrics', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.syncFinished('written', 0.1);
    const base = await start({ address: '127.0.0.1:0', metrics });
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.contentType);
    expect(await response.text()).toContain('secretsource_sync_total{result="written"} 1');
  });

  it('serves only the parts it was given, and only GET/HEAD', async () => {
    const base = await start({ address: '127.0.0.1:0', metrics: new Metrics({ defaultMetrics: false }) });
    expect((await fetch(`${base}/healthz`)).status).toBe(404);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('answers 500 without details when metrics collection fails', async () => {
    const base = await start({
      address: '127.0.0.1:0',
      metrics: { contentType: 'text/plain', render: () => Promise.reject(new Error('collector broke')) },
    });
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('metrics collection failed\n');
  });

  it('closes gracefully, finishing a request in flight', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const rendering = new Promise<void>((resolve) => (entered = resolve));
    const server = new OperatorHttpServer({
      address: '127.0.0.1:0',
      metrics: {
        contentType: 'text/plain',
        render: async () => {
          entered();
          await slow;
          return 'late\n';
        },
      },
    });
    const port = await server.listen();
    const inFlight = new Promise<string>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path: '/metrics' }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve(body));
      })
        .on('error', reject)
        .end();
    });
    // The request is in the handler (not merely sent) when the server starts closing.
    await rendering;
    const closing = server.close();
    release();
    await expect(inFlight).resolves.toBe('late\n');
    await closing;
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});

describe('parseListenAddress', () => {
  it.each([
    [':8080', { port: 8080 }],
    ['0.0.0.0:8081', { host: '0.0.0.0', port: 8081 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
  ])('reads %j', (input, expected) => {
    expect(parseListenAddress(input)).toEqual(expected);
    expect(parseListenAddress(formatListenAddress(parseListenAddress(input)))).toEqual(expected);
  });

  it.each([
    ['8080', /":port"/],
    [':http', /port must be a number/],
    [':70000', /port must be a number/],
    ['::1:80', /brackets/],
    ['a b:80', /invalid characters/],
  ])('rejects %j', (input, message) => {
    expect(() => parseListenAddress(input)).toThrow(InvalidAddressError);
    expect(() => parseListenAddress(input)).toThrow(message);
  });
});
