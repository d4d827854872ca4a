import {
  fieldLeaves,
  fieldsTree,
  ownedSecretFields,
  withoutLegacyFields,
  type ManagedFieldsEntry,
} from './managed-fields.js';

/** The manager an older version applied every Secret as (the caller names it; src/kube knows no names). */
const LEGACY_FIELD_MANAGER = 'secretsource-operator';

// A managedFields entry as the API server writes it for an applied Secret.
const applied: ManagedFieldsEntry = {
  manager: 'secretsource.dev/db',
  operation: 'Apply',
  apiVersion: 'v1',
  fieldsType: 'FieldsV1',
  fieldsV1: {
    'f:data': { 'f:password': {}, 'f:user.name': {} },
    'f:metadata': {
      'f:annotations': { 'f:secretsource.dev/source': {} },
      'f:labels': { 'f:secretsource.dev/managed': {} },
      'f:ownerReferences': { 'k:{"uid":"u-1"}': {} },
    },
    'f:type': {},
  },
};
const edited: ManagedFieldsEntry = {
  manager: 'kubectl-edit',
  operation: 'Update',
  fieldsV1: { 'f:data': { '.': {}, 'f:extra': {} } },
};

test('what one manager owns, read from its Apply entry only', () => {
  const owned = ownedSecretFields([applied, edited], 'secretsource.dev/db');
  expect([...owned.data].sort()).toEqual(['password', 'user.name']);
  expect([...owned.labels]).toEqual(['secretsource.dev/managed']);
  expect([...owned.annotations]).toEqual(['secretsource.dev/source']);
  expect([...owned.ownerReferences]).toEqual(['u-1']);
  expect(owned.type).toBe(true);
  expect(owned.immutable).toBe(false);
  expect(ownedSecretFields([edited], 'kubectl-edit').data.size).toBe(0); // an Update is not ours
  expect(ownedSecretFields(undefined, 'x').data.size).toBe(0);
});

test('leaves and trees round-trip, with the "." markers the API server writes', () => {
  const leaves = fieldLeaves(applied.fieldsV1);
  expect(leaves).toContainEqual(['f:data', 'f:password']);
  expect(leaves).toContainEqual(['f:metadata', 'f:ownerReferences', 'k:{"uid":"u-1"}']);
  const tree = fieldsTree(leaves);
  expect(tree['f:data']).toEqual({ '.': {}, 'f:password': {}, 'f:user.name': {} });
  expect(
    fieldLeaves(tree)
      .map((p) => p.join('|'))
      .sort(),
  ).toEqual(leaves.map((p) => p.join('|')).sort());
  expect(fieldLeaves('garbage')).toEqual([]);
});

test('migration: a whole-Secret source takes the legacy entry away; a Merge source only its fields', () => {
  const legacy: ManagedFieldsEntry = {
    manager: LEGACY_FIELD_MANAGER,
    operation: 'Apply',
    fieldsV1: { 'f:data': { 'f:password': {}, 'f:theirs': {} } },
  };
  const ours: ManagedFieldsEntry = {
    manager: 'secretsource.dev/db',
    operation: 'Apply',
    fieldsV1: { 'f:data': { 'f:password': {} } },
  };
  expect(withoutLegacyFields([legacy, ours], LEGACY_FIELD_MANAGER, 'secretsource.dev/db', true)).toEqual([
    ours,
  ]);
  const merged = withoutLegacyFields([legacy, ours], LEGACY_FIELD_MANAGER, 'secretsource.dev/db', false)!;
  expect(merged).toHaveLength(2);
  expect(fieldLeaves(merged[0]!.fieldsV1)).toEqual([['f:data', 'f:theirs']]);
  // Nothing left to take: no patch.
  const rest = { ...legacy, fieldsV1: { 'f:data': { 'f:theirs': {} } } };
  expect(
    withoutLegacyFields([rest, ours], LEGACY_FIELD_MANAGER, 'secretsource.dev/db', false),
  ).toBeUndefined();
  expect(withoutLegacyFields([ours], LEGACY_FIELD_MANAGER, 'secretsource.dev/db', true)).toBeUndefined();
});
