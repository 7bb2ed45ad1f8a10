import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../shared/dynamo.js';
import { forEachConcurrently } from '../../shared/pool.js';
import {
  outboxDueKey,
  STATUS_SHARD_ATTRIBUTE,
  statusShardKey,
  UNFINALIZED_ATTRIBUTE,
  unfinalizedMarker,
} from '../indexes.js';

/**
 * The one-off step that moves items written by an earlier version onto
 * today's index keys (docs/console.md, "Deploying the index"): each final
 * payment gets its sharded `statusShard`, each PENDING or DEAD event its
 * sharded `outboxStatus`, each unfinalized charge its sharded `unfinalized`
 * marker, and a DELIVERED event leaves every index (it is read only with its
 * payment). Every write is conditioned on the status it was decided from, so
 * a run beside live traffic changes nothing a service changed meanwhile, and a
 * second run finds nothing to do.
 */
export interface BackfillOptions {
  doc: DynamoDBDocumentClient;
  paymentsTable: string;
  chargesTable: string;
  /** Parallel scan segments per table (DynamoDB's TotalSegments); default 4. */
  segments?: number;
  /** Writes in flight per segment; default 8. */
  concurrency?: number;
  /** Count what would change, write nothing. */
  dryRun?: boolean;
}

/** What a run found and changed (or, dry, would change). */
export interface BackfillReport {
  scanned: number;
  payments: number;
  events: number;
  delivered: number;
  charges: number;
  /** Items a service changed between the scan and the write: left as the service wrote them. */
  moved: number;
}

type Item = Record<string, unknown>;

/** One write that puts an item on today's keys, or undefined when it is there already. */
type Fix = {
  kind: 'payments' | 'events' | 'delivered' | 'charges';
  update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>;
};

const FINAL = new Set(['SUCCEEDED', 'FAILED']);

/** The fix a payments-table item needs (a payment or one of its events). */
export function paymentItemFix(item: Item): Fix | undefined {
  const status = String(item.status ?? '');
  const sk = String(item.sk ?? '');
  // Every fix names the status index's key as #shard and holds only while the status is the one read.
  const fix = (
    kind: Fix['kind'],
    expression: string,
    values: Record<string, unknown> = {},
  ): Fix => ({
    kind,
    update: {
      Key: { pk: item.pk, sk: item.sk },
      UpdateExpression: expression,
      ConditionExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': 'status', '#shard': STATUS_SHARD_ATTRIBUTE },
      ExpressionAttributeValues: { ':status': status, ...values },
    },
  });
  if (sk === 'PAYMENT' && FINAL.has(status)) {
    const want = statusShardKey(status, String(item.transactionId));
    if (item[STATUS_SHARD_ATTRIBUTE] === want) return undefined;
    return fix('payments', 'SET #shard = :shard', { ':shard': want });
  }
  if (!sk.startsWith('EVENT#')) return undefined;
  if (status === 'PENDING' || status === 'DEAD') {
    const want = outboxDueKey(status, String(item.eventId));
    if (item.outboxStatus === want && item[STATUS_SHARD_ATTRIBUTE] === undefined) return undefined;
    return fix('events', 'SET outboxStatus = :due REMOVE #shard', { ':due': want });
  }
  if (status === 'DELIVERED') {
    if (item.outboxStatus === undefined && item[STATUS_SHARD_ATTRIBUTE] === undefined)
      return undefined;
    return fix('delivered', 'REMOVE outboxStatus, #shard');
  }
  return undefined;
}

/** The fix a charge needs: its unfinalized marker on its shard. */
export function chargeFix(item: Item): Fix | undefined {
  const marker = item[UNFINALIZED_ATTRIBUTE];
  if (marker === undefined) return undefined;
  const want = unfinalizedMarker(String(item.transactionId));
  if (marker === want) return undefined;
  return {
    kind: 'charges',
    update: {
      Key: { transactionId: item.transactionId },
      UpdateExpression: 'SET #marker = :want',
      ConditionExpression: '#marker = :old',
      ExpressionAttributeNames: { '#marker': UNFINALIZED_ATTRIBUTE },
      ExpressionAttributeValues: { ':want': want, ':old': marker },
    },
  };
}

/** Runs the backfill over both tables, each scanned in parallel segments. */
export async function backfillIndexes(options: BackfillOptions): Promise<BackfillReport> {
  const report: BackfillReport = {
    scanned: 0,
    payments: 0,
    events: 0,
    delivered: 0,
    charges: 0,
    moved: 0,
  };
  const segments = Math.max(1, options.segments ?? 4);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const pass = async (table: string, fixOf: (item: Item) => Fix | undefined) => {
    const segment = async (index: number) => {
      let startKey: Item | undefined;
      do {
        const page = await options.doc.send(
          new ScanCommand({
            TableName: table,
            Segment: index,
            TotalSegments: segments,
            ExclusiveStartKey: startKey,
          }),
        );
        const items = page.Items ?? [];
        report.scanned += items.length;
        const fixes = items.map(fixOf).filter((fix): fix is Fix => fix !== undefined);
        await forEachConcurrently(fixes, concurrency, async (fix) => {
          if (options.dryRun) {
            report[fix.kind] += 1;
            return;
          }
          try {
            await options.doc.send(new UpdateCommand({ TableName: table, ...fix.update }));
            report[fix.kind] += 1;
          } catch (error) {
            if (!isConditionalCheckFailed(error)) throw error;
            report.moved += 1;
          }
        });
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    };
    await Promise.all(Array.from({ length: segments }, (_, i) => segment(i)));
  };
  await pass(options.paymentsTable, paymentItemFix);
  await pass(options.chargesTable, chargeFix);
  return report;
}
