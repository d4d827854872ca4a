// `make bench`: the benchmark suite against the real local environment (e2e/.run), on the compiled
// operator (dist/cli/main.js, as the image runs it). Named scenarios (SCENARIOS=cold,steady; default
// all): cold, cold-distinct, steady, churn, burst, restart (scenarios/synced.ts, scenarios/burst.ts
// say what each measures). Each runs first with the operator's shipped defaults (no flag given:
// whatever `secretsource run` defaults to), then tuned (--kube-qps 500 --kube-burst 1000
// --concurrency TUNED_CONCURRENCY); `make bench-compare` adds External Secrets Operator in both of
// its profiles (OPERATORS=secretsource,eso). After the runs, the ceiling: a plain client doing the
// same minimal writes at each concurrency used. Each scenario prints a table and writes
// bench/results/<scenario>-<backend>-<N>.json (compare-<scenario>-<backend>-<N>.json with ESO).
// Values are generated and never printed.
//
//   SCENARIOS=cold,steady N=1000 BACKEND=aws node --import tsx bench/suite.bench.ts   (e2e/bench.sh)
import '../e2e/support/load-env.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import * as prettier from 'prettier';
import YAML from 'yaml';
import { adminKubeConfig, installCrds, repoRoot, requireEnv } from '../e2e/support/kube.js';
import { installOperatorRbac } from '../e2e/support/operator.js';
import { backendName } from './support/backends.js';
import { measureCeiling, type Ceiling } from './support/ceiling.js';
import { serverPids } from './support/measure.js';
import {
  esoProfiles,
  EsoOperator,
  secretSourceProfiles,
  SecretSourceOperator,
  type BenchedOperator,
  type OperatorKind,
} from './support/operators.js';
import { readyChartSvg } from './support/ready-chart.js';
import { reportTable, scenarioReport, type ScenarioReport } from './support/report.js';
import { whole } from './support/run-info.js';
import { runBurst } from './scenarios/burst.js';
import {
  SCENARIOS,
  type ScenarioName,
  type ScenarioRun,
  type SuiteContext,
  type SuiteSettings,
} from './scenarios/context.js';
import { runSynced } from './scenarios/synced.js';

function list<T extends string>(
  name: string,
  text: string | undefined,
  allowed: readonly T[],
  fallback: T[],
): T[] {
  if (text === undefined || text.trim() === '' || text === 'all') return fallback;
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`${name}: ${item} is not one of ${allowed.join(', ')}`);
  }
  return items as T[];
}

function settings(env: NodeJS.ProcessEnv): SuiteSettings & {
  operators: OperatorKind[];
  profiles: ('defaults' | 'tuned')[];
  tunedConcurrency: number;
} {
  const n = whole(env, 'N', 1000);
  return {
    backend: backendName(env.BACKEND),
    n,
    scenarios: list('SCENARIOS', env.SCENARIOS, SCENARIOS, [...SCENARIOS]),
    operators: list('OPERATORS', env.OPERATORS, ['secretsource', 'eso'] as const, ['secretsource']),
    profiles: list('PROFILES', env.PROFILES, ['defaults', 'tuned'] as const, ['defaults', 'tuned']),
    tunedConcurrency: whole(env, 'TUNED_CONCURRENCY', 8),
    createConcurrency: whole(env, 'CREATE_CONCURRENCY', 32),
    refreshInterval: env.REFRESH_INTERVAL || undefined,
    churnPercent: whole(env, 'CHURN_PERCENT', 1),
    restartWindowMs: whole(env, 'RESTART_WINDOW_S', 60) * 1000,
    stormIntervalS: whole(env, 'STORM_INTERVAL_S', 30),
    burstNewcomers: whole(env, 'BURST_NEWCOMERS', Math.max(10, Math.round(n / 10))),
    burstCreateConcurrency: whole(env, 'BURST_CREATE_CONCURRENCY', 8),
    cpuProfileDir: env.CPU_PROFILE_DIR ? path.resolve(env.CPU_PROFILE_DIR) : undefined,
  };
}

/**
 * ESO's CRDs from the tools cache, with any conversion webhook removed (no webhook runs). Applied by
 * kubectl: the client library's typed CRD model drops x-kubernetes-preserve-unknown-fields, which
 * the API server then refuses.
 */
async function installEsoCrds(kc: k8s.KubeConfig, esoDir: string): Promise<void> {
  const crds: unknown[] = [];
  for (const doc of YAML.parseAllDocuments(readFileSync(path.join(esoDir, 'crds.yaml'), 'utf8'))) {
    const crd = doc.toJSON() as { kind?: string; spec: { conversion?: unknown } } | null;
    if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
    delete crd.spec.conversion;
    crds.push(crd);
  }
  const file = path.join(requireEnv('SECRETSOURCE_RUN_DIR'), 'eso-crds.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }));
  execFileSync(requireEnv('KUBECTL'), ['apply', '--server-side', '--force-conflicts', '-f', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Established before the first ExternalSecret is created.
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  for (const name of ['externalsecrets.external-secrets.io', 'secretstores.external-secrets.io']) {
    for (let i = 0; ; i++) {
      const crd = await api.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (i > 100) throw new Error(`${name} not Established`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function main(): Promise<void> {
  const s = settings(process.env);
  const log = (message: string): void =>
    console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
  const loadAtStart = loadavg()[0]!;
  if (!existsSync(path.join(repoRoot, 'dist/cli/main.js')))
    throw new Error('dist/ is missing: npm run build');
  const kc = adminKubeConfig();
  const ctx: SuiteContext = {
    s,
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    log,
  };
  log(
    `BACKEND=${s.backend} N=${s.n} SCENARIOS=${s.scenarios.join(',')} OPERATORS=${s.operators.join(',')} ` +
      `PROFILES=${s.profiles.join(',')} load average=${loadAtStart.toFixed(2)}`,
  );
  await installCrds(kc);
  await installOperatorRbac(kc);
  const operators: BenchedOperator[] = [];
  for (const kind of s.operators) {
    if (kind === 'secretsource') {
      for (const profile of secretSourceProfiles(s.tunedConcurrency)) {
        if (s.profiles.includes(profile.name)) operators.push(new SecretSourceOperator(kc, profile));
      }
    } else {
      const esoDir = process.env.ESO_DIR;
      if (!esoDir)
        throw new Error('OPERATORS=eso needs ESO_DIR (make bench-compare builds it: e2e/tools/build-eso.sh)');
      await installEsoCrds(kc, esoDir);
      for (const profile of esoProfiles(s.tunedConcurrency)) {
        if (s.profiles.includes(profile.name)) {
          operators.push(new EsoOperator(path.join(esoDir, 'external-secrets'), profile));
        }
      }
    }
  }

  const wanted = new Set(s.scenarios);
  const runs = new Map<ScenarioName, ScenarioRun[]>();
  const keep = (found: Partial<Record<ScenarioName, ScenarioRun>>): void => {
    for (const [name, run] of Object.entries(found) as [ScenarioName, ScenarioRun][]) {
      if (wanted.has(name)) runs.set(name, [...(runs.get(name) ?? []), run]);
    }
  };
  for (const op of operators) {
    log(`--- ${op.label}: ${op.profile.args.join(' ') || '(no flags: its defaults)'}`);
    if (wanted.has('cold') || wanted.has('steady') || wanted.has('restart'))
      keep(await runSynced(ctx, op, false));
    if (wanted.has('cold-distinct') || wanted.has('churn')) keep(await runSynced(ctx, op, true));
    if (wanted.has('burst')) keep({ burst: await runBurst(ctx, op) });
  }

  // The ceiling, once per concurrency used, with no operator running.
  const ceilings: Ceiling[] = [];
  const needsCeiling = ['cold', 'cold-distinct', 'burst'].some((name) => wanted.has(name as ScenarioName));
  if (needsCeiling) {
    const pids = serverPids(
      s.backend === 'aws' ? 'moto' : s.backend === 'azure' ? 'azure-keyvault' : 'openbao',
    );
    for (const concurrency of [...new Set(operators.map((op) => op.profile.concurrency))]) {
      ceilings.push(
        await measureCeiling({ kc, n: s.n, concurrency, createConcurrency: s.createConcurrency, pids, log }),
      );
    }
  }

  const compare = s.operators.includes('eso');
  const { operators: _o, profiles: _p, ...recorded } = s;
  for (const scenario of s.scenarios) {
    const report = scenarioReport({
      scenario,
      backend: s.backend,
      n: s.n,
      loadAtStart,
      settings: { ...recorded, operators: s.operators, profiles: s.profiles },
      ceilings,
      runs: runs.get(scenario) ?? [],
    });
    await writeReport(report, compare);
  }
}

/** bench/results/[compare-]<scenario>-<backend>-<N>.json, as prettier formats JSON; cold gets a chart. */
async function writeReport(report: ScenarioReport, compare: boolean): Promise<void> {
  const base = `${compare ? 'compare-' : ''}${report.scenario}-${report.backend}-${report.n}`;
  const file = path.join(repoRoot, 'bench', 'results', `${base}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    await prettier.format(JSON.stringify(report, null, 2), {
      ...(await prettier.resolveConfig(file)),
      parser: 'json',
    }),
  );
  const written = [path.relative(process.cwd(), file)];
  const charts = report.runs.filter((run) => Array.isArray(run.detail.readyOverTime));
  const charted =
    charts.find((run) => run.operator === 'secretsource' && run.profile === 'tuned') ?? charts[0];
  if (charted) {
    const chart = file.replace(/\.json$/, '.svg');
    writeFileSync(
      chart,
      readyChartSvg({
        title: `${report.scenario}: ${report.n} objects on ${report.backend}, ${charted.operator} ${charted.profile}, ${report.date.slice(0, 10)}, ${report.code.commit.slice(0, 7)}`,
        n: report.n,
        samples: charted.detail.readyOverTime as [number, number][],
        marks:
          typeof charted.detail.secondsToLeader === 'number'
            ? [{ label: 'leader', atSeconds: charted.detail.secondsToLeader }]
            : [],
      }),
    );
    written.push(path.relative(process.cwd(), chart));
  }
  console.log(`\n${reportTable(report)}\nwritten to ${written.join(' and ')}\n`);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
