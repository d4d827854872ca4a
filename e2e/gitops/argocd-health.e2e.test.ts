// The Argo CD health check (docs/argocd/health.lua) under gopher-lua, the Lua 5.1 VM Argo CD runs
// health scripts in: the same cases docs/argocd/health.test.ts runs in fengari (Lua 5.3), through
// e2e/tools/argocd-lua, a runner over github.com/yuin/gopher-lua built into the tools cache by
// `make tools` (e2e/tools/build-go-tools.sh). No server: e2e only because it needs the tools cache.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeHealthCases } from '../../docs/argocd/health-cases.js';
import type { HealthStatus } from '../../docs/argocd/lua.js';
import { repoRoot } from '../support/kube.js';

const GOPHER_LUA_VERSION = 'v1.1.1';
const toolsDir =
  process.env.SECRETSOURCE_TOOLS_DIR ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'secretsource-operator/tools');
const runner = path.join(toolsDir, `argocd-lua-gopher-lua-${GOPHER_LUA_VERSION}`, 'argocd-lua');
const scriptFile = path.join(repoRoot, 'docs/argocd/health.lua');

function runInGopherLua(script: string, obj: unknown): HealthStatus {
  if (!existsSync(runner)) throw new Error(`${runner} is missing: run make tools`);
  // The runner reads the script from its file: only the real one is run here.
  if (script !== readFileSync(scriptFile, 'utf8')) throw new Error('only docs/argocd/health.lua is run here');
  const out = execFileSync(runner, [scriptFile], { input: JSON.stringify(obj), encoding: 'utf8' });
  const result = JSON.parse(out) as Partial<HealthStatus>;
  return { status: result.status ?? '', message: result.message ?? '' };
}

describeHealthCases(readFileSync(scriptFile, 'utf8'), runInGopherLua);
