// The leak report of the operator fixture (leakLocations, support/operator.ts), without servers: a
// registered value in a text is reported by where it is (stream and line, as text or base64), and
// the report never holds the value itself, so a failing test can print it.
import { randomBytes } from 'node:crypto';
import { leakLocations } from './operator.js';

const value = randomBytes(16).toString('hex');

test('a leak is reported by its place: stream, line and form, never the value', () => {
  const texts = [
    { where: 'operator output (pid 1)', text: `{"msg":"ok"}\n{"msg":"read ${value}"}` },
    { where: 'Event ns/e1', text: JSON.stringify({ message: Buffer.from(value).toString('base64') }) },
    { where: 'Event ns/e2', text: 'nothing here' },
  ];
  const found = leakLocations(texts, [value]);
  expect(found).toEqual([
    'operator output (pid 1) line 2: registered value #1 (text)',
    'Event ns/e1 line 1: registered value #1 (base64)',
  ]);
  expect(found.join('\n')).not.toContain(value);
  expect(found.join('\n')).not.toContain(Buffer.from(value).toString('base64'));
});

test('no registered value, no leak', () => {
  expect(leakLocations([{ where: 'operator output (pid 1)', text: 'all quiet' }], [value])).toEqual([]);
});
