// `secretsource validate` over a corpus of good and bad manifests (src/cli/testdata/validate): the
// good ones (and config/samples) pass; in the bad ones each object is preceded by a comment
// `# expect: <text>` that a problem reported at that object's line must contain.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateCommand } from './validate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.join(here, 'testdata', 'validate');
const samples = path.join(here, '..', '..', 'config', 'samples');

function run(args: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = validateCommand(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    readFile: (file) => (file === '-' ? stdin : readFileSync(file, 'utf8')),
  });
  return { code, stdout, stderr };
}

/** `# expect:` comments and the line of the object each one precedes. */
function expectations(file: string): { line: number; text: string }[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found: { line: number; text: string }[] = [];
  lines.forEach((line, index) => {
    const match = /^# expect: (.*)$/.exec(line);
    if (match) found.push({ line: index + 1, text: match[1]! });
  });
  return found;
}

test('the good corpus and config/samples pass: exit 0, every object of ours checked', () => {
  const result = run(['-f', path.join(corpus, 'good'), '-f', samples]);
  expect(result.stdout).toBe('');
  expect(result.code).toBe(0);
  expect(result.stderr).toMatch(/^\d+ objects checked, 0 problems\n$/);
  expect(Number(/^(\d+)/.exec(result.stderr)![1])).toBeGreaterThanOrEqual(6);
});

const badFiles = readdirSync(path.join(corpus, 'bad')).map((name) => path.join(corpus, 'bad', name));

test.each(badFiles)('%s: each object fails with its expected message, at its line', (file) => {
  const result = run(['-f', file, '-o', 'json']);
  expect(result.code).toBe(1);
  const { problems } = JSON.parse(result.stdout) as {
    problems: { file: string; line: number; message: string; object: string }[];
  };
  for (const expected of expectations(file)) {
    // The object starts on the line after its comment (the comment is part of the document).
    const near = problems.filter((p) => p.line >= expected.line - 1 && p.line <= expected.line + 1);
    expect({ line: expected.line, reported: near.map((p) => `${p.object}: ${p.message}`) }).toEqual({
      line: expected.line,
      reported: expect.arrayContaining([expect.stringContaining(expected.text)]),
    });
  }
  expect(problems).toHaveLength(expectations(file).length);
});

test('text output is file:line: object: message; standard input works (kustomize build | validate -f -)', () => {
  const manifest = readFileSync(path.join(corpus, 'bad', 'spec-errors.yaml'), 'utf8');
  const result = run(['-f', '-'], manifest);
  expect(result.code).toBe(1);
  expect(result.stdout.split('\n')[0]).toMatch(
    /^<stdin>:\d+: SecretSource default\/bad-kind: spec\.providerRef\.kind/,
  );
});

test('bad usage is exit 2 with the usage', () => {
  expect(run([]).code).toBe(2);
  expect(run(['-f', 'x', '-o', 'yaml']).code).toBe(2);
  expect(run(['--nope']).stderr).toContain('Usage: secretsource validate');
  expect(run(['--help']).code).toBe(0);
});
