// What every provider's find() and batched reads share: the name pattern, compiled as every user
// pattern is (RE2, src/secrets/user-regexp.ts), and a bounded number of reads in flight.
import { UserRegexp, UserRegexpError } from '../secrets/user-regexp.js';
import { InvalidRefError, type ErrorSubject } from './errors.js';

/** The find name pattern; undefined when none is given. A bad pattern is an InvalidRefError. */
export function compileFindPattern(name: string | undefined, subject: ErrorSubject): UserRegexp | undefined {
  if (name === undefined || name === '') return undefined;
  try {
    return UserRegexp.compile(name);
  } catch (error) {
    if (!(error instanceof UserRegexpError)) throw error;
    throw new InvalidRefError(subject, `find name: ${error.message}`);
  }
}

/** Runs tasks with at most `limit` in flight; the first rejection rejects (others keep running). */
export async function runLimited(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
