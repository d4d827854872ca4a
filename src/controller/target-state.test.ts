import type { AppliedSecret } from '../secrets/target.js';
import type { LiveSecret } from './ports.js';
import { liveMatches } from './target-state.js';

const MANAGER = 'secretsource.dev/db';

function desired(overrides: Partial<AppliedSecret> = {}): AppliedSecret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'ns', labels: { l: '1' }, annotations: { a: '1' } },
    type: 'Opaque',
    data: { k: 'dg==' },
    ...overrides,
  };
}

function live(fieldsV1: object, overrides: Partial<LiveSecret> = {}): LiveSecret {
  return {
    metadata: {
      labels: { l: '1' },
      annotations: { a: '1' },
      managedFields: [{ manager: MANAGER, operation: 'Apply', fieldsV1 }],
    },
    type: 'Opaque',
    data: { k: 'dg==', extra: 'eA==' },
    ...overrides,
  };
}

const ours = {
  'f:data': { 'f:k': {} },
  'f:metadata': { 'f:labels': { 'f:l': {} }, 'f:annotations': { 'f:a': {} } },
  'f:type': {},
};

test('our fields with our values match, whatever others added', () => {
  expect(liveMatches(live(ours), desired(), MANAGER)).toBe(true);
});

test('a value of ours changed, a key of ours no longer owned, or one we still own but no longer want: no match', () => {
  expect(liveMatches(live(ours, { data: { k: 'eA==' } }), desired(), MANAGER)).toBe(false);
  expect(liveMatches(live({ ...ours, 'f:data': {} }), desired(), MANAGER)).toBe(false);
  const stale = { ...ours, 'f:metadata': { ...ours['f:metadata'], 'f:labels': { 'f:l': {}, 'f:old': {} } } };
  expect(liveMatches(live(stale), desired(), MANAGER)).toBe(false);
});

test('another manager’s entry does not count as ours', () => {
  const secret = live(ours);
  secret.metadata!.managedFields = [{ manager: 'secretsource-operator', operation: 'Apply', fieldsV1: ours }];
  expect(liveMatches(secret, desired(), MANAGER)).toBe(false);
});

test('a Merge source (no type in its configuration) does not judge the type', () => {
  const { 'f:type': _type, ...merged } = ours;
  expect(liveMatches(live(merged, { type: 'example.com/x' }), desired({ type: undefined }), MANAGER)).toBe(
    true,
  );
});

test('the ownerReference and immutability must be as wanted', () => {
  const owner = {
    apiVersion: 'v',
    kind: 'SecretSource',
    name: 'db',
    uid: 'u',
    controller: true,
    blockOwnerDeletion: true,
  };
  const withOwner = desired({ metadata: { ...desired().metadata, ownerReferences: [owner] } });
  expect(liveMatches(live(ours), withOwner, MANAGER)).toBe(false);
  expect(liveMatches(live(ours), desired({ immutable: true }), MANAGER)).toBe(false);
});
