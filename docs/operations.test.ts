// Every Ready reason the code can set is in docs/operations.md's troubleshooting table, and the
// table names no reason the code cannot set. The reasons are collected from where they are
// defined: error classes (`readonly reason = '…'`), reason types (`type …Reason = '…' | '…'`),
// SyncFailure constructions, condition literals (`reason: '…'`, setReady(…, 'True', '…')) and
// fallbacks (`reason ?? '…'`), in the modules whose errors reach a Ready condition. src/runtime,
// src/kube and src/cli are left out: their errors stop the process or are logged, never set on
// an object.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REASON_MODULES = ['src/api', 'src/controller', 'src/providers', 'src/secrets', 'src/rotation'];

const REASON = "'([A-Z][A-Za-z0-9]*)'";
const SINGLE = [
  new RegExp(`readonly reason = ${REASON}`, 'g'),
  new RegExp(`SyncFailure\\(\\s*${REASON}`, 'g'),
  new RegExp(`\\breason: ${REASON}`, 'g'),
  new RegExp(`\\breason \\?\\? ${REASON}`, 'g'),
  new RegExp(`setReady\\([^;]*?'(?:True|False)',\\s*${REASON}`, 'g'),
];
const UNION = /(?:readonly reason: |type \w*Reason =)((?:\s*\|?\s*'[A-Z][A-Za-z0-9]*')+)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(repo, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.generated.ts'))
    .filter((f) => !f.split(path.sep).includes('testing'))
    .map((f) => path.join(repo, dir, f));
}

/** Reason → the files that can set it. */
function reasonsInCode(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (reason: string, file: string) =>
    found.set(reason, [...new Set([...(found.get(reason) ?? []), path.relative(repo, file)])]);
  for (const file of REASON_MODULES.flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of SINGLE) for (const match of text.matchAll(pattern)) add(match[1]!, file);
    for (const match of text.matchAll(UNION))
      for (const reason of match[1]!.matchAll(/'([A-Z][A-Za-z0-9]*)'/g)) add(reason[1]!, file);
  }
  return found;
}

function reasonsInDocs(): string[] {
  const doc = readFileSync(path.join(repo, 'docs/operations.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Troubleshooting by reason'));
  const end = section.indexOf('\n## ', 1);
  const table = end === -1 ? section : section.slice(0, end);
  return [...table.matchAll(/^\| `([A-Za-z0-9]+)`/gm)].map((m) => m[1]!);
}

const inCode = reasonsInCode();
const inDocs = reasonsInDocs();

test('the collector finds the reasons everyone knows (so it is not silently finding nothing)', () => {
  for (const reason of [
    'Synced',
    'Valid',
    'InvalidSpec',
    'AuthFailed',
    'RemoteNotFound',
    'EmptyResult',
    'ProviderNotFound',
  ])
    expect([...inCode.keys()]).toContain(reason);
});

test('every reason the code can set is documented in docs/operations.md', () => {
  const undocumented = [...inCode].filter(([reason]) => !inDocs.includes(reason));
  expect({ undocumented: Object.fromEntries(undocumented) }).toEqual({ undocumented: {} });
});

test('docs/operations.md documents no reason the code cannot set, and each once', () => {
  expect({ unknown: inDocs.filter((reason) => !inCode.has(reason)) }).toEqual({ unknown: [] });
  expect(new Set(inDocs).size).toBe(inDocs.length);
});
