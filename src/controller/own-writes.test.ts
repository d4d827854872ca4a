import { OwnWrites } from './own-writes.js';

const synced = { observedGeneration: 2, syncedHash: 'sha256:b' };
const stale = { observedGeneration: 1, syncedHash: 'sha256:a' };

test('our last status write wins over an informer copy of the same generation', () => {
  const writes = new OwnWrites();
  writes.recordStatus('ns/a', 'uid-1', 2, synced);
  expect(writes.status('ns/a', 'uid-1', 2, stale)).toBe(synced);
});

test('a new generation, another uid or no write means the observed status stands', () => {
  const writes = new OwnWrites();
  expect(writes.status('ns/a', 'uid-1', 2, stale)).toBe(stale);
  writes.recordStatus('ns/a', 'uid-1', 2, synced);
  expect(writes.status('ns/a', 'uid-1', 3, stale)).toBe(stale);
  expect(writes.status('ns/a', 'uid-2', 2, stale)).toBe(stale);
  writes.forget('ns/a');
  expect(writes.status('ns/a', 'uid-1', 2, stale)).toBe(stale);
});

test('the finalizer we set or removed is remembered for the same object only', () => {
  const writes = new OwnWrites();
  expect(writes.finalizer('ns/a', 'uid-1', false)).toBe(false);
  writes.recordFinalizer('ns/a', 'uid-1', true);
  expect(writes.finalizer('ns/a', 'uid-1', false)).toBe(true);
  expect(writes.finalizer('ns/a', 'uid-2', false)).toBe(false);
});
