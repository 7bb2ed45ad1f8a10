/** Tells {@link retryOnConflict} to re-read and try again. */
export const CONFLICT = Symbol('conflict');

/** Options of {@link retryOnConflict}. */
export interface RetryOnConflictOptions {
  maxAttempts: number;
  sleep: (ms: number) => Promise<void>;
  random?: () => number;
  /** Thrown when every attempt met a conflict. */
  onExhausted: () => Error;
}

/**
 * Runs an optimistic read-decide-write `attempt` until it commits, backing off
 * with full jitter between conflicts (many writers on one order take turns
 * instead of colliding in lockstep), for a bounded number of attempts.
 */
export async function retryOnConflict<T>(
  attempt: (attemptNumber: number) => Promise<T | typeof CONFLICT>,
  options: RetryOnConflictOptions,
): Promise<T> {
  const random = options.random ?? Math.random;
  for (let n = 1; n <= options.maxAttempts; n++) {
    const result = await attempt(n);
    if (result !== CONFLICT) return result;
    if (n < options.maxAttempts) {
      await options.sleep(Math.floor(random() * Math.min(250, 10 * 2 ** Math.min(n, 5))));
    }
  }
  throw options.onExhausted();
}

/** A real timer, for production use. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
