// What an informer does after one list or watch attempt ends: one pure
// function over one vocabulary, so every restart rule sits in one table
// (informer-restart.test.ts) instead of being spread over the loop.

/** Why a new list or watch began; reported with InformerEvent.Restarted. */
export enum RestartReason {
  /** The server closed the watch normally; watch again from the newest resourceVersion. */
  WatchEnded = 'watch-ended',
  /** The resourceVersion is too old (410 Gone): list again. */
  Gone = 'gone',
  /** Nothing, not even a bookmark, arrived for silenceLimitMs. */
  Silence = 'silence',
  /** A list or watch failed and was retried after backoff. */
  Error = 'error',
  /** The periodic full relist. */
  Relist = 'relist',
}

/** How one attempt ended. */
export type AttemptEnd =
  | { attempt: 'list'; result: 'ok' | 'failed' | 'stopped' }
  | {
      attempt: 'watch';
      /**
       * closed: the server ended the stream; gone: 410, by status or ERROR event; failed: the
       * request failed or an ERROR event other than 410 arrived; silent: the watchdog cut a
       * quiet stream; relist-due: the periodic relist cut it; stopped: stop() was called.
       */
      result: 'closed' | 'gone' | 'failed' | 'silent' | 'relist-due' | 'stopped';
      /** It ended sooner than minWatchDurationMs without delivering anything. */
      unproductive: boolean;
    };

export interface NextStep {
  next: 'list' | 'watch' | 'stop';
  /** Reported before the next attempt; none when a list is simply followed by its watch. */
  restart?: RestartReason;
  /** Wait out the backoff first: a failure, or a stream that keeps ending at once. */
  backoff: boolean;
  /** The cache is not being kept current from now on (health counts down from the first such moment). */
  down: boolean;
  /** Emit InformerEvent.Error: a list or watch failed. */
  reportError: boolean;
}

const STOP: NextStep = { next: 'stop', backoff: false, down: false, reportError: false };

export function nextStep(end: AttemptEnd): NextStep {
  if (end.result === 'stopped') return STOP;
  if (end.attempt === 'list') {
    return end.result === 'ok'
      ? { next: 'watch', backoff: false, down: false, reportError: false }
      : { next: 'list', restart: RestartReason.Error, backoff: true, down: true, reportError: true };
  }
  // A stream that ends at once, again and again (closed, or 410 right after each relist), must
  // not become a hot loop against the API server.
  const quick = end.unproductive;
  switch (end.result) {
    case 'closed':
      return {
        next: 'watch',
        restart: RestartReason.WatchEnded,
        backoff: quick,
        down: quick,
        reportError: false,
      };
    case 'gone':
      return { next: 'list', restart: RestartReason.Gone, backoff: quick, down: quick, reportError: false };
    case 'failed':
      return { next: 'watch', restart: RestartReason.Error, backoff: true, down: true, reportError: true };
    case 'silent':
      return {
        next: 'watch',
        restart: RestartReason.Silence,
        backoff: false,
        down: true,
        reportError: false,
      };
    case 'relist-due':
      return { next: 'list', restart: RestartReason.Relist, backoff: false, down: false, reportError: false };
  }
}
