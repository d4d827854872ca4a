// One scenario's report: every run of it (operator × profile) beside the ceiling and the ratio to
// it, printed as a table with one column per run and written as JSON
// (bench/results/<scenario>-<backend>-<N>.json).
import { cpus, loadavg } from 'node:os';
import type { ScenarioName, ScenarioRun } from '../scenarios/context.js';
import type { Ceiling } from './ceiling.js';
import { round } from './proc.js';
import { codeVersion } from './run-info.js';

export interface ScenarioReport {
  scenario: ScenarioName;
  backend: string;
  n: number;
  date: string;
  machine: { cpus: number; loadAverage1mAtStart: number; loadAverage1mAtEnd: number };
  /** The code measured: HEAD, and whether src/ had uncommitted changes. */
  code: { commit: string; srcModified: boolean };
  /** The operator measured: compiled (dist/cli/main.js), as the image runs it. */
  operatorBuild: 'dist';
  settings: Record<string, unknown>;
  /** What the ceiling is for this scenario, in words. */
  ceilingIs: string;
  ceilings: Ceiling[];
  runs: ScenarioRun[];
}

const CEILING_IS: Record<ScenarioName, string> = {
  cold: 'a plain client (the same @kubernetes/client-node, one pooled connection dispatcher) applying each Secret and patching each status at the same concurrency; ratio = leader -> all Ready / its time',
  'cold-distinct':
    'a plain client (the same @kubernetes/client-node, one pooled connection dispatcher) applying each Secret and patching each status at the same concurrency; ratio = leader -> all Ready / its time',
  steady: 'one read per distinct secret and no write; ratio = provider calls / distinct secrets',
  churn: 'two writes per changed object (Secret and status); ratio = kube writes per changed object / 2',
  restart: 'the reads of the refreshes due in the window and no write; ratio = provider calls / secrets due',
  burst:
    "one object's Secret apply + status patch by the plain client at the same concurrency, idle (p50/p99); ratio = create-to-Secret p50 / its p50",
};

/** Adds the ceiling and the ratio rows to each run's figures. */
export function withCeiling(scenario: ScenarioName, run: ScenarioRun, ceilings: readonly Ceiling[]): void {
  const f = run.figures;
  const ceiling = ceilings.find((c) => c.concurrency === run.concurrency);
  const num = (key: string): number => Number(f[key] ?? NaN);
  const ratio = (a: number, b: number): number | undefined =>
    Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 2) : undefined;
  switch (scenario) {
    case 'cold':
    case 'cold-distinct':
      if (!ceiling) return;
      f['ceiling: plain client, Secret + status (s)'] = ceiling.seconds;
      f['ratio to the ceiling'] = ratio(num('leader -> all Ready (s)'), ceiling.seconds);
      return;
    case 'steady':
      f['ceiling: provider calls / kube writes'] = `${run.distinctSecrets} / 0`;
      f['ratio to the ceiling'] = ratio(num('provider calls'), run.distinctSecrets);
      return;
    case 'churn':
      f['ceiling: kube writes per changed object'] = 2;
      f['ratio to the ceiling'] = ratio(num('kube writes per changed object'), 2);
      return;
    case 'restart': {
      const due = Number(String(f['refreshes due in the window (objects / secrets)'] ?? '').split(' / ')[1]);
      f['ceiling: provider calls / kube writes'] = `${Number.isFinite(due) ? due : '?'} / 0`;
      f['ratio to the ceiling'] = ratio(num('provider calls'), Math.max(due, 1));
      return;
    }
    case 'burst':
      if (!ceiling) return;
      f['ceiling: one object idle, p50 / p99 (ms)'] = `${ceiling.perObjectP50Ms} / ${ceiling.perObjectP99Ms}`;
      f['ratio to the ceiling'] = ratio(num('create-to-Secret p50 (ms)'), ceiling.perObjectP50Ms ?? NaN);
      return;
  }
}

export function scenarioReport(options: {
  scenario: ScenarioName;
  backend: string;
  n: number;
  loadAtStart: number;
  settings: Record<string, unknown>;
  ceilings: Ceiling[];
  runs: ScenarioRun[];
}): ScenarioReport {
  const used = new Set(options.runs.map((run) => run.concurrency));
  for (const run of options.runs) withCeiling(options.scenario, run, options.ceilings);
  return {
    scenario: options.scenario,
    backend: options.backend,
    n: options.n,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      loadAverage1mAtStart: round(options.loadAtStart, 2),
      loadAverage1mAtEnd: round(loadavg()[0]!, 2),
    },
    code: codeVersion(),
    operatorBuild: 'dist',
    settings: options.settings,
    ceilingIs: CEILING_IS[options.scenario],
    ceilings: options.ceilings.filter((c) => used.has(c.concurrency)),
    runs: options.runs,
  };
}

/** One row per figure, one column per run ("secretsource tuned", "eso defaults", ...). */
export function reportTable(report: ScenarioReport): string {
  const columns = report.runs.map((run) => `${run.operator} ${run.profile} (c=${run.concurrency})`);
  const labels: string[] = [];
  for (const run of report.runs)
    for (const key of Object.keys(run.figures)) if (!labels.includes(key)) labels.push(key);
  const cell = (value: number | string | undefined): string => (value === undefined ? '-' : String(value));
  const rows = [
    ['', ...columns],
    ...labels.map((label) => [label, ...report.runs.map((run) => cell(run.figures[label]))]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const title = `${report.scenario} — ${report.backend}, N=${report.n}, distinct secrets ${report.runs[0]?.distinctSecrets ?? '?'}, commit ${report.code.commit.slice(0, 7)}`;
  return [
    title,
    ...rows.map((row) =>
      row.map((text, i) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join('  '),
    ),
    `ceiling: ${report.ceilingIs}`,
  ].join('\n');
}
