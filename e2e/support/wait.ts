// The one way the e2e tests wait: poll a condition until it holds (eventually), or, where a test
// must show that something stays so, check it over a span (holdsFor). No test sleeps and then
// asserts: a "nothing happened" check first waits for the event that would have made something
// happen (a refresh that ran: e2e/support/refreshes.ts), then looks. A timeout says what was awaited
// and what was seen last, never a secret value (the checks' own errors name keys, not values).

export interface WaitOptions {
  /** How long to keep trying (default 20 s). */
  timeoutMs?: number;
  /** Pause between two tries (default 200 ms). */
  intervalMs?: number;
  /** What is awaited, for the failure message: "SecretSource db Ready=True". */
  describe?: string;
}

/** A wait that ran out of time: what was awaited, for how long, and the last thing seen. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly awaited: string,
    readonly timeoutMs: number,
    readonly lastSeen: unknown,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${awaited}; last seen: ${describeSeen(lastSeen)}`);
    this.name = 'WaitTimeoutError';
  }
}

const options = (given: WaitOptions | number | undefined): WaitOptions =>
  typeof given === 'number' ? { timeoutMs: given } : (given ?? {});

/**
 * Retries `check` until it stops throwing (returns its result) or the time is up: then throws a
 * WaitTimeoutError with `describe` and `check`'s last error. A number is the timeout in ms.
 */
export async function eventually<T>(check: () => Promise<T>, given?: WaitOptions | number): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 200, describe } = options(given);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        // Without a description the check's own message says what was awaited.
        if (describe === undefined && error instanceof Error) {
          error.message = `timed out after ${timeoutMs} ms: ${error.message}`;
          throw error;
        }
        throw new WaitTimeoutError(describe ?? 'a condition', timeoutMs, error);
      }
      await pause(intervalMs);
    }
  }
}

export interface HoldOptions extends Omit<WaitOptions, 'timeoutMs'> {
  /** Ends the span early once this is true (checked after each check). */
  until?: () => boolean;
}

/**
 * Checks `check` again and again for `spanMs` (or until `until()`): it must hold every time, the
 * first failure is thrown at once, naming `describe`. For what must stay so while something else
 * is shown to happen (a Secret never blanked while its reads are throttled), and for sampling.
 */
export async function holdsFor(
  check: () => Promise<void>,
  spanMs: number,
  given: HoldOptions = {},
): Promise<void> {
  const { intervalMs = 200, describe = 'a condition', until } = given;
  const end = Date.now() + spanMs;
  for (;;) {
    try {
      await check();
    } catch (error) {
      throw new Error(`${describe} stopped holding: ${describeSeen(error)}`, { cause: error });
    }
    if (Date.now() >= end || until?.() === true) return;
    await pause(intervalMs);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeSeen(seen: unknown): string {
  if (seen instanceof Error) return seen.message;
  return typeof seen === 'string' ? seen : JSON.stringify(seen);
}
