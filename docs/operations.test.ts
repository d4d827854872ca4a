// docs/operations.md's troubleshooting table is the reasons table of the code
// (src/api/v1alpha1/reasons.ts) in prose: each reason the operator can set is there once, on the
// objects the code says, marked retried exactly when the code retries it, and its text starts
// with the code's one-line meaning (which the row may go on to explain). The table names no reason the code does not have. That the
// code sets only reasons of the table is kept by the types (`Reason`) and the failure funnel
// (`isReason`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REASONS, isReason, type ReasonInfo } from '../src/api/v1alpha1/reasons.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface DocRow {
  reason: string;
  on: string;
  retried: string;
  text: string;
}

function rowsInDocs(): DocRow[] {
  const doc = readFileSync(path.join(repo, 'docs/operations.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Troubleshooting by reason'));
  const end = section.indexOf('\n## ', 1);
  const table = end === -1 ? section : section.slice(0, end);
  return [...table.matchAll(/^\| `([A-Za-z0-9]+)`\s*\|([^|]*)\|([^|]*)\|(.*)\|\s*$/gm)].map((m) => ({
    reason: m[1]!,
    on: m[2]!.trim(),
    retried: m[3]!.trim(),
    text: m[4]!.trim(),
  }));
}

const rows = rowsInDocs();
const table = Object.entries(REASONS) as [string, ReasonInfo][];

test('the docs table is found (so the checks below are not silently checking nothing)', () => {
  expect(rows.length).toBeGreaterThan(10);
});

test('every reason of the code is documented in docs/operations.md, once', () => {
  const documented = rows.map((row) => row.reason);
  expect({ undocumented: table.map(([reason]) => reason).filter((r) => !documented.includes(r)) }).toEqual({
    undocumented: [],
  });
  expect(new Set(documented).size).toBe(documented.length);
});

test('docs/operations.md documents no reason the code does not have', () => {
  expect({ unknown: rows.map((row) => row.reason).filter((reason) => !isReason(reason)) }).toEqual({
    unknown: [],
  });
});

test('each row says where the reason shows and whether it is retried, as the code decides', () => {
  const expected = (info: ReasonInfo) => ({
    on: info.on,
    retried: info.retryable === undefined ? '' : info.retryable ? 'yes' : 'no',
  });
  const differing = rows.flatMap((row) => {
    if (!isReason(row.reason)) return [];
    const want = expected(REASONS[row.reason]);
    return row.on === want.on && row.retried === want.retried
      ? []
      : [{ reason: row.reason, docs: row, code: want }];
  });
  expect(differing).toEqual([]);
});

test("each row's text starts with the code's one-line meaning (its last full stop aside)", () => {
  const differing = rows.flatMap((row) =>
    isReason(row.reason) && !row.text.startsWith(REASONS[row.reason].meaning.replace(/\.$/, ''))
      ? [{ reason: row.reason, meaning: REASONS[row.reason].meaning, docs: row.text }]
      : [],
  );
  expect(differing).toEqual([]);
});
