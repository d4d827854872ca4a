import { nextStep, RestartReason, type AttemptEnd, type NextStep } from './informer-restart.js';

const step = (
  next: NextStep['next'],
  restart: RestartReason | undefined,
  backoff: boolean,
  down: boolean,
  reportError: boolean,
): NextStep => ({ next, ...(restart ? { restart } : {}), backoff, down, reportError });

// prettier-ignore
const table: [string, AttemptEnd, NextStep][] = [
  ['list ok → watch',                { attempt: 'list', result: 'ok' },                              step('watch', undefined, false, false, false)],
  ['list failed → list after backoff', { attempt: 'list', result: 'failed' },                        step('list', RestartReason.Error, true, true, true)],
  ['list stopped',                   { attempt: 'list', result: 'stopped' },                         step('stop', undefined, false, false, false)],
  ['watch closed',                   { attempt: 'watch', result: 'closed', unproductive: false },     step('watch', RestartReason.WatchEnded, false, false, false)],
  ['watch closed at once',           { attempt: 'watch', result: 'closed', unproductive: true },      step('watch', RestartReason.WatchEnded, true, true, false)],
  ['watch gone → relist',            { attempt: 'watch', result: 'gone', unproductive: false },       step('list', RestartReason.Gone, false, false, false)],
  ['watch gone at once → relist after backoff', { attempt: 'watch', result: 'gone', unproductive: true }, step('list', RestartReason.Gone, true, true, false)],
  ['watch failed',                   { attempt: 'watch', result: 'failed', unproductive: false },     step('watch', RestartReason.Error, true, true, true)],
  ['watch failed at once',           { attempt: 'watch', result: 'failed', unproductive: true },      step('watch', RestartReason.Error, true, true, true)],
  ['watch silent → watch again now', { attempt: 'watch', result: 'silent', unproductive: false },     step('watch', RestartReason.Silence, false, true, false)],
  ['relist due → list now',          { attempt: 'watch', result: 'relist-due', unproductive: false }, step('list', RestartReason.Relist, false, false, false)],
  ['watch stopped',                  { attempt: 'watch', result: 'stopped', unproductive: true },     step('stop', undefined, false, false, false)],
];

test.each(table)('%s', (_name, end, expected) => {
  expect(nextStep(end)).toEqual(expected);
});

test('the restart reasons are the values logs and metrics show', () => {
  expect(Object.values(RestartReason)).toEqual(['watch-ended', 'gone', 'silence', 'error', 'relist']);
});
