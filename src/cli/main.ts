#!/usr/bin/env node
// The `secretsource` command.
import { ConfigError, parseRunConfig, RUN_FLAGS_USAGE } from '../runtime/config.js';
import { createLogger } from '../runtime/logger.js';
import { readFileSync } from 'node:fs';
import { runOperator } from './run.js';
import { renderCommand } from './render.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';

const USAGE = `Usage: secretsource <command> [flags]
       kubectl secretsource <command> [flags]   (installed as kubectl-secretsource)

Commands:
  run       run the operator (see "secretsource run --help")
  validate  check manifests offline with the operator's rules (see "secretsource validate --help")
  status    the SecretSources at a glance, failing ones first (see "secretsource status --help")
  render    the Secret a SecretSource would produce, values redacted (see "secretsource render --help")
`;

const io = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
  readFile: (file: string) => readFileSync(file === '-' ? 0 : file, 'utf8'),
};

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
  if (command === 'validate') return validateCommand(rest, io);
  if (command === 'status') return statusCommand(rest, io);
  if (command === 'render') return renderCommand(rest, io);
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
