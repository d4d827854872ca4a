// Loads e2e/.run/env (written by `make dev-up`) into process.env so e2e tests
// reach the local control plane and backends. Values already set win.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const envFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.run', 'env');

if (existsSync(envFile)) {
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const match = /^export ([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (match && process.env[match[1]!] === undefined) process.env[match[1]!] = match[2]!;
  }
}
