// What every bench reads from its environment and records about the code it measured.
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../../e2e/support/kube.js';

export function whole(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name}: expected a whole number >= 1, got ${text}`);
  return value;
}

/** The commit measured, and whether src/ had changes not in it. */
export function codeVersion(): { commit: string; srcModified: boolean } {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  try {
    return {
      commit: git('rev-parse', 'HEAD'),
      srcModified: git('--no-optional-locks', 'status', '--porcelain', '--', 'src') !== '',
    };
  } catch {
    return { commit: 'unknown', srcModified: false };
  }
}
