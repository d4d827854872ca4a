import { TargetIndex } from './target-index.js';

test('finds every SecretSource writing a Secret, in its own namespace only', () => {
  const index = new TargetIndex();
  index.set('payments/a', 'app');
  index.set('payments/b', 'app');
  index.set('billing/c', 'app');
  expect(index.writersOf('payments/app').sort()).toEqual(['payments/a', 'payments/b']);
  expect(index.writersOf('billing/app')).toEqual(['billing/c']);
  expect(index.writersOf('payments/other')).toEqual([]);
});

test('a changed target moves the source; a deleted source is forgotten', () => {
  const index = new TargetIndex();
  index.set('payments/a', 'app');
  index.set('payments/a', 'other');
  expect(index.writersOf('payments/app')).toEqual([]);
  expect(index.writersOf('payments/other')).toEqual(['payments/a']);
  index.delete('payments/a');
  expect(index.writersOf('payments/other')).toEqual([]);
  index.delete('payments/unknown'); // no-op
});
