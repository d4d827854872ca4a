// The project's Azure Key Vault test server (see docs/adr/0009): Key Vault's
// data plane, Entra ID's token endpoint and a managed-identity endpoint,
// enough for the official SDK clients to run unchanged against it.
//   node --import tsx e2e/backends/azure-keyvault/main.ts --config <file>
// Prints one JSON line with the ports once it is serving; SIGTERM stops it.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) throw new ConfigError('usage: main.ts --config <file>');
  const config = loadConfig(values.config);
  const server = await startServer(config);
  console.log(
    JSON.stringify({
      msg: 'azure-keyvault test server ready',
      httpsPort: server.httpsPort,
      managedIdentityPort: server.managedIdentityPort,
      loginUrl: server.context.loginBaseUrl,
      resource: server.context.resource,
      vaults: [...server.context.vaults.values()].map((v) => v.baseUrl),
    }),
  );
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`azure-keyvault test server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
