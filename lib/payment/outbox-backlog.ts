import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { collectShards } from '../shared/shards.js';
import { OUTBOX_DUE_INDEX, outboxDueKeys } from './indexes.js';

/** At most this many PENDING events are read to find the oldest, in all shards together (a backlog that large alarms anyway). */
const MAX_SCANNED = 2000;

/**
 * How old, in seconds, the oldest PENDING outbox event is (0 when none is):
 * read from every shard of the sparse `outbox-due` index in parallel, only
 * `createdAt` projected. The index is ordered by due time, not age, so every
 * PENDING entry is read (up to {@link MAX_SCANNED} in all; a larger backlog
 * reports the oldest of those). A shard that cannot be read fails the
 * measure (no datapoint rather than an age that leaves a shard out).
 */
export async function oldestPendingAgeSeconds(
  doc: DynamoDBDocumentClient,
  table: string,
  now = Date.now(),
): Promise<number> {
  const { items } = await collectShards(
    outboxDueKeys('PENDING'),
    MAX_SCANNED,
    async (shard, startKey) => {
      const page = await doc.send(
        new QueryCommand({
          TableName: table,
          IndexName: OUTBOX_DUE_INDEX,
          KeyConditionExpression: 'outboxStatus = :shard',
          ExpressionAttributeValues: { ':shard': shard },
          ProjectionExpression: 'createdAt',
          ExclusiveStartKey: startKey,
        }),
      );
      return { items: page.Items ?? [], lastKey: page.LastEvaluatedKey };
    },
  );
  let oldest: number | undefined;
  for (const item of items) {
    const created = Date.parse(String(item.createdAt));
    if (Number.isFinite(created) && (oldest === undefined || created < oldest)) oldest = created;
  }
  return oldest === undefined ? 0 : Math.max(0, Math.floor((now - oldest) / 1000));
}
