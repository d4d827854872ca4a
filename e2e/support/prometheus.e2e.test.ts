// The Prometheus text parser the e2e tests and the bench share. No server: it runs in the e2e project
// only because the unit project covers src/, and it is fast.
import { difference, parseMetrics, total, totalBy, valueOf, valuesOf } from './prometheus.js';

// Shaped like prom-client's output: HELP/TYPE lines, labels, a histogram, a timestamp, escapes.
const TEXT = [
  '# HELP secretsource_sync_total Syncs by result.',
  '# TYPE secretsource_sync_total counter',
  'secretsource_sync_total{result="changed"} 3',
  'secretsource_sync_total{result="unchanged"} 12',
  'secretsource_kube_writes_total{resource="secrets",verb="patch"} 4',
  'secretsource_kube_writes_total{resource="clustersecretproviders/status",verb="update"} 2',
  'secretsource_sync_duration_seconds_bucket{le="+Inf"} 15',
  'secretsource_certificate_not_after_timestamp_seconds{namespace="ns",secretsource="tls"} 1767225600',
  'nodejs_heap_size_used_bytes 1.5e+7 1700000000000',
  'odd{note="a \\"quoted\\" } brace"} 1',
  'not a sample line',
  '',
].join('\n');

test('samples with names, labels and values; comments, blank and malformed lines are skipped', () => {
  const samples = parseMetrics(TEXT);
  expect(samples).toHaveLength(8);
  expect(samples[0]).toEqual({
    name: 'secretsource_sync_total',
    labels: { result: 'changed' },
    value: 3,
  });
  expect(valueOf(samples, 'nodejs_heap_size_used_bytes', {})).toBe(15_000_000);
  expect(valueOf(samples, 'secretsource_sync_duration_seconds_bucket', { le: '+Inf' })).toBe(15);
  expect(samples.find((s) => s.name === 'odd')?.labels).toEqual({ note: 'a "quoted" } brace' });
});

test('sums, lookups and differences over label sets', () => {
  const samples = parseMetrics(TEXT);
  expect(total(samples, 'secretsource_sync_total')).toBe(15);
  expect(total(samples, 'secretsource_sync_total', (l) => l.result === 'unchanged')).toBe(12);
  expect(valuesOf(samples, 'secretsource_kube_writes_total')).toEqual([4, 2]);
  expect(
    valueOf(samples, 'secretsource_certificate_not_after_timestamp_seconds', {
      namespace: 'ns',
      secretsource: 'tls',
    }),
  ).toBe(1_767_225_600);
  expect(valueOf(samples, 'secretsource_sync_total', { result: 'failed' })).toBeUndefined();
  const writes = totalBy(samples, 'secretsource_kube_writes_total', ['resource', 'verb']);
  expect(writes).toEqual({ 'secrets/patch': 4, 'clustersecretproviders/status/update': 2 });
  expect(difference({ a: 3, b: 1 }, { a: 1, b: 1, c: 2 })).toEqual({ a: 2, c: -2 });
});
