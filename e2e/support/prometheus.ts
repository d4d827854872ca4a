// The operator's /metrics (Prometheus text format) as samples, for the e2e tests and the bench: one
// parser, so a test that reads a counter and the bench that sums it agree on what a line means.
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

export type Labels = Readonly<Record<string, string>>;

// name, optional {labels}, value, optional timestamp. Label values may hold escaped quotes.
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const ESCAPE = /\\(["\\n])/g;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL))
      labels[key!] = value!.replace(ESCAPE, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return parseMetrics(await response.text());
}

/** The sum of `name` over the label sets `filter` accepts. */
export function total(
  samples: readonly Sample[],
  name: string,
  filter: (labels: Labels) => boolean = () => true,
): number {
  return samples.filter((s) => s.name === name && filter(s.labels)).reduce((sum, s) => sum + s.value, 0);
}

/** The value of the first sample of `name` whose labels include all of `labels`, or undefined. */
export function valueOf(samples: readonly Sample[], name: string, labels: Labels): number | undefined {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  )?.value;
}

/** The values of every sample of `name`. */
export function valuesOf(samples: readonly Sample[], name: string): number[] {
  return samples.filter((s) => s.name === name).map((s) => s.value);
}

/** `name` summed per value of one label (or of several joined by "/"), zero entries left out. */
export function totalBy(
  samples: readonly Sample[],
  name: string,
  labels: readonly string[],
): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const key = labels.map((label) => sample.labels[label] ?? '').join('/');
    sums[key] = (sums[key] ?? 0) + sample.value;
  }
  return Object.fromEntries(Object.entries(sums).filter(([, value]) => value !== 0));
}

/** after - before, per key; keys that did not change are left out. */
export function difference(
  after: Readonly<Record<string, number>>,
  before: Readonly<Record<string, number>>,
): Record<string, number> {
  const keys = new Set([...Object.keys(after), ...Object.keys(before)]);
  const result: Record<string, number> = {};
  for (const key of [...keys].sort()) {
    const delta = (after[key] ?? 0) - (before[key] ?? 0);
    if (delta !== 0) result[key] = delta;
  }
  return result;
}

export function sumOf(values: Readonly<Record<string, number>>): number {
  return Object.values(values).reduce((sum, value) => sum + value, 0);
}
