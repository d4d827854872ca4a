// dataFrom[].rewrite: rename fetched keys with regular expressions, applied in
// order. Users bring these rules from External Secrets Operator, which runs
// them with Go's regexp; so do we (RE2, user-regexp.ts): matching follows
// ReplaceAllString and the replacement Go's Regexp.Expand ($1, ${1}, $name,
// ${name}, $$), in time linear in the key whatever the rule.
import type { Rewrite } from '../api/v1alpha1/index.js';
import { SecretSpecError } from './errors.js';
import { quoteKey } from './keys.js';
import { MAX_USER_REGEXP_INPUT_LENGTH, UserRegexp, UserRegexpError } from './user-regexp.js';

/** Keys longer than this are refused before any rule runs on them. */
export const MAX_REWRITE_INPUT_LENGTH = MAX_USER_REGEXP_INPUT_LENGTH;

export interface CompiledRewrite {
  readonly pattern: UserRegexp;
  readonly target: string;
  /** Where the rule sits, e.g. `dataFrom[1].rewrite[0]`. */
  readonly where: string;
}

/** Compiles the rules of one dataFrom entry; `where` is e.g. `dataFrom[1]`. */
export function compileRewrites(rules: readonly Readonly<Rewrite>[], where: string): CompiledRewrite[] {
  return rules.map((rule, index) => {
    const at = `${where}.rewrite[${index}]`;
    return {
      pattern: compileRule(rule.regexp.source, `${at}.regexp.source`),
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
    current = rule.pattern.replaceAll(current, rule.target);
  }
  return current;
}

function compileRule(source: string, where: string): UserRegexp {
  try {
    return UserRegexp.compile(source);
  } catch (error) {
    if (error instanceof UserRegexpError) throw new SecretSpecError(`${where}: ${error.message}`);
    throw error;
  }
}
