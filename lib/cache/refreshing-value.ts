/** Options of {@link RefreshingValue}. */
export interface RefreshingValueOptions<V> {
  /** Reads the value from its source (SSM); a rejection is a failed load. */
  load: () => Promise<V>;
  /** How long a loaded value is served before the next read loads it again. */
  maxAgeMs: number;
  /**
   * The least time between two loads that a caller forces with `refresh()`,
   * and between two attempts after a failed load: bounds what a flood of
   * unknown key ids, or a throttled source, can cost.
   */
  minIntervalMs: number;
  /** Told of each failed load (to log it); a stale value may still be served. */
  onError?: (error: unknown, servingStale: boolean) => void;
  /** Clock in epoch ms (injectable for tests). */
  now?: () => number;
}

/**
 * One value read from a slow, rarely changing source (a key or a secret in
 * SSM), kept for `maxAgeMs` and then read again, one load at a time. When a
 * reload fails, the previous value keeps being served (a throttled source
 * must not take the service down) and the load is tried again after
 * `minIntervalMs`; only when no value was ever loaded does `get()` reject.
 */
export class RefreshingValue<V> {
  readonly #load: () => Promise<V>;
  readonly #maxAgeMs: number;
  readonly #minIntervalMs: number;
  readonly #now: () => number;
  readonly #onError: ((error: unknown, servingStale: boolean) => void) | undefined;
  #value: { value: V; loadedAt: number } | undefined;
  #flight: Promise<V> | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #lastFailed = false;

  constructor(options: RefreshingValueOptions<V>) {
    if (!(options.maxAgeMs >= 0) || !(options.minIntervalMs >= 0)) {
      throw new RangeError('maxAgeMs and minIntervalMs must be >= 0');
    }
    this.#load = options.load;
    this.#maxAgeMs = options.maxAgeMs;
    this.#minIntervalMs = options.minIntervalMs;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError;
  }

  /** The value: the kept one while it is fresh, else the result of one shared load. */
  get(): Promise<V> {
    const now = this.#now();
    const kept = this.#value;
    if (kept && now - kept.loadedAt < this.#maxAgeMs) return Promise.resolve(kept.value);
    // A stale value whose reload just failed is served until the next attempt is due.
    if (kept && this.#lastFailed && now - this.#lastAttemptAt < this.#minIntervalMs) {
      return Promise.resolve(kept.value);
    }
    return this.#start();
  }

  /**
   * Loads the value again before its time (a token names a key we do not
   * know), at most once per `minIntervalMs`. Answers whether a new load ran.
   */
  async refresh(): Promise<boolean> {
    if (this.#flight) {
      await this.#flight.catch(() => undefined);
      return true;
    }
    if (this.#now() - this.#lastAttemptAt < this.#minIntervalMs) return false;
    await this.#start().catch(() => undefined);
    return true;
  }

  #start(): Promise<V> {
    if (this.#flight) return this.#flight;
    this.#lastAttemptAt = this.#now();
    const flight = (async () => {
      try {
        const value = await this.#load();
        this.#value = { value, loadedAt: this.#now() };
        this.#lastFailed = false;
        return value;
      } catch (error) {
        this.#lastFailed = true;
        this.#onError?.(error, this.#value !== undefined);
        if (this.#value) return this.#value.value;
        throw error;
      } finally {
        this.#flight = undefined;
      }
    })();
    this.#flight = flight;
    return flight;
  }
}
