// Decides which failures of a retry loop to log, so a loop that fails every 2 s for hours says so
// without flooding the log: the first failure, a failure different from the one before, and the
// same failure again once per interval, with how many attempts failed meanwhile.

export interface FailureReport {
  /** Attempts that failed since this run of failures began, this one included. */
  failedAttempts: number;
}

export class FailureLogThrottle {
  readonly #intervalMs: number;
  #run: { failedAttempts: number; lastMessage: string; loggedAt: number } | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** A failure with this message at `now`; returns what to log, or undefined to stay quiet. */
  failed(message: string, now: number): FailureReport | undefined {
    const run = this.#run;
    if (run === undefined || run.lastMessage !== message || now - run.loggedAt >= this.#intervalMs) {
      const failedAttempts = (run?.failedAttempts ?? 0) + 1;
      this.#run = { failedAttempts, lastMessage: message, loggedAt: now };
      return { failedAttempts };
    }
    run.failedAttempts += 1;
    return undefined;
  }

  /** A success ends the run; returns how many attempts it had failed (0 when none had). */
  succeeded(): number {
    const failedAttempts = this.#run?.failedAttempts ?? 0;
    this.#run = undefined;
    return failedAttempts;
  }
}
