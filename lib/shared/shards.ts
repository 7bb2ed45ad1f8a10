/**
 * Write sharding of an index's hash key: an item that many others share a
 * key with (every PENDING event, every unfinalized charge) is written under
 * `<value>#<shard>`, its shard a stable hash of the item's own id, so the
 * writes of many payments spread over `count` partitions instead of one.
 * Readers query every shard of a value and merge (docs/performance.md,
 * "No hot partition").
 */

/** Index key, DynamoDB style. */
export type Key = Record<string, unknown>;

/** The shard of an id: FNV-1a (32 bits) over its UTF-16 code units, modulo `count`. Stable across runtimes. */
export function shardOf(id: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/** `value#NN`: the sharded hash key of an item whose own id is `id`. */
export function shardKey(value: string, id: string, count: number): string {
  return shardName(value, shardOf(id, count));
}

/** Every sharded hash key of `value`, in shard order (what a reader queries). */
export function shardKeys(value: string, count: number): string[] {
  return Array.from({ length: count }, (_, shard) => shardName(value, shard));
}

function shardName(value: string, shard: number): string {
  return `${value}#${String(shard).padStart(2, '0')}`;
}

/** One page of one shard's query, in the index's order. */
export interface ShardPage<T> {
  items: T[];
  lastKey?: Key;
}

/** Options of {@link readShardsMerged}. */
export interface MergedReadOptions<T> {
  /** The hash key values to read (see {@link shardKeys}). */
  shards: readonly string[];
  /** Reads one page of one shard, from `startKey` (none: its beginning), at most `limit` items. */
  readPage: (shard: string, startKey: Key | undefined, limit: number) => Promise<ShardPage<T>>;
  /** The order every shard's query returns its items in, and the merged order. */
  compare: (a: T, b: T) => number;
  /** At most this many items in all. */
  limit: number;
  /**
   * Items asked of a shard per query (default: its even share of `limit`, plus
   * slack). A shard whose page runs out while it may still hold the next
   * item is read again, so the merge is exact whatever the page size.
   */
  pageSize?: number;
  /**
   * Without it, a failing shard fails the whole read. With it, a failing
   * shard is reported here and left out of this read (its items stay for
   * the next one); if every shard fails, the read fails.
   */
  onShardFailure?: (shard: string, error: unknown) => void;
}

/** What {@link readShardsMerged} read. */
export interface MergedRead<T> {
  /** At most `limit` items, merged in `compare` order. */
  items: T[];
  /** True when every shard was read to its end and all of it is in `items`. */
  exhausted: boolean;
  /** The shards left out because they failed (only with `onShardFailure`). */
  failedShards: string[];
}

interface ShardState<T> {
  shard: string;
  buffer: T[];
  /** Where its next page starts; undefined before the first page. */
  next?: Key;
  /** Its last page had no LastEvaluatedKey: nothing beyond `buffer`. */
  ended: boolean;
  started: boolean;
  failed: boolean;
}

/**
 * Reads the first `limit` items, in `compare` order, of several shards of
 * one index: every shard is queried in parallel, and a k-way merge takes the
 * next item from whichever shard holds it, reading a shard again (never all
 * of it) when its page runs out first. Bounded: about `shards × pageSize +
 * limit` items are read. Never a Scan.
 */
export async function readShardsMerged<T>(options: MergedReadOptions<T>): Promise<MergedRead<T>> {
  const { shards, compare, limit } = options;
  const pageSize =
    options.pageSize ?? Math.min(limit, Math.ceil((2 * limit) / Math.max(1, shards.length)) + 2);
  const states: ShardState<T>[] = shards.map((shard) => ({
    shard,
    buffer: [],
    ended: false,
    started: false,
    failed: false,
  }));
  const failures: { shard: string; error: unknown }[] = [];

  const refill = async (state: ShardState<T>) => {
    try {
      const page = await options.readPage(state.shard, state.next, Math.max(1, pageSize));
      state.started = true;
      state.buffer = page.items;
      state.next = page.lastKey;
      state.ended = page.lastKey === undefined;
    } catch (error) {
      if (!options.onShardFailure) throw error;
      state.failed = true;
      failures.push({ shard: state.shard, error });
      options.onShardFailure(state.shard, error);
    }
  };
  const needsPage = (s: ShardState<T>) => !s.failed && s.buffer.length === 0 && !s.ended;

  const items: T[] = [];
  while (items.length < limit) {
    // Every shard that may hold the next item has its head in memory first.
    const empty = states.filter(needsPage);
    if (empty.length > 0) {
      await Promise.all(empty.map(refill));
      if (failures.length === states.length) throw failures[0]?.error;
      continue;
    }
    let best: ShardState<T> | undefined;
    for (const state of states) {
      const head = state.buffer[0];
      if (head === undefined) continue;
      const bestHead = best?.buffer[0];
      if (bestHead === undefined || compare(head, bestHead) < 0) best = state;
    }
    if (!best) break;
    items.push(best.buffer.shift() as T);
  }
  const exhausted = states.every((s) => !s.failed && s.ended && s.buffer.length === 0);
  return { items, exhausted, failedShards: failures.map((f) => f.shard) };
}

/** One page of a count or a collection: its items, or only their `count` (Select COUNT). */
export interface CountedPage<T> {
  items?: T[];
  count?: number;
  lastKey?: Key;
}

/**
 * Reads every shard page by page, in parallel, until all of them end or
 * `cap` items were seen in all (a budget the shards share, so the read stays
 * near `cap`, not `cap` per shard). A failing shard fails the read: a count
 * that left one out would be wrong without saying so. `capped` is true when
 * a shard stopped before its end; below the cap the count is exact.
 */
export async function collectShards<T>(
  shards: readonly string[],
  cap: number,
  readPage: (shard: string, startKey: Key | undefined) => Promise<CountedPage<T>>,
): Promise<{ items: T[]; count: number; capped: boolean }> {
  const items: T[] = [];
  let total = 0;
  let capped = false;
  await Promise.all(
    shards.map(async (shard) => {
      let startKey: Key | undefined;
      do {
        const page = await readPage(shard, startKey);
        items.push(...(page.items ?? []));
        total += page.count ?? page.items?.length ?? 0;
        startKey = page.lastKey;
      } while (startKey && total < cap);
      if (startKey) capped = true;
    }),
  );
  return { items: items.slice(0, cap), count: Math.min(total, cap), capped };
}

/**
 * The share of an index's shards that one of several concurrent runs owns
 * (the relay's scheduled fan-out): shard `s` belongs to slice `s % of`.
 * Runs of different slices read disjoint shards, so they never list the
 * same item; the conditional claims keep them correct even if they did.
 */
export interface ShardSlice {
  /** 0-based, below `of`. */
  index: number;
  /** How many slices the shards are split into. */
  of: number;
}

/** The keys of `keys` (every shard of a value, in shard order) that `slice` owns; all of them without one. */
export function keysOfSlice<T>(keys: readonly T[], slice?: ShardSlice): T[] {
  if (!slice || slice.of <= 1) return [...keys];
  return keys.filter((_key, shard) => shard % slice.of === slice.index % slice.of);
}
