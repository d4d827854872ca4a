// Timers of any length. Node's setTimeout holds its delay in a signed 32-bit integer: a delay
// above 2^31-1 ms (24.8 days) is replaced by 1 ms, so a 30-day Vault token renewal or a 720h
// refresh would fire at once and re-arm in a busy loop. A long timeout here is a chain of timers
// of at most that length; cancelling it cancels whichever link is pending. Both clocks (the
// controller's and the providers') arm their timers through this one function.

/** The longest delay Node's setTimeout honours. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The timer functions a long timeout is built from: Node's own, or a test's. */
export interface TimerApi<Handle = unknown> {
  setTimeout(fn: () => void, ms: number): Handle;
  clearTimeout(handle: Handle): void;
}

export interface LongTimeout {
  /** Stops the timeout; `fn` will not run. Idempotent. */
  cancel(): void;
  /** Keep the process alive while pending (Node's `timer.ref()`), for this link and the next. */
  ref(): void;
  /** Let the process exit while pending (Node's `timer.unref()`), for this link and the next. */
  unref(): void;
}

export interface LongTimeoutOptions {
  /** Let the process exit while the timeout is pending (Node's `timer.unref()`). */
  unref?: boolean;
  timers?: TimerApi;
}

const nodeTimers: TimerApi = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Runs `fn` once after `ms` milliseconds, however many (a negative or NaN delay is 0; Infinity
 * never fires). The delay is counted in timer steps, not read from a clock, so a wall-clock jump
 * does not change it.
 */
export function setLongTimeout(fn: () => void, ms: number, options: LongTimeoutOptions = {}): LongTimeout {
  const timers = options.timers ?? nodeTimers;
  let remaining = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  let pending: { ref?: () => void; unref?: () => void } | undefined;
  let cancelled = false;
  let keepsAlive = !options.unref;
  const applyRef = (): void => {
    if (keepsAlive) pending?.ref?.();
    else pending?.unref?.();
  };
  const arm = (): void => {
    const step = Math.min(remaining, MAX_TIMER_DELAY_MS);
    remaining -= step;
    pending = timers.setTimeout(() => {
      if (cancelled) return;
      if (remaining > 0) arm();
      else fn();
    }, step) as typeof pending;
    if (!keepsAlive) applyRef();
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      timers.clearTimeout(pending);
    },
    ref: () => {
      keepsAlive = true;
      applyRef();
    },
    unref: () => {
      keepsAlive = false;
      applyRef();
    },
  };
}
