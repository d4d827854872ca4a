// dataFrom[].rewrite: rename fetched keys with regular expressions, applied in
// order. Users bring these rules from External Secrets Operator, which runs
// them with Go's regexp, so the replacement follows Go's Regexp.Expand ($1,
// ${1}, $name, ${name}, $$) and matching follows ReplaceAllString.
//
// JavaScript regular expressions backtrack, RE2 does not: a rule like (a+)+$
// can stall the operator's only thread on a hostile key. Repetitions of a
// group that itself repeats or alternates are refused, and keys are bounded
// before any rule sees them.
import type { Rewrite } from '../api/v1alpha1/index.js';
import { SecretSpecError } from './errors.js';
import { quoteKey } from './keys.js';

/** Keys longer than this are refused before any rule runs on them. */
export const MAX_REWRITE_INPUT_LENGTH = 1024;

export interface CompiledRewrite {
  readonly pattern: RegExp;
  readonly target: string;
  /** Where the rule sits, e.g. `dataFrom[1].rewrite[0]`. */
  readonly where: string;
}

/** Compiles the rules of one dataFrom entry; `where` is e.g. `dataFrom[1]`. */
export function compileRewrites(rules: readonly Readonly<Rewrite>[], where: string): CompiledRewrite[] {
  return rules.map((rule, index) => {
    const at = `${where}.rewrite[${index}]`;
    return {
      pattern: compileGoRegexp(rule.regexp.source, `${at}.regexp.source`),
      target: rule.regexp.target,
      where: at,
    };
  });
}

/** `key` after every rule, in order. */
export function rewriteKey(key: string, rewrites: readonly CompiledRewrite[]): string {
  let current = key;
  for (const rule of rewrites) {
    if (current.length > MAX_REWRITE_INPUT_LENGTH) {
      throw new SecretSpecError(
        `${rule.where}: key ${quoteKey(current)} is longer than ${MAX_REWRITE_INPUT_LENGTH} characters`,
      );
    }
    current = replaceAll(rule.pattern, current, rule.target);
  }
  return current;
}

/**
 * A Go (RE2) pattern as a JavaScript RegExp with the global flag: `(?P<name>`
 * becomes `(?<name>`, and leading `(?i)`, `(?s)`, `(?m)` become flags.
 */
export function compileGoRegexp(source: string, where: string): RegExp {
  let body = source;
  let flags = 'g';
  const inline = /^\(\?([imsU]+)\)/.exec(body);
  if (inline) {
    if (inline[1]!.includes('U')) throw new SecretSpecError(`${where}: the (?U) flag is not supported`);
    flags += [...new Set(inline[1]!)].join('');
    body = body.slice(inline[0].length);
  }
  body = body.replace(/\(\?P</g, '(?<');
  const risk = backtrackingRisk(body);
  if (risk) throw new SecretSpecError(`${where}: ${risk}`);
  try {
    return new RegExp(body, flags);
  } catch {
    throw new SecretSpecError(`${where}: not a valid regular expression`);
  }
}

/**
 * Why `pattern` may take exponential time in a backtracking engine, or
 * undefined. Flags a repeated group (`*`, `+`, `{n,}`, `{n,m}` with m > 1)
 * whose body repeats or alternates: (a+)+, (a|ab)*, (x*y){2,}.
 */
export function backtrackingRisk(pattern: string): string | undefined {
  interface Frame {
    repeats: boolean;
    alternates: boolean;
  }
  const stack: Frame[] = [{ repeats: false, alternates: false }];
  let lastGroup: Frame | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const frame = stack[stack.length - 1]!;
    if (c === '\\') {
      i++;
      lastGroup = undefined;
      continue;
    }
    if (c === '[') {
      i = classEnd(pattern, i);
      lastGroup = undefined;
      continue;
    }
    if (c === '(') {
      stack.push({ repeats: false, alternates: false });
      lastGroup = undefined;
      continue;
    }
    if (c === ')') {
      const closed = stack.length > 1 ? stack.pop()! : undefined;
      if (closed && closed.repeats) stack[stack.length - 1]!.repeats = true;
      lastGroup = closed;
      continue;
    }
    if (c === '|') {
      frame.alternates = true;
      lastGroup = undefined;
      continue;
    }
    const quantifier = repetition(pattern, i);
    if (quantifier !== undefined) {
      if (quantifier.repeats) {
        if (lastGroup && (lastGroup.repeats || lastGroup.alternates)) {
          return 'a repeated group that itself repeats or alternates can take exponential time; use a character class or several rewrite rules';
        }
        frame.repeats = true;
      }
      i = quantifier.end;
      // A lazy or possessive marker belongs to the quantifier.
      if (pattern[i + 1] === '?') i++;
      lastGroup = undefined;
      continue;
    }
    lastGroup = undefined;
  }
  return undefined;
}

function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return pattern.length;
}

function repetition(pattern: string, i: number): { repeats: boolean; end: number } | undefined {
  const c = pattern[i];
  if (c === '*' || c === '+') return { repeats: true, end: i };
  if (c === '?') return { repeats: false, end: i };
  if (c === '{') {
    const bound = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
    if (!bound) return undefined;
    const upper = bound[2] === undefined ? Number(bound[1]) : bound[3] === '' ? Infinity : Number(bound[3]);
    return { repeats: upper > 1, end: i + bound[0].length - 1 };
  }
  return undefined;
}

/** Go's Regexp.ReplaceAllString: empty matches right after a match are not replaced. */
function replaceAll(pattern: RegExp, text: string, template: string): string {
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= text.length) {
    pattern.lastIndex = searchPos;
    const match = pattern.exec(text);
    if (!match) break;
    const start = match.index;
    const end = start + match[0].length;
    out += text.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expand(template, match);
    lastMatchEnd = end;
    const width = (text.codePointAt(searchPos) ?? 0) > 0xffff ? 2 : 1;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + text.slice(lastMatchEnd);
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Go's Regexp.Expand for a string template. */
export function expand(template: string, match: RegExpExecArray): string {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const reference = extractReference(rest);
    if (!reference) {
      out += '$';
      continue;
    }
    rest = reference.rest;
    out += reference.index >= 0 ? (match[reference.index] ?? '') : (match.groups?.[reference.name] ?? '');
  }
  return out + rest;
}

function extractReference(text: string): { name: string; index: number; rest: string } | undefined {
  let body = text;
  const brace = body.startsWith('{');
  if (brace) body = body.slice(1);
  let length = 0;
  for (const ch of body) {
    if (!NAME_CHAR.test(ch)) break;
    length += ch.length;
  }
  if (length === 0) return undefined;
  const name = body.slice(0, length);
  let consumed = length;
  if (brace) {
    if (body[length] !== '}') return undefined;
    consumed++;
  }
  let index = /^\d+$/.test(name) && name.length <= 8 ? Number(name) : -1;
  if (name.length > 1 && name.startsWith('0')) index = -1;
  return { name, index, rest: body.slice(consumed) };
}
