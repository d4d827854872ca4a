import { findCondition, setCondition } from './conditions.js';

const t0 = new Date('2026-11-26T10:00:00Z');
const t1 = new Date('2026-11-26T11:00:00Z');

test('a new condition gets the current time as its transition time', () => {
  const conditions = setCondition(
    undefined,
    { type: 'Ready', status: 'True', reason: 'Synced', message: 'ok' },
    t0,
  );
  expect(conditions).toEqual([
    { type: 'Ready', status: 'True', reason: 'Synced', message: 'ok', lastTransitionTime: t0.toISOString() },
  ]);
});

test('the transition time moves only when the status flips', () => {
  const first = setCondition(
    undefined,
    { type: 'Ready', status: 'False', reason: 'AuthFailed', message: 'a' },
    t0,
  );
  const same = setCondition(
    first,
    { type: 'Ready', status: 'False', reason: 'RemoteNotFound', message: 'b' },
    t1,
  );
  expect(findCondition(same, 'Ready')).toMatchObject({
    reason: 'RemoteNotFound',
    lastTransitionTime: t0.toISOString(),
  });
  const flipped = setCondition(same, { type: 'Ready', status: 'True', reason: 'Synced', message: 'c' }, t1);
  expect(findCondition(flipped, 'Ready')?.lastTransitionTime).toBe(t1.toISOString());
});

test('other condition types are kept', () => {
  const a = setCondition(undefined, { type: 'Stalled', status: 'False', reason: 'x', message: '' }, t0);
  const b = setCondition(a, { type: 'Ready', status: 'True', reason: 'Synced', message: '' }, t0);
  expect(b.map((c) => c.type).sort()).toEqual(['Ready', 'Stalled']);
});
