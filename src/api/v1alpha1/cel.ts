// The CRDs' own CEL rules (x-kubernetes-validations), evaluated offline as the API server
// evaluates them: the same rule text, a CEL evaluator (@bufbuild/cel) and RE2 for matches() (re2js,
// as the API server's cel-go uses RE2). `secretsource validate` runs them, so a manifest it passes
// is one the API server admits as far as these rules go; the TypeScript twins the operator parses
// with (schema-builders.ts celRule) are cross-checked against them by cel.test.ts.
//
// Offline there is no stored object, so a transition rule (one naming oldSelf) cannot be evaluated:
// such a rule is skipped and listed by skippedTransitionRules (the CRDs hold none today).
import { isCelError, parse, plan, celEnv, type CelInput } from '@bufbuild/cel';
import { RE2JS } from 're2js';
import { buildCrds } from './crd.js';
import { celRuleProblems } from './parse.js';
import type { JSONSchemaProps, ValidationRule } from './schema-builders.js';

type Program = (bindings: { self: CelInput }) => unknown;

const env = celEnv({
  // matches() in Kubernetes CEL is RE2's unanchored search.
  re2: {
    compile: (pattern) => {
      const compiled = RE2JS.compile(pattern);
      return { test: (text) => compiled.matcher(text).find() };
    },
  },
});
const programs = new Map<string, Program>();

function programOf(rule: string): Program {
  let program = programs.get(rule);
  if (!program) {
    program = plan(env, parse(rule)) as unknown as Program;
    programs.set(rule, program);
  }
  return program;
}

const TRANSITION = /\boldSelf\b/;

/** JSON as CEL sees a Kubernetes object: objects are maps, integral numbers are ints. */
export function celValue(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(celValue);
  if (typeof value === 'object' && value !== null)
    return new Map(Object.entries(value).map(([key, child]) => [key, celValue(child)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value as CelInput;
}

/** What one rule said of one value: held, broken, or could not be evaluated (a shape the schema refuses). */
export type RuleVerdict = 'holds' | 'broken' | 'error';

export function evaluateRule(rule: ValidationRule, self: unknown): RuleVerdict {
  try {
    const result = programOf(rule.rule)({ self: celValue(self) });
    if (isCelError(result)) return 'error';
    return result === true ? 'holds' : 'broken';
  } catch {
    return 'error';
  }
}

/**
 * Every CEL rule of `schema` that `value` breaks, as `path: message` (the form parse.ts reports).
 * A rule that cannot be evaluated on this value (a shape the schema refuses, reported by the
 * schema check) and a transition rule are left out.
 */
export function celRuleViolations(
  schema: JSONSchemaProps,
  value: unknown,
  path: readonly string[] = [],
): string[] {
  return celRuleProblems(
    schema,
    value,
    path,
    (rule, self) => TRANSITION.test(rule.rule) || evaluateRule(rule, self) !== 'broken',
  );
}

const specSchemas = new Map(
  buildCrds().map((crd) => [
    crd.spec.names.kind,
    crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!,
  ]),
);

/** The CRD rules an object of one of our kinds breaks (an unknown kind: none). */
export function crdRuleViolations(object: { kind?: unknown; spec?: unknown }): string[] {
  const schema = typeof object.kind === 'string' ? specSchemas.get(object.kind) : undefined;
  return schema === undefined ? [] : celRuleViolations(schema, object.spec, ['spec']);
}

/** The transition rules (naming oldSelf) offline validation skips, as `Kind: rule`. */
export function skippedTransitionRules(): string[] {
  const skipped: string[] = [];
  const visit = (kind: string, schema: JSONSchemaProps): void => {
    for (const rule of schema['x-kubernetes-validations'] ?? [])
      if (TRANSITION.test(rule.rule)) skipped.push(`${kind}: ${rule.rule}`);
    for (const child of Object.values(schema.properties ?? {})) visit(kind, child);
    if (schema.items) visit(kind, schema.items);
    if (schema.additionalProperties) visit(kind, schema.additionalProperties);
  };
  for (const [kind, schema] of specSchemas) visit(kind, schema);
  return skipped;
}
