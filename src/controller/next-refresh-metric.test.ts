// secretsource_next_refresh_timestamp_seconds: when each SecretSource is next refreshed, as the
// work queue will wake it (not status.nextRefreshTime's hourly checkpoint), for dashboards that
// show the next rotation. Absent for sources refreshed only on change, and once a source is gone.
import { secretSource } from './testing/fixtures.js';
import { KEY, MINUTE, SECOND, START, World } from './testing/world.js';

let world: World;
beforeEach(() => {
  world = new World();
  world.backend.set('app/db', { password: world.secretValue() });
});
afterEach(() => {
  world.assertNoValueLeaks();
});

const nextRefreshCalls = () => world.metricCalls.filter(([method]) => method === 'nextRefresh');

test('each reconcile records the time the queue will wake the source: the refresh, not the checkpoint', async () => {
  world.put(secretSource({ spec: { refresh: { interval: '10m' } } }));
  const result = await world.sync();
  expect(result.requeueAfterMs).toBe(10 * MINUTE);
  expect(nextRefreshCalls().at(-1)).toEqual(['nextRefresh', 'payments', 'db', new Date(START + 10 * MINUTE)]);

  world.clock.advance(4 * MINUTE + 30 * SECOND);
  const quiet = await world.sync();
  expect(nextRefreshCalls().at(-1)).toEqual([
    'nextRefresh',
    'payments',
    'db',
    new Date(world.clock.now() + quiet.requeueAfterMs!),
  ]);
});

test('a source refreshed only on change has none; a deleted source loses it', async () => {
  world.put(secretSource({ spec: { refresh: { policy: 'OnChange' } } }));
  await world.sync();
  expect(nextRefreshCalls().at(-1)).toEqual(['nextRefresh', 'payments', 'db', undefined]);

  world.put(secretSource({ spec: { refresh: { interval: '10m' } } }));
  await world.sync();
  world.reconciler.forget(KEY);
  expect(nextRefreshCalls().at(-1)).toEqual(['nextRefresh', 'payments', 'db', undefined]);
});
