import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OUTBOX_DUE_INDEX } from './outbox-store.js';

/** At most this many PENDING events are read to find the oldest (a backlog that large alarms anyway). */
const MAX_SCANNED = 2000;

/**
 * How old, in seconds, the oldest PENDING outbox event is (0 when none is):
 * read from the sparse `outbox-due` index, only `createdAt` projected. The
 * index is ordered by due time, not age, so every PENDING entry is read (up
 * to {@link MAX_SCANNED}; a larger backlog reports the oldest of those).
 */
export async function oldestPendingAgeSeconds(
  doc: DynamoDBDocumentClient,
  table: string,
  now = Date.now(),
): Promise<number> {
  let oldest: number | undefined;
  let scanned = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: OUTBOX_DUE_INDEX,
        KeyConditionExpression: 'outboxStatus = :pending',
        ExpressionAttributeValues: { ':pending': 'PENDING' },
        ProjectionExpression: 'createdAt',
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const created = Date.parse(String(item.createdAt));
      if (Number.isFinite(created) && (oldest === undefined || created < oldest)) oldest = created;
    }
    scanned += page.Items?.length ?? 0;
    start = page.LastEvaluatedKey;
  } while (start && scanned < MAX_SCANNED);
  return oldest === undefined ? 0 : Math.max(0, Math.floor((now - oldest) / 1000));
}
