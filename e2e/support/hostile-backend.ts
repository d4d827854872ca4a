// Backends that misbehave, posing as Vault: one that never answers (holding the connection open),
// one that answers garbage bytes, one that answers more than the operator accepts, one whose JSON
// is not what was asked for, one that resets every connection. Each is a local HTTP server.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

export type HostileMode = 'silent' | 'garbage' | 'huge' | 'wrong-shape' | 'reset';

const ANSWERS: Record<HostileMode, (res: ServerResponse) => void> = {
  silent: () => undefined, // never answers: the operator's request timeout must end it
  garbage: (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(randomBytes(4096));
  },
  huge: (res) => {
    // 20 MiB, over the 16 MiB the Vault transport accepts, sent in pieces.
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    const more = (): void => {
      while (sent < 20 && res.write(chunk)) sent++;
      if (sent >= 20) res.end();
      else res.once('drain', more);
    };
    res.on('error', () => undefined);
    more();
  },
  'wrong-shape': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: ['not', 'a', 'map'], auth: 42, errors: null }));
  },
  reset: (res) => res.socket?.destroy(),
};

export class HostileBackend {
  readonly #server: Server;
  #url = '';
  requests = 0;

  constructor(readonly mode: HostileMode) {
    this.#server = createServer((req, res) => {
      this.requests++;
      req.resume();
      req.on('end', () => ANSWERS[mode](res));
    });
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
