// The few routes of RabbitMQ's management HTTP API that OpenBao's rabbitmq secrets engine calls
// (list users to check its connection, put a user and its vhost permissions to issue credentials,
// delete the user to revoke them), on loopback, for the dynamic-secrets e2e test. It stands in for
// the broker only: the engine, its leases, their renewal, maximum lifetime and revocation are the
// real OpenBao dev server's. None of the engines in the OpenBao build here that need no further
// server issues renewable leases (pki and kubernetes leases are not renewable; aws and database
// have no server here), so this is the smallest backend that gives OpenBao a renewable lease.
//
// It knows every user OpenBao created and whether it still exists, so a test can check that the
// credentials in a Secret are live and that a revoked lease took its user away. Each password it
// sees is handed to `onPassword` (the leak check) and never printed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BrokerUser {
  name: string;
  password: string;
  /** Unset while the user exists. */
  deletedAt?: number;
  createdAt: number;
}

export class RabbitMqManagement {
  /** The management user OpenBao's engine is configured with. */
  readonly adminUser = 'openbao';
  readonly adminPassword: string;
  readonly users = new Map<string, BrokerUser>();
  readonly #server: Server;
  readonly #onPassword: (password: string) => void;
  #url = '';

  constructor(adminPassword: string, onPassword: (password: string) => void) {
    this.adminPassword = adminPassword;
    this.#onPassword = onPassword;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const expected = `Basic ${Buffer.from(`${this.adminUser}:${this.adminPassword}`).toString('base64')}`;
        const reply = (status: number, body?: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body === undefined ? '' : JSON.stringify(body));
        };
        if (req.headers.authorization !== expected) return reply(401, { error: 'not_authorised' });
        const parts = (req.url ?? '')
          .split('?')[0]!
          .split('/')
          .filter((part) => part !== '')
          .map(decodeURIComponent);
        const [api, kind, first, second] = parts;
        if (api !== 'api') return reply(404, { error: 'not_found' });
        if (kind === 'users' && first === undefined && req.method === 'GET') {
          return reply(
            200,
            [...this.users.values()].filter((u) => u.deletedAt === undefined).map((u) => ({ name: u.name })),
          );
        }
        if (kind === 'users' && first !== undefined && req.method === 'PUT') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { password?: string };
          const password = body.password ?? '';
          this.#onPassword(password);
          this.users.set(first, { name: first, password, createdAt: Date.now() });
          return reply(201);
        }
        if (kind === 'users' && first !== undefined && req.method === 'DELETE') {
          const user = this.users.get(first);
          if (!user || user.deletedAt !== undefined) return reply(404, { error: 'not_found' });
          user.deletedAt = Date.now();
          return reply(204);
        }
        if (kind === 'permissions' && first !== undefined && second !== undefined && req.method === 'PUT') {
          return this.users.get(second)?.deletedAt === undefined ? reply(201) : reply(404);
        }
        return reply(405, { error: 'method_not_allowed' });
      });
    });
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Whether `name` exists and has exactly `password` (compared, never printed). */
  accepts(name: string, password: string): boolean {
    const user = this.users.get(name);
    return user !== undefined && user.deletedAt === undefined && user.password === password;
  }
}
