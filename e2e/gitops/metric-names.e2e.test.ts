// Every metric name the alert rules (config/prometheus/rules.yaml) and the Grafana dashboard
// (config/prometheus/dashboard.json) read exists on a real operator's /metrics: an alert on a
// name the operator does not export would never fire, and a panel would stay empty.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import YAML from 'yaml';
import { repoRoot } from '../support/kube.js';
import { useOperatorFixture } from '../support/operator-fixture.js';
import { exposedNames, metricNamesIn } from './promql.js';

jest.setTimeout(60_000);

interface Rules {
  spec: { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] };
}

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** Each alert's expression, by alert name. */
function ruleExpressions(): [string, string][] {
  const rules = YAML.parse(
    readFileSync(path.join(repoRoot, 'config/prometheus/rules.yaml'), 'utf8'),
  ) as Rules;
  return rules.spec.groups.flatMap((group) =>
    group.rules.map((rule) => [rule.alert ?? rule.record ?? '?', rule.expr] as [string, string]),
  );
}

/** Each panel's queries and the template variables' queries, by panel or variable name. */
function dashboardExpressions(): [string, string][] {
  const dashboard = JSON.parse(
    readFileSync(path.join(repoRoot, 'config/prometheus/dashboard.json'), 'utf8'),
  ) as {
    panels: Panel[];
    templating: { list: { name: string; type: string; query: string | { query: string } }[] };
  };
  const panels = (list: Panel[]): [string, string][] =>
    list.flatMap((panel) => [
      ...(panel.targets ?? []).map((t) => [panel.title, t.expr] as [string, string]),
      ...panels(panel.panels ?? []),
    ]);
  const variables = dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => [`$${v.name}`, typeof v.query === 'string' ? v.query : v.query.query] as [string, string]);
  return [...panels(dashboard.panels), ...variables];
}

describe('metricNamesIn', () => {
  it.each([
    ['secretsource_queue_depth', ['secretsource_queue_depth']],
    ['max by (job) (secretsource_objects{ready!="True"}) > 0', ['secretsource_objects']],
    [
      'histogram_quantile(0.95, sum by (job, le) (rate(secretsource_sync_duration_seconds_bucket[10m]))) > 10',
      ['secretsource_sync_duration_seconds_bucket'],
    ],
    ['a{l="x{y}", m=~"b|c"} / on(job) group_left(pod) b offset 5m', ['a', 'b']],
    ['min_over_time(x[15m:1m]) and bool y or unless_z', ['unless_z', 'x', 'y']],
    ['rate(x{job=~"$job"}[$__rate_interval]) * 1e3 + 14 * 24 * 3600', ['x']],
    ['label_values(secretsource_queue_depth, job)', ['secretsource_queue_depth']],
    ['sum without (instance) (ns:x:rate5m)', ['ns:x:rate5m']],
  ])('%s', (expr, names) => {
    expect(metricNamesIn(expr)).toEqual(names);
  });
});

describe('exposedNames', () => {
  it('adds the series of histograms and summaries', () => {
    const text = '# HELP h x\n# TYPE h histogram\n# TYPE s summary\n# TYPE c counter\n# TYPE g gauge\n';
    expect([...exposedNames(text)].sort()).toEqual([
      'c',
      'g',
      'h',
      'h_bucket',
      'h_count',
      'h_sum',
      's',
      's_count',
      's_sum',
    ]);
  });
});

describe('against a real operator', () => {
  // An operator with nothing to sync: its /metrics still declares every metric.
  const fx = useOperatorFixture({ name: 'e2e-metrics', defaultProvider: 'none' });
  let exposed: Set<string>;

  beforeAll(async () => {
    const response = await fetch(fx.operator.metricsUrl);
    expect(response.status).toBe(200);
    exposed = exposedNames(await response.text());
  });

  it('exports the operator metrics the README lists', () => {
    for (const name of [
      'secretsource_sync_total',
      'secretsource_sync_duration_seconds_bucket',
      'secretsource_objects',
    ])
      expect(exposed).toContain(name);
  });

  it.each(ruleExpressions())('alert %s reads only exported metrics', (_alert, expr) => {
    const names = metricNamesIn(expr);
    expect(names.length).toBeGreaterThan(0);
    expect({ expr, missing: names.filter((n) => !exposed.has(n)) }).toEqual({ expr, missing: [] });
  });

  it.each(dashboardExpressions())('dashboard %s reads only exported metrics', (_panel, expr) => {
    const names = metricNamesIn(expr);
    expect(names.length).toBeGreaterThan(0);
    expect({ expr, missing: names.filter((n) => !exposed.has(n)) }).toEqual({ expr, missing: [] });
  });
});
