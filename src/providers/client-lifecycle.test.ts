import { nextLifecycle, type Lifecycle, type LifecycleEvent } from './client-lifecycle.js';

const building: Lifecycle = { state: 'building' };
const abandoned: Lifecycle = { state: 'abandoned' };
const ready = (inFlight: number): Lifecycle => ({ state: 'ready', inFlight });
const retiring = (inFlight: number): Lifecycle => ({ state: 'retiring', inFlight });
const closed: Lifecycle = { state: 'closed' };

// prettier-ignore
const table: [Lifecycle, LifecycleEvent, Lifecycle, boolean][] = [
  // from       event            to            close now
  [building,    'built',         ready(0),     false],
  [building,    'build-failed',  closed,       false],
  [building,    'retire',        abandoned,    false],
  [building,    'force-close',   abandoned,    false],
  [abandoned,   'built',         closed,       true],
  [abandoned,   'build-failed',  closed,       false],
  [ready(0),    'call-started',  ready(1),     false],
  [ready(2),    'call-finished', ready(1),     false],
  [ready(0),    'retire',        closed,       true],
  [ready(2),    'retire',        retiring(2),  false],
  [ready(2),    'force-close',   closed,       true],
  [retiring(2), 'call-finished', retiring(1),  false],
  [retiring(1), 'call-finished', closed,       true],
  [retiring(1), 'call-started',  retiring(2),  false],
  [retiring(1), 'retire',        retiring(1),  false],
  [retiring(1), 'force-close',   closed,       true],
  [closed,      'call-finished', closed,       false],
  [closed,      'retire',        closed,       false],
  [closed,      'force-close',   closed,       false],
];

test.each(table)('%o + %s → %o (close: %s)', (from, event, to, close) => {
  expect(nextLifecycle(from, event)).toEqual({ next: to, close });
});

test('a client is closed exactly once, whatever order retirement and its calls end in', () => {
  const orders: LifecycleEvent[][] = [
    ['built', 'call-started', 'call-started', 'retire', 'call-finished', 'call-finished', 'force-close'],
    ['built', 'call-started', 'force-close', 'call-finished', 'retire'],
    ['retire', 'built', 'call-started', 'call-finished'],
    ['built', 'retire', 'retire', 'force-close'],
  ];
  for (const events of orders) {
    let state: Lifecycle = building;
    let closes = 0;
    for (const event of events) {
      const step = nextLifecycle(state, event);
      state = step.next;
      if (step.close) closes++;
    }
    expect({ events, closes, state: state.state }).toEqual({ events, closes: 1, state: 'closed' });
  }
});
