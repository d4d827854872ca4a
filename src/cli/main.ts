#!/usr/bin/env node
// The `secretsource` command.
import { ConfigError, parseRunConfig, RUN_FLAGS_USAGE } from '../runtime/config.js';
import { createLogger } from '../runtime/logger.js';
import { runOperator } from './run.js';

const USAGE = `Usage: secretsource <command> [flags]

Commands:
  run       run the operator (see "secretsource run --help")
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'run') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(RUN_FLAGS_USAGE);
      return 0;
    }
    const config = parseRunConfig(rest, process.env);
    const logger = createLogger({ level: config.logLevel, name: 'secretsource' });
    await runOperator(config, logger);
    return -1; // keeps running until a signal
  }
  process.stderr.write(USAGE);
  return command === undefined || command === '--help' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    const message =
      error instanceof ConfigError
        ? error.message
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
    process.stderr.write(`secretsource: ${message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
