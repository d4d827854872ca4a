import type { SecretSource } from '../api/v1alpha1/index.js';
import { formatTable, sortRows, statusRow } from './status.js';

function source(
  name: string,
  namespace: string,
  ready?: { status: 'True' | 'False'; reason: string; message: string },
): SecretSource {
  return {
    apiVersion: 'secretsource.dev/v1alpha1',
    kind: 'SecretSource',
    metadata: { name, namespace },
    spec: { providerRef: { kind: 'SecretProvider', name: 'vault' } },
    ...(ready
      ? {
          status: {
            conditions: [{ type: 'Ready', lastTransitionTime: '2026-12-01T00:00:00Z', ...ready }],
            lastSyncTime: '2026-12-01T00:00:00Z',
            nextRefreshTime: '2026-12-01T01:00:00Z',
          },
        }
      : {}),
  } as SecretSource;
}

test('failing first, then not yet known, then Ready; by namespace and name', () => {
  const rows = sortRows([
    statusRow(source('b', 'payments', { status: 'True', reason: 'Synced', message: '1 keys' })),
    statusRow(source('new', 'payments')),
    statusRow(source('a', 'payments', { status: 'True', reason: 'Synced', message: '1 keys' })),
    statusRow(source('x', 'billing', { status: 'False', reason: 'AuthFailed', message: 'denied' })),
  ]);
  expect(rows.map((r) => `${r.namespace}/${r.name}:${r.ready}`)).toEqual([
    'billing/x:False',
    'payments/new:Unknown',
    'payments/a:True',
    'payments/b:True',
  ]);
});

test('an aligned table; the namespace column only with -A; long messages on one short line', () => {
  const rows = [
    statusRow(
      source('db', 'payments', {
        status: 'False',
        reason: 'RemoteNotFound',
        message: `not\nfound ${'x'.repeat(200)}`,
      }),
    ),
  ];
  const table = formatTable(rows, false).split('\n');
  expect(table[0]).toMatch(/^NAME\s+READY\s+REASON\s+LAST SYNC\s+NEXT REFRESH\s+MESSAGE$/);
  expect(table[1]).toMatch(
    /^db\s+False\s+RemoteNotFound\s+2026-12-01T00:00:00Z\s+2026-12-01T01:00:00Z\s+not found x+\.\.\.$/,
  );
  expect(table[1]!.length).toBeLessThan(220);
  expect(formatTable(rows, true).split('\n')[0]).toMatch(/^NAMESPACE\s+NAME/);
});
