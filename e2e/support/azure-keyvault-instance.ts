// A second Key Vault test server (e2e/backends/azure-keyvault) that one test file owns, so it can be
// stopped and started again without disturbing the one `make dev-up` runs for everybody. It uses
// dev-up's configuration (the same CA and serving certificate, tenant, vault name, apps and secrets,
// managed identities and Kubernetes issuer) on ports of its own. Like the real service after an
// outage it keeps its identities; unlike it, its secrets are gone after a restart (they live in
// memory) and so are the tokens it signed (a new signing key each start).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { azureEnv, type AzureTestEnv } from './azure-keyvault.js';
import { repoRoot, requireEnv, uniqueName } from './kube.js';
import { freePort } from './operator.js';

interface ServerConfig {
  port: number;
  managedIdentityPort: number;
  vaults: Array<{ name: string }>;
}

export class KeyVaultInstance {
  readonly env: AzureTestEnv;
  readonly #configFile: string;
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(env: AzureTestEnv, configFile: string) {
    this.env = env;
    this.#configFile = configFile;
  }

  /** Writes its configuration (dev-up's, on free ports) and starts it. */
  static async start(): Promise<KeyVaultInstance> {
    const run = requireEnv('SECRETSOURCE_RUN_DIR');
    const config = JSON.parse(readFileSync(path.join(run, 'azure-keyvault.json'), 'utf8')) as ServerConfig;
    config.port = await freePort();
    config.managedIdentityPort = await freePort();
    const configFile = path.join(run, `${uniqueName('azure-keyvault')}.json`);
    writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
    const shared = azureEnv();
    const instance = new KeyVaultInstance(
      {
        ...shared,
        vaultUrl: `https://${config.vaults[0]!.name}.vault.localhost:${config.port}`,
        authorityHost: `https://login.localhost:${config.port}`,
        imdsHost: `http://127.0.0.1:${config.managedIdentityPort}`,
      },
      configFile,
    );
    await instance.resume();
    return instance;
  }

  /** Starts the server again after stop(); resolves once it serves. */
  async resume(): Promise<void> {
    if (this.#child) return;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repoRoot, 'e2e/backends/azure-keyvault/main.ts'),
        '--config',
        this.#configFile,
      ],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Key Vault test server did not start:\n${this.#output}`)),
        30_000,
      );
      const onData = (chunk: Buffer): void => {
        this.#output += chunk.toString();
        if (this.#output.includes('azure-keyvault test server ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (this.#child === child) this.#child = undefined;
        reject(new Error(`Key Vault test server exited with ${code}:\n${this.#output}`));
      });
    });
  }

  /** SIGTERM, and waits for the exit: the ports refuse connections afterwards. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
