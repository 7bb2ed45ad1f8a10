/** Bounds of a capped exponential backoff. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, in ms. */
  baseMs: number;
  /** No delay ever exceeds this, in ms. */
  capMs: number;
}

/**
 * Capped exponential backoff with full jitter ("Exponential Backoff And
 * Jitter", AWS Architecture Blog): a delay drawn uniformly from
 * [0, min(cap, base * 2^(attempt-1))). Full jitter spreads retries of many
 * callers that failed together, so they do not come back in lockstep.
 * `attempt` is 1-based (the first retry); `random` is injectable for tests.
 */
export function fullJitterBackoff(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  // 2^exponent overflows to Infinity for large attempts; min() keeps it at the cap.
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}
