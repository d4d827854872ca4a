// The Dockerfile cannot be built here (no Docker engine), so its promises are checked as text:
// a Node 24 base, a numeric non-root user, and an ENTRYPOINT that runs the file the build emits.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');

/** Instructions (continuation lines joined, comments dropped) as [keyword, arguments]. */
function instructions(dockerfile: string): [string, string][] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return [keyword.toUpperCase(), rest.join(' ')];
    });
}

const dockerfile = read('Dockerfile');
const steps = instructions(dockerfile);
const runtimeStage = steps.slice(steps.findLastIndex(([keyword]) => keyword === 'FROM'));

/** Where tsconfig.build.json puts the compiled src/cli/main.ts. */
function emittedCliPath(): string {
  const { compilerOptions } = JSON.parse(read('tsconfig.build.json')) as {
    compilerOptions: { rootDir: string; outDir: string };
  };
  const relative = path.relative(compilerOptions.rootDir, 'src/cli/main.ts').replace(/\.ts$/, '.js');
  return path.posix.join(compilerOptions.outDir, relative);
}

describe('Dockerfile', () => {
  test('every stage is based on Node.js 24', () => {
    const bases = steps.filter(([keyword]) => keyword === 'FROM').map(([, args]) => args.split(/\s+/)[0]!);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toMatch(/(^|\/)(node:24[-.\w]*|nodejs24-[\w.:-]+)$/);
  });

  test('the runtime stage runs as a numeric non-root user', () => {
    const users = runtimeStage.filter(([keyword]) => keyword === 'USER').map(([, args]) => args);
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]!.split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    if (gid !== undefined) expect(Number(gid)).toBeGreaterThan(0);
  });

  test('ENTRYPOINT runs `node <what tsconfig.build.json emits for src/cli/main.ts> run`', () => {
    const entrypoints = runtimeStage.filter(([keyword]) => keyword === 'ENTRYPOINT');
    expect(entrypoints).toHaveLength(1);
    const command = JSON.parse(entrypoints[0]![1]) as string[];
    expect(command).toHaveLength(3);
    expect(path.basename(command[0]!)).toBe('node');
    expect(command.slice(1)).toEqual([emittedCliPath(), 'run']);
    expect(emittedCliPath()).toBe('dist/cli/main.js');
    expect((JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin.secretsource).toBe(
      emittedCliPath(),
    );
  });

  test('the runtime stage copies dist/ and node_modules from the build, which prunes dev dependencies', () => {
    const copies = runtimeStage.filter(([keyword]) => keyword === 'COPY').map(([, args]) => args);
    expect(copies).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^--from=build \S+\/dist /),
        expect.stringMatching(/^--from=build \S+\/node_modules /),
      ]),
    );
    expect(dockerfile).toMatch(/npm ci\b/);
    expect(dockerfile).toMatch(/npm run build && npm prune --omit=dev/);
  });

  test('config/manager runs the image the Dockerfile documents, with flags only (the ENTRYPOINT says run)', () => {
    const tag = /docker build -t (\S+) \./.exec(dockerfile)?.[1];
    expect(tag).toBeDefined();
    const deployment = parse(read('config/manager/manager.yaml')) as {
      spec: { template: { spec: { containers: { image: string; args: string[] }[] } } };
    };
    const [manager] = deployment.spec.template.spec.containers;
    expect(manager!.image).toBe(tag);
    expect(manager!.args.every((arg) => arg.startsWith('--'))).toBe(true);
  });
});
