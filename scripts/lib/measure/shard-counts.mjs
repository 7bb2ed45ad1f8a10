// @ts-check
/**
 * The shard count of each write-sharded index (lib/payment/indexes.ts), for
 * the scripts that run on plain Node (the bench's write-unit meter, the chaos
 * run). test/unit/shards.test.ts keeps them equal to the library's.
 */
export const SHARD_COUNTS = /** @type {const} */ ({
  'outbox-due': 64,
  'payments-by-status-shard': 32,
  'charges-unfinalized': 32,
});
