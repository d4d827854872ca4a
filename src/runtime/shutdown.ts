// SIGTERM/SIGINT handling: run the cleanup once (finish in-flight work, release the lease), and exit
// no later than a hard deadline, which must sit inside the pod's terminationGracePeriodSeconds.
import { systemClock, type Clock } from '../kube/clock.js';
import { serializeError } from './logger.js';

export type ShutdownSignal = 'SIGTERM' | 'SIGINT';

export interface SignalSource {
  on(signal: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
  off(signal: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
}

export interface ShutdownLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface ShutdownOptions {
  /** Longest the cleanup may run before the process exits anyway; default 25s (Kubernetes' grace period is 30s). */
  timeoutMs?: number;
  signals?: readonly ShutdownSignal[];
  process?: SignalSource;
  exit?: (code: number) => void;
  clock?: Clock;
  logger?: ShutdownLogger;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * Runs `cleanup` on the first SIGTERM or SIGINT, then exits 0 (1 if it failed or overran the timeout).
 * Later signals do not start it again; a second SIGINT (Ctrl-C twice) exits at once.
 * Returns a function that removes the signal listeners.
 */
export function onShutdownSignal(
  cleanup: (signal: ShutdownSignal) => Promise<void>,
  options: ShutdownOptions = {},
): () => void {
  const {
    timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS,
    signals = ['SIGTERM', 'SIGINT'],
    process: source = process,
    exit = (code: number) => process.exit(code),
    clock = systemClock,
    logger,
  } = options;
  let started = false;
  let finished = false;

  const finish = (code: number): void => {
    if (finished) return;
    finished = true;
    exit(code);
  };

  const listener = (signal: ShutdownSignal): void => {
    if (started) {
      if (signal === 'SIGINT') {
        logger?.warn({ signal }, 'second interrupt, exiting without waiting for cleanup');
        finish(1);
      } else {
        logger?.info({ signal }, 'shutdown already in progress');
      }
      return;
    }
    started = true;
    logger?.info({ signal, timeoutMs }, 'shutting down');
    const deadline = clock.setTimeout(() => {
      logger?.error({ timeoutMs }, 'shutdown did not finish in time, exiting');
      finish(1);
    }, timeoutMs);
    Promise.resolve()
      .then(() => cleanup(signal))
      .then(
        () => {
          clock.clearTimeout(deadline);
          logger?.info({}, 'shutdown complete');
          finish(0);
        },
        (error: unknown) => {
          clock.clearTimeout(deadline);
          logger?.error({ err: serializeError(error) }, 'shutdown cleanup failed');
          finish(1);
        },
      );
  };

  for (const signal of signals) source.on(signal, listener);
  return () => {
    for (const signal of signals) source.off(signal, listener);
  };
}
