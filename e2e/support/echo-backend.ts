// A hostile or broken backend: a local HTTP server posing as Vault (paths under /v1/) and as AWS
// Secrets Manager (POST / with X-Amz-Target) that answers every request with an error quoting the
// request back: its body and headers in the error body, in response headers, and (AWS) as the
// error code itself. It records what it was sent, so a test knows every credential and value that
// passed through and can look for them in the operator's status, Events, logs and metrics.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface EchoedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export class EchoBackend {
  readonly requests: EchoedRequest[] = [];
  readonly #server: Server;
  #url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        this.requests.push(request);
        const echo = JSON.stringify(request);
        const quoted = echo.replace(/[^\x20-\x7e]/g, '').slice(0, 4000);
        if (req.url?.startsWith('/v1/')) {
          // Vault: a 200 that is not what was asked for on lookups, a 400 quoting everything elsewhere.
          const status = req.url.includes('lookup-self') ? 200 : 400;
          res.writeHead(status, { 'content-type': 'application/json', 'x-echo': quoted });
          res.end(JSON.stringify({ errors: [echo, String(req.headers['x-vault-token'])], data: { echo } }));
          return;
        }
        // AWS JSON protocol: the error code comes from __type / x-amzn-errortype; put what was sent
        // there (the value written, else the session token), and everything in the message.
        const sent = (JSON.parse(body || '{}') as { SecretString?: string }).SecretString;
        const code = sent ?? String(req.headers['x-amz-security-token'] ?? 'Echo');
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': code.replace(/[^\x20-\x7e]/g, ''),
          'x-echo': quoted,
        });
        res.end(JSON.stringify({ __type: code, message: echo, Message: echo }));
      });
    });
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address() as { port: number };
    this.#url = `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Values the operator sent that must stay secret: tokens, secret IDs, session tokens, written values. */
  sentSecrets(): string[] {
    const found = new Set<string>();
    for (const request of this.requests) {
      const token = request.headers['x-vault-token'];
      if (typeof token === 'string') found.add(token);
      const session = request.headers['x-amz-security-token'];
      if (typeof session === 'string') found.add(session);
      if (request.body === '') continue;
      const parsed = JSON.parse(request.body) as Record<string, unknown>;
      for (const key of ['secret_id', 'jwt', 'SecretString'])
        if (typeof parsed[key] === 'string') found.add(parsed[key]);
      const data = parsed['data'];
      if (data && typeof data === 'object')
        for (const value of Object.values(data as Record<string, unknown>))
          if (typeof value === 'string') found.add(value);
    }
    return [...found].filter((value) => value.length >= 8);
  }
}
