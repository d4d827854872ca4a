// A small HTTP proxy in front of moto that records every Secrets Manager request it forwards: the
// action (X-Amz-Target), the access key that signed it and the request body. Tests and the bench
// point a provider's endpoint at it to count the calls AWS would bill, independently of the
// operator's own metrics. Bodies hold secret names, never values (reads carry ids only); callers
// that write values through the proxy must not print `bodies`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsAuthVerifier } from './aws-auth-verifier.js';

export class CountingProxy {
  /** Secrets Manager actions in arrival order, without the `secretsmanager.` prefix. */
  readonly actions: string[] = [];
  /** The request body of each action, same index: which secrets a read asked for. */
  readonly bodies: string[] = [];
  /** When each action arrived (epoch ms), same index. */
  readonly times: number[] = [];
  /** The access key id of every signed request (STS calls included). */
  readonly signers: string[] = [];
  #server: http.Server | undefined;
  #url = '';
  readonly #verifier: AwsAuthVerifier | undefined;

  /** With a verifier, a request it refuses gets AWS's refusal and never reaches moto. */
  constructor(verifier?: AwsAuthVerifier) {
    this.#verifier = verifier;
  }

  get url(): string {
    return this.#url;
  }

  async start(target: string): Promise<void> {
    const upstream = new URL(target);
    // Keep-alive on both sides, so the proxy does not add a connection per call under load.
    const agent = new http.Agent({ keepAlive: true });
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const refusal = await this.#verifier
          ?.check(req.method ?? 'GET', req.url ?? '/', req.headers, body)
          .catch(() => ({ status: 502, headers: {}, body: '' }));
        if (refusal) {
          res.writeHead(refusal.status, refusal.headers);
          res.end(refusal.body);
          return;
        }
        const assumesRole = body.includes('Action=AssumeRoleWithWebIdentity');
        const action = req.headers['x-amz-target'];
        if (typeof action === 'string') {
          this.actions.push(action.replace(/^secretsmanager\./, ''));
          this.bodies.push(body.toString('utf8'));
          this.times.push(Date.now());
        }
        const signer = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
        if (signer) this.signers.push(signer);
        // Headers (Host included) go on unchanged: moto checks the signature when IAM is enforced.
        const forward = http.request(
          {
            agent,
            host: upstream.hostname,
            port: upstream.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            if (assumesRole && this.#verifier) {
              // The temporary keys STS hands out sign the reads that follow.
              const parts: Buffer[] = [];
              answer.on('data', (part: Buffer) => parts.push(part));
              answer.on('end', () => this.#verifier!.learnCredentials(Buffer.concat(parts).toString('utf8')));
            }
            answer.pipe(res);
          },
        );
        forward.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        forward.end(body);
      });
    });
    this.#server.on('close', () => agent.destroy());
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** How many requests of `action` arrived (since the last reset). */
  count(action: string): number {
    return this.actions.filter((seen) => seen === action).length;
  }

  /** Requests per action since `from` (an index into actions), e.g. { BatchGetSecretValue: 3 }. */
  countsSince(from = 0): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const action of this.actions.slice(from)) counts[action] = (counts[action] ?? 0) + 1;
    return counts;
  }

  /**
   * Secret reads (batched or single) seen since `from` that asked for any of `secretIds`; other
   * SecretSources may keep reading in the background.
   */
  reads(from: number, secretIds: readonly string[]): number {
    return this.readTimes(from, secretIds).length;
  }

  /** When each of those reads arrived (epoch ms). */
  readTimes(from: number, secretIds: readonly string[]): number[] {
    const times: number[] = [];
    for (let i = from; i < this.actions.length; i++) {
      const read = this.actions[i] === 'BatchGetSecretValue' || this.actions[i] === 'GetSecretValue';
      if (read && secretIds.some((id) => this.bodies[i]!.includes(JSON.stringify(id))))
        times.push(this.times[i]!);
    }
    return times;
  }

  reset(): void {
    this.actions.length = 0;
    this.bodies.length = 0;
    this.times.length = 0;
    this.signers.length = 0;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
