import { SecretSpecError, SecretTemplateError } from './errors.js';
import {
  labelValueProblem,
  MAX_ANNOTATIONS_BYTES,
  mergeAnnotations,
  mergeLabels,
  qualifiedNameProblem,
} from './metadata.js';

test.each(['app', 'app.kubernetes.io/name', 'example.com/a_b-c.d', 'A1', 'constructor'])(
  '%s is a qualified name',
  (key) => {
    expect(qualifiedNameProblem(key)).toBeUndefined();
  },
);

test.each(['', '-app', 'app-', 'Example.com/app', 'a/', '/a', 'x'.repeat(64), '__proto__', 'a b'])(
  '%j is not a qualified name',
  (key) => {
    expect(qualifiedNameProblem(key)).toBeDefined();
  },
);

test('label values: empty or a name of at most 63 characters', () => {
  expect(labelValueProblem('')).toBeUndefined();
  expect(labelValueProblem('v1.2_3-x')).toBeUndefined();
  expect(labelValueProblem('x'.repeat(64))).toBeDefined();
  expect(labelValueProblem('has space')).toBeDefined();
});

test('literal and templated labels merge; a key in both is an error', () => {
  expect(mergeLabels({ literal: { team: 'a' }, templated: { env: 'prod', constructor: 'x' } })).toEqual({
    team: 'a',
    env: 'prod',
    constructor: 'x',
  });
  expect(() => mergeLabels({ literal: { env: 'a' }, templated: { env: 'b' } })).toThrow(
    new SecretSpecError('label env is set by both target.labels and target.template.labels'),
  );
});

test('a bad templated label value is InvalidTemplate naming the label, a bad literal one InvalidSpec', () => {
  expect(() => mergeLabels({ literal: {}, templated: { env: 'not valid!' } })).toThrow(SecretTemplateError);
  expect(() => mergeLabels({ literal: {}, templated: { env: 'not valid!' } })).toThrow(
    /^target\.template\.labels\["env"\]: the value of label env must be empty or/,
  );
  expect(() => mergeLabels({ literal: { env: 'not valid!' }, templated: {} })).toThrow(SecretSpecError);
});

test('bad keys are refused with where they came from', () => {
  expect(() => mergeAnnotations({ literal: { 'bad key': 'x' }, templated: {} })).toThrow(
    'target.annotations: annotation key "bad key" must be at most 63',
  );
  expect(() => mergeLabels({ literal: {}, templated: { '-x': 'y' } })).toThrow(
    'target.template.labels: label key "-x"',
  );
});

test('annotations may hold any text, up to 256 KiB in total', () => {
  expect(mergeAnnotations({ literal: { note: 'any text: ✓ {}' }, templated: {} })).toEqual({
    note: 'any text: ✓ {}',
  });
  expect(() =>
    mergeAnnotations({ literal: { big: 'x'.repeat(MAX_ANNOTATIONS_BYTES) }, templated: {} }),
  ).toThrow(/over the API server's 256 KiB limit/);
});
