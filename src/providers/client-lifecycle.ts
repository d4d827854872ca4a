// The life of one built provider client, as one state machine: the cache asks `nextLifecycle`
// what an event does, instead of keeping flags. A client is built, serves calls, is retired when
// a newer one replaces it or its provider goes away, finishes the calls it has, and is closed
// exactly once. The table of every transition is client-lifecycle.test.ts.

export type Lifecycle =
  | { state: 'building' }
  /** Dropped while building: closed as soon as the build finishes. */
  | { state: 'abandoned' }
  | { state: 'ready'; inFlight: number }
  /** Replaced or dropped: takes no new work, finishes what it has. */
  | { state: 'retiring'; inFlight: number }
  | { state: 'closed' };

export type LifecycleEvent =
  | 'built'
  | 'build-failed'
  | 'call-started'
  | 'call-finished'
  /** A newer client replaced it, or its provider changed or went idle. */
  | 'retire'
  /** Shutdown: close now, whatever is in flight. */
  | 'force-close';

export interface LifecycleStep {
  next: Lifecycle;
  /** Close the client now (at most once in a client's life). */
  close: boolean;
}

const closed: Lifecycle = { state: 'closed' };

export function nextLifecycle(current: Lifecycle, event: LifecycleEvent): LifecycleStep {
  const stay = { next: current, close: false };
  switch (current.state) {
    case 'building':
      if (event === 'built') return { next: { state: 'ready', inFlight: 0 }, close: false };
      if (event === 'build-failed') return { next: closed, close: false };
      if (event === 'retire' || event === 'force-close')
        return { next: { state: 'abandoned' }, close: false };
      return stay;
    case 'abandoned':
      if (event === 'built') return { next: closed, close: true };
      if (event === 'build-failed') return { next: closed, close: false };
      return stay;
    case 'ready':
    case 'retiring': {
      const { inFlight } = current;
      const retiring = current.state === 'retiring';
      if (event === 'call-started') return { next: { ...current, inFlight: inFlight + 1 }, close: false };
      if (event === 'force-close') return { next: closed, close: true };
      const remaining = event === 'call-finished' ? Math.max(0, inFlight - 1) : inFlight;
      if (event === 'retire' || (event === 'call-finished' && retiring)) {
        return remaining === 0
          ? { next: closed, close: true }
          : { next: { state: 'retiring', inFlight: remaining }, close: false };
      }
      if (event === 'call-finished') return { next: { state: 'ready', inFlight: remaining }, close: false };
      return stay;
    }
    case 'closed':
      return stay;
  }
}
