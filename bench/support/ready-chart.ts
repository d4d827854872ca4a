// An SVG chart of SecretSources Ready over time for one bench run, written by hand (no chart
// library): a step line through the bench's readiness observations, axes with round ticks, and a
// mark where the operator became leader.

export interface ReadyChart {
  title: string;
  /** SecretSources in the run: the top of the y axis. */
  n: number;
  /** [seconds since the operator's spawn, SecretSources Ready], in time order. */
  samples: readonly (readonly [number, number])[];
  /** Vertical marks, e.g. when the operator became leader. */
  marks?: readonly { label: string; atSeconds: number }[];
}

const WIDTH = 720;
const HEIGHT = 400;
const MARGIN = { top: 40, right: 24, bottom: 48, left: 64 };

/** A round step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
export function tickStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? 10 * power;
  return step;
}

function ticks(max: number): number[] {
  const step = tickStep(max);
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const escapeXml = (text: string): string =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

const fixed = (v: number): string => String(Math.round(v * 10) / 10);

export function readyChartSvg(chart: ReadyChart): string {
  const last = chart.samples.at(-1)?.[0] ?? 0;
  const maxT = Math.max(last, ...(chart.marks ?? []).map((m) => m.atSeconds), 1);
  const maxY = Math.max(chart.n, 1);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (t: number) => MARGIN.left + (t / maxT) * plotW;
  const y = (ready: number) => MARGIN.top + plotH - (ready / maxY) * plotH;

  // A step after each observation: the count holds until the next one says otherwise.
  const points: string[] = [];
  let previous: number | undefined;
  for (const [t, ready] of chart.samples) {
    if (previous !== undefined) points.push(`${fixed(x(t))},${fixed(y(previous))}`);
    points.push(`${fixed(x(t))},${fixed(y(ready))}`);
    previous = ready;
  }

  const xTicks = ticks(maxT).map(
    (t) =>
      `<line x1="${fixed(x(t))}" y1="${MARGIN.top + plotH}" x2="${fixed(x(t))}" y2="${MARGIN.top + plotH + 5}" stroke="#444"/>` +
      `<text x="${fixed(x(t))}" y="${MARGIN.top + plotH + 20}" text-anchor="middle">${t}</text>`,
  );
  const yTicks = ticks(maxY).map(
    (v) =>
      `<line x1="${MARGIN.left}" y1="${fixed(y(v))}" x2="${MARGIN.left + plotW}" y2="${fixed(y(v))}" stroke="#ddd"/>` +
      `<text x="${MARGIN.left - 8}" y="${fixed(y(v) + 4)}" text-anchor="end">${v}</text>`,
  );
  const marks = (chart.marks ?? []).map(
    (m) =>
      `<line x1="${fixed(x(m.atSeconds))}" y1="${MARGIN.top}" x2="${fixed(x(m.atSeconds))}" y2="${MARGIN.top + plotH}" stroke="#c60" stroke-dasharray="4 3"/>` +
      `<text x="${fixed(x(m.atSeconds) + 4)}" y="${MARGIN.top + 14}" fill="#c60">${escapeXml(m.label)}</text>`,
  );

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(chart.title)}</text>`,
    ...yTicks,
    ...xTicks,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#444"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#444"/>`,
    ...marks,
    `<polyline fill="none" stroke="#1f6fb4" stroke-width="2" points="${points.join(' ')}"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">seconds since the operator started</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">SecretSources Ready</text>`,
    '</svg>',
    '',
  ].join('\n');
}
