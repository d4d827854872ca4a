// The one way a pattern a user wrote is run: `dataFrom[].rewrite[].regexp.source` and
// `dataFrom[].find.name.regexp`. JavaScript's RegExp backtracks, so a pattern like (a+)+$ on a
// 26-character name blocked the operator's only thread for seconds; RE2 (here re2js, a pure
// JavaScript port of Go's regexp) matches in time linear in the input whatever the pattern.
// It also speaks Go's syntax, which is what External Secrets Operator users write: (?P<name>…),
// (?i), (?s), (?U), \pL, [[:alpha:]]; backreferences and lookarounds do not exist there.
// Nothing else in src/ may build a RegExp from user input (eslint.config.js enforces it).
import { RE2JS } from 're2js';

/** Longest pattern accepted (the CRD allows no more either). */
export const MAX_USER_REGEXP_LENGTH = 1024;
/** Largest compiled program accepted, in RE2 instructions; ordinary patterns need well under 200. */
export const MAX_USER_REGEXP_PROGRAM_SIZE = 2_000;
/** Longest text a pattern is run on. */
export const MAX_USER_REGEXP_INPUT_LENGTH = 1024;

/** Why a pattern is refused; the message quotes the pattern's own text at most, never a value. */
export class UserRegexpError extends Error {
  override readonly name = 'UserRegexpError';
}

/** A compiled user pattern (RE2 semantics: Go's regexp). */
export class UserRegexp {
  readonly #re: RE2JS;

  private constructor(re: RE2JS) {
    this.#re = re;
  }

  /** Compiles `source` (Go/RE2 syntax), or throws UserRegexpError saying why not. */
  static compile(source: string): UserRegexp {
    if (source.length > MAX_USER_REGEXP_LENGTH) {
      throw new UserRegexpError(`the pattern is longer than ${MAX_USER_REGEXP_LENGTH} characters`);
    }
    let re: RE2JS;
    try {
      re = RE2JS.compile(source);
    } catch (error) {
      const detail = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : '';
      throw new UserRegexpError(`not a valid regular expression (RE2 syntax): ${detail}`);
    }
    if (re.programSize() > MAX_USER_REGEXP_PROGRAM_SIZE) {
      throw new UserRegexpError(
        `the pattern compiles to ${re.programSize()} instructions, more than ${MAX_USER_REGEXP_PROGRAM_SIZE}`,
      );
    }
    return new UserRegexp(re);
  }

  /**
   * The most steps one search of `text` can take: RE2 visits each (instruction, position) pair at
   * most once, so a search is bounded by the program size times the input length, whatever the
   * pattern. Nothing here backtracks.
   */
  workBound(text: string): number {
    return this.#re.programSize() * (text.length + 1);
  }

  /** Whether the pattern matches anywhere in `text` (unanchored, like Go's MatchString). */
  test(text: string): boolean {
    checkInput(text);
    return this.#re.test(text);
  }

  /**
   * Go's Regexp.ReplaceAllString: every match replaced by `template` expanded as Go's
   * Regexp.Expand does ($1, ${1}, $name, ${name}, $$). An empty match right after a previous
   * match is not replaced (Go's rule, unlike String.replace).
   */
  replaceAll(text: string, template: string): string {
    checkInput(text);
    const matcher = this.#re.matcher(text);
    const names = this.#re.namedGroups() as Record<string, number>;
    const groups = this.#re.groupCount();
    const group = (reference: number | string): string => {
      if (typeof reference === 'number') return reference <= groups ? (matcher.group(reference) ?? '') : '';
      return Object.hasOwn(names, reference) ? (matcher.group(reference) ?? '') : '';
    };
    let out = '';
    let lastMatchEnd = 0;
    let searchPos = 0;
    while (searchPos <= text.length && matcher.find(searchPos)) {
      const start = matcher.start();
      const end = matcher.end();
      out += text.slice(lastMatchEnd, start);
      if (end > lastMatchEnd || start === 0) out += expand(template, group);
      lastMatchEnd = end;
      // Go's stepping: past an empty match by one character (a surrogate pair is one).
      const width = (text.codePointAt(searchPos) ?? 0) > 0xffff ? 2 : 1;
      if (searchPos + width > end) searchPos += width;
      else if (searchPos + 1 > end) searchPos++;
      else searchPos = end;
    }
    return out + text.slice(lastMatchEnd);
  }
}

function checkInput(text: string): void {
  if (text.length > MAX_USER_REGEXP_INPUT_LENGTH) {
    throw new UserRegexpError(`the text is longer than ${MAX_USER_REGEXP_INPUT_LENGTH} characters`);
  }
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Go's Regexp.Expand for a string template; `group` returns a group's text, '' when unmatched or unknown. */
export function expand(template: string, group: (reference: number | string) => string): string {
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
    out += group(reference.index >= 0 ? reference.index : reference.name);
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
