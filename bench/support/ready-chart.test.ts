import { readyChartSvg, tickStep } from './ready-chart.js';

describe('tickStep', () => {
  it.each([
    [1000, 200],
    [37, 10],
    [8.5, 2],
    [0, 1],
  ])('max %d: step %d', (max, step) => expect(tickStep(max)).toBe(step));
});

describe('readyChartSvg', () => {
  const svg = readyChartSvg({
    title: 'sync 1000 <openbao>',
    n: 1000,
    samples: [
      [0.5, 0],
      [2, 300],
      [4, 1000],
    ],
    marks: [{ label: 'leader', atSeconds: 1.2 }],
  });

  it('is one svg document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('draws a step line through every observation', () => {
    const points = /<polyline[^>]* points="([^"]*)"/.exec(svg)![1]!.split(' ');
    // Each observation after the first adds a horizontal then a vertical segment.
    expect(points).toHaveLength(3 * 2 - 1);
    const ys = points.map((p) => Number(p.split(',')[1]));
    expect(ys[0]).toBeGreaterThan(ys.at(-1)!); // 0 Ready at the bottom, 1000 at the top
  });

  it('labels the axes with round ticks and escapes text', () => {
    for (const tick of ['>0<', '>200<', '>1000<', '>4<']) expect(svg).toContain(tick);
    expect(svg).toContain('sync 1000 &lt;openbao&gt;');
    expect(svg).toContain('>leader<');
  });
});
