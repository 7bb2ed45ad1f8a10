import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { byCodeUnit } from '../../shared/compare.js';
import { collectShards } from '../../shared/shards.js';
import { OUTBOX_DUE_INDEX, outboxDueKeys } from '../indexes.js';

/**
 * How many PENDING (or DEAD) events one read of the backlog takes at most, in
 * all shards together: the alarm's oldest-pending metric, the outbox view's
 * counts and the pulse all read this many, so below it they agree exactly,
 * and above it each says it stopped (a backlog that large alarms anyway).
 */
export const BACKLOG_READ_CAP = 10_000;

/** A PENDING or DEAD event as the backlog's readers need it: whose it is and when it was written. */
export interface DueEvent {
  eventId: string;
  transactionId: string;
  createdAt: string;
}

/**
 * Every `status` event of the sparse `outbox-due` index, read from every
 * shard in parallel, `cap` in all ({@link collectShards}: a failing shard
 * fails the read, `capped` says the cap stopped it). The one read behind the
 * oldest-pending metric, the outbox health and the pulse.
 */
export async function readDueEvents(
  doc: DynamoDBDocumentClient,
  table: string,
  status: 'PENDING' | 'DEAD',
  cap: number,
  pageLimit?: number,
): Promise<{ items: DueEvent[]; count: number; capped: boolean }> {
  return collectShards<DueEvent>(outboxDueKeys(status), cap, async (shard, startKey) => {
    const page = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: OUTBOX_DUE_INDEX,
        KeyConditionExpression: 'outboxStatus = :shard',
        ExpressionAttributeValues: { ':shard': shard },
        ProjectionExpression: 'eventId, transactionId, createdAt',
        ...(pageLimit !== undefined && { Limit: pageLimit }),
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      items: (page.Items ?? []).map((item) => ({
        eventId: String(item.eventId),
        transactionId: String(item.transactionId),
        createdAt: String(item.createdAt),
      })),
      lastKey: page.LastEvaluatedKey,
    };
  });
}

/** The oldest of `events` by creation time (the index is ordered by due time, not age). */
export function oldestDueEvent(events: readonly DueEvent[]): DueEvent | undefined {
  let oldest: DueEvent | undefined;
  for (const event of events) {
    if (!Number.isFinite(Date.parse(event.createdAt))) continue;
    if (!oldest || byCodeUnit(event.createdAt, oldest.createdAt) < 0) oldest = event;
  }
  return oldest;
}

/**
 * How old, in seconds, the oldest PENDING outbox event is (0 when none is),
 * from every PENDING entry (up to {@link BACKLOG_READ_CAP} in all; a larger
 * backlog reports the oldest of those). A shard that cannot be read fails
 * the measure (no datapoint rather than an age that leaves a shard out).
 */
export async function oldestPendingAgeSeconds(
  doc: DynamoDBDocumentClient,
  table: string,
  now = Date.now(),
): Promise<number> {
  const { items } = await readDueEvents(doc, table, 'PENDING', BACKLOG_READ_CAP);
  const oldest = oldestDueEvent(items);
  return oldest ? Math.max(0, Math.floor((now - Date.parse(oldest.createdAt)) / 1000)) : 0;
}
