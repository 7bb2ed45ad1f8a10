import { shardKey, shardKeys } from '../shared/shards.js';

// The payment service's three GSIs whose hash key many payments share, each
// write-sharded: an item's key is `<value>#NN`, NN a stable hash of its own
// id modulo the index's shard count. A shard count is the writes per payment
// on one value's key, divided by 0.1 (the budget per partition and
// payment: 10,000 payments/s at ~1,000 WCU/s a partition), rounded up to a
// power of two for headroom (docs/performance.md, "No hot partition").
// Writers and readers must agree on it, so each is a constant, not a setting:
// raising one needs readers of both counts while old items drain.

/**
 * The sparse GSI of due events (hash `outboxStatus`, range `nextAttemptAt`):
 * the outbox items, PENDING and DEAD only. An event its request delivered
 * never has one (it is recorded on its payment item: payment-store.ts).
 */
export const OUTBOX_DUE_INDEX = 'outbox-due';
/**
 * None while deliveries succeed; in an outage 4 writes per payment on
 * `PENDING` (2 events, each put and removed): 4 / 0.1 = 40 → 64 (0.0625 each).
 */
export const OUTBOX_DUE_SHARDS = 64;

/** The event's `outboxStatus`: its status and its shard (from its eventId). */
export function outboxDueKey(status: 'PENDING' | 'DEAD', eventId: string): string {
  return shardKey(status, eventId, OUTBOX_DUE_SHARDS);
}

/** Every `outboxStatus` key of `status`. */
export function outboxDueKeys(status: 'PENDING' | 'DEAD'): string[] {
  return shardKeys(status, OUTBOX_DUE_SHARDS);
}

/**
 * The operator's GSI of payments by status, newest first (hash
 * `statusShard`, range `createdAt`): final payments (SUCCEEDED, FAILED).
 * No event is in it (each entry would cost a write unit): the outbox view
 * derives its deliveries of the last hour from the final payments.
 */
export const STATUS_INDEX = 'payments-by-status-shard';
/** The hash key attribute of {@link STATUS_INDEX}; only final payment items carry it. */
export const STATUS_SHARD_ATTRIBUTE = 'statusShard';
/**
 * 1 write per payment on its status: 1 / 0.1 = 10 → 16 would do; kept at 32
 * (it was 2 on `DELIVERED` while delivered events were listed), since
 * writers and readers must agree on it (see above).
 */
export const STATUS_SHARDS = 32;

/** The `statusShard` of an item: its status and its shard (from its own id). */
export function statusShardKey(status: string, id: string): string {
  return shardKey(status, id, STATUS_SHARDS);
}

/** Every `statusShard` key of `status`. */
export function statusShardKeys(status: string): string[] {
  return shardKeys(status, STATUS_SHARDS);
}

/**
 * The query of one {@link STATUS_INDEX} shard's payments created at or after
 * `since` (ISO time): the pulse's payments of a window, the outbox view's
 * payments of the last hour.
 */
export function statusSinceQuery(table: string, shard: string, since: string) {
  return {
    TableName: table,
    IndexName: STATUS_INDEX,
    KeyConditionExpression: '#shard = :shard AND createdAt >= :from',
    ExpressionAttributeNames: { '#shard': STATUS_SHARD_ATTRIBUTE },
    ExpressionAttributeValues: { ':shard': shard, ':from': since },
  };
}

/** The sparse GSI of charges whose payment's effects may still be lost (hash: the marker, range: createdAt). */
export const UNFINALIZED_INDEX = 'charges-unfinalized';

/**
 * The marker attribute that puts a charge in {@link UNFINALIZED_INDEX}: set
 * when the charge is created, removed only once its payment is final and each
 * of its events delivered or in the outbox (`ChargeStore.unlist`).
 */
export const UNFINALIZED_ATTRIBUTE = 'unfinalized';

/** The marker's value before its shard. */
export const UNFINALIZED_MARKER = 'Y';
/** 2 writes per payment on `Y` (the guard's put, its removal): 2 / 0.1 = 20 → 32. */
export const UNFINALIZED_SHARDS = 32;

/** The marker of one charge: `Y` and its shard (from its transactionId). */
export function unfinalizedMarker(transactionId: string): string {
  return shardKey(UNFINALIZED_MARKER, transactionId, UNFINALIZED_SHARDS);
}

/** Every marker value (the index's hash keys). */
export function unfinalizedMarkers(): string[] {
  return shardKeys(UNFINALIZED_MARKER, UNFINALIZED_SHARDS);
}
