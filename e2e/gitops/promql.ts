// The metric names a PromQL expression reads, found the simple way that is still right for the
// expressions we write: skip string literals, label matchers {…}, ranges and subqueries […],
// numbers and durations, the label lists of by/without/on/ignoring/group_left/group_right, and
// function and aggregation names (an identifier followed by "("). Every identifier left is a
// metric name. And the names a /metrics exposition offers: each family, plus _bucket, _sum and
// _count for a histogram, _sum and _count for a summary.

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** The index just past the quoted string starting at `start`. */
function skipString(text: string, start: number): number {
  const quote = text[start]!;
  let i = start + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' && quote !== '`' ? 2 : 1;
  return i + 1;
}

/** The index just past the bracket that closes the one at `start`, strings inside skipped. */
function skipGroup(text: string, start: number, open: string, close: string): number {
  let depth = 0;
  for (let i = start; i < text.length;) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') i = skipString(text, i);
    else {
      if (c === open) depth++;
      else if (c === close && --depth === 0) return i + 1;
      i++;
    }
  }
  throw new Error(`unbalanced ${open}${close} in: ${text}`);
}

export function metricNamesIn(expr: string): string[] {
  // Grafana's label_values(metric, label) reads only the metric; the label is not a name.
  const labelValues = /^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/.exec(expr);
  if (labelValues) return metricNamesIn(labelValues[1]!);
  const names = new Set<string>();
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') i = skipString(expr, i);
    else if (c === '{') i = skipGroup(expr, i, '{', '}');
    else if (c === '[') i = skipGroup(expr, i, '[', ']');
    // A number or a duration (14, 0.95, 5m, 1h30m); 1e+3's "+3" is then a number of its own.
    else if (/[0-9.]/.test(c)) i += /^[0-9.][0-9a-zA-Z.]*/.exec(expr.slice(i))![0].length;
    else if (/[a-zA-Z_:$]/.test(c)) {
      const word = /^[$a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))![0];
      i += word.length;
      const rest = expr.slice(i);
      const next = /^\s*(.)/.exec(rest)?.[1];
      // `sum by (job) (…)`: an aggregation whose clause comes before its argument.
      const aggregation = next === '(' || /^\s*(by|without)\s*\(/.test(rest);
      if (LABEL_LIST_KEYWORDS.has(word)) {
        if (next === '(') i = skipGroup(expr, i + rest.indexOf('('), '(', ')');
      } else if (!aggregation && !KEYWORDS.has(word.toLowerCase()) && !word.startsWith('$')) {
        names.add(word);
      }
    } else i++;
  }
  return [...names].sort();
}

/** Every series name a Prometheus text exposition can have, from its # TYPE lines. */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const match of exposition.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) {
    const [, name, type] = match as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}
