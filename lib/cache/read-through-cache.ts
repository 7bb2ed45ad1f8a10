/** Options of {@link ReadThroughCache}. */
export interface ReadThroughCacheOptions {
  /** How long a loaded value is served; 0 disables storing (loads are still coalesced). */
  ttlMs: number;
  /** Fraction of the TTL taken off at random per entry (0–1), so entries do not expire together. */
  jitterRatio?: number;
  /** Bound on stored entries; the oldest is evicted first. */
  maxEntries?: number;
  /** Clock in epoch ms (injectable for tests). */
  now?: () => number;
  /** Random source in [0, 1) (injectable for tests). */
  random?: () => number;
}

/** Loads the value of a key from the source of truth; `undefined` means absent (never cached). */
export type CacheLoader<V> = (key: string) => Promise<V | undefined>;

interface Flight<V> {
  promise: Promise<V | undefined>;
}

/**
 * A per-container read-through cache: TTL with jitter, one load per key at a
 * time (concurrent misses share it), and `invalidate` for writers in the same
 * container. Absent values and failed loads are not cached. It serves reads
 * only: a write must never be decided on what it returns.
 */
export class ReadThroughCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #flights = new Map<string, Flight<V>>();
  readonly #ttlMs: number;
  readonly #jitter: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(options: ReadThroughCacheOptions) {
    if (!(options.ttlMs >= 0)) throw new RangeError('ttlMs must be >= 0');
    this.#ttlMs = options.ttlMs;
    this.#jitter = Math.min(1, Math.max(0, options.jitterRatio ?? 0.2));
    this.#maxEntries = Math.max(1, options.maxEntries ?? 1000);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** The cached value of `key`, or the result of one shared call to `load`. */
  get(key: string, load: CacheLoader<V>): Promise<V | undefined> {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > this.#now()) return Promise.resolve(entry.value);
    if (entry) this.#entries.delete(key);
    const pending = this.#flights.get(key);
    if (pending) return pending.promise;

    const flight: Flight<V> = { promise: Promise.resolve(undefined) };
    flight.promise = (async () => {
      try {
        const value = await load(key);
        // Only the current flight may store: an invalidate() during the load
        // means the value may predate a write.
        if (value !== undefined && this.#flights.get(key) === flight) this.#store(key, value);
        return value;
      } finally {
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      }
    })();
    this.#flights.set(key, flight);
    return flight.promise;
  }

  /** Forgets `key`, including a load in flight, so the next read goes to the source. */
  invalidate(key: string): void {
    this.#entries.delete(key);
    this.#flights.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
    this.#flights.clear();
  }

  /** Number of stored entries (expired ones included until touched). */
  get size(): number {
    return this.#entries.size;
  }

  #store(key: string, value: V): void {
    if (this.#ttlMs === 0) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    const ttl = this.#ttlMs * (1 - this.#jitter * this.#random());
    this.#entries.set(key, { value, expiresAt: this.#now() + ttl });
  }
}
