import { type BackoffOptions, fullJitterBackoff } from './backoff.js';

/** Between conflicts: short, because the other writer is already done. */
const CONFLICT_BACKOFF: BackoffOptions = { baseMs: 10, capMs: 250 };

/** Tells {@link retryOnConflict} to re-read and try again. */
export const CONFLICT = Symbol('conflict');

/** Options of {@link retryOnConflict}. */
export interface RetryOnConflictOptions {
  maxAttempts: number;
  sleep: (ms: number) => Promise<void>;
  random?: () => number;
  /** Epoch ms after which no new attempt starts (e.g. the Lambda's own deadline). */
  deadline?: number;
  /** Clock in epoch ms, for the deadline. */
  now?: () => number;
  /** Thrown when every attempt met a conflict, or the deadline came first. */
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
  const now = options.now ?? Date.now;
  for (let n = 1; n <= options.maxAttempts; n++) {
    const result = await attempt(n);
    if (result !== CONFLICT) return result;
    if (n === options.maxAttempts) break;
    const delay = fullJitterBackoff(n + 1, CONFLICT_BACKOFF, random);
    // Give up while there is still time to answer, rather than be killed mid-way.
    if (options.deadline !== undefined && now() + delay >= options.deadline) break;
    await options.sleep(delay);
  }
  throw options.onExhausted();
}

/** A real timer, for production use. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
