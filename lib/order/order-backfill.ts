import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../shared/dynamo.js';
import { forEachConcurrently } from '../shared/pool.js';
import { MAX_EVENT_MARKERS } from './event-markers.js';
import { pendingHoldOf } from './order-history.js';
import type { Order } from './types.js';

/**
 * The one-off step that moves orders written by the previous order code
 * (history rows written in each operation's transaction, one marker item per
 * eventId: `orderId = EVENT#<orderId>#<eventId>`) onto today's shape
 * (docs/order-history.md, "Stored shapes, and the migration"): for each order
 * without a `log`,
 * 1. its markers' history rows get `eventMarker = true`;
 * 2. a hold's row kept on the order (`pendingHold`) is put in the history table;
 * 3. the order gets `log = {}` and `events` (its newest markers' eventId → seq,
 *    `olderEvents` when it had more), on condition that it is still the order
 *    that was read (its `auditSeq`, and no `log` yet);
 * 4. then its marker items are deleted (markers left beside an order already
 *    on today's shape: their rows flagged, the order's `olderEvents` set, deleted).
 * Run it twice around the deploy (before: most orders; right after: what the
 * old code wrote meanwhile); a second run finds nothing left to do.
 */
export interface OrderBackfillOptions {
  doc: DynamoDBDocumentClient;
  ordersTable: string;
  auditTable: string;
  segments?: number;
  concurrency?: number;
  dryRun?: boolean;
}

/** What a run found and changed (or, dry, would change). */
export interface OrderBackfillReport {
  scanned: number;
  orders: number;
  markers: number;
  holdRows: number;
  /** Orders another writer changed between the scan and the write: left for the next run. */
  moved: number;
}

type Item = Record<string, unknown>;
const MARKER_PREFIX = 'EVENT#';

/** An old marker item: which order and eventId, and its history row's seq. */
interface Marker {
  key: string;
  orderId: string;
  eventId: string;
  seq: number;
}

function markerOf(item: Item): Marker | undefined {
  const key = String(item.orderId ?? '');
  if (!key.startsWith(MARKER_PREFIX)) return undefined;
  return {
    key,
    orderId: String(item.targetOrderId),
    eventId: String(item.eventId),
    seq: Number(item.seq),
  };
}

/** The `events` map and `olderEvents` flag an order gets from its markers, newest first. */
export function eventsOf(markers: readonly Marker[]): {
  events: Record<string, number>;
  olderEvents: boolean;
} {
  const newest = [...markers].sort((a, b) => b.seq - a.seq);
  return {
    events: Object.fromEntries(newest.slice(0, MAX_EVENT_MARKERS).map((m) => [m.eventId, m.seq])),
    olderEvents: newest.length > MAX_EVENT_MARKERS,
  };
}

/** Runs the order backfill over the orders table (scanned in parallel segments). */
export async function backfillOrders(options: OrderBackfillOptions): Promise<OrderBackfillReport> {
  const report: OrderBackfillReport = { scanned: 0, orders: 0, markers: 0, holdRows: 0, moved: 0 };
  const segments = Math.max(1, options.segments ?? 4);
  const orders: Order[] = [];
  /** Orders on today's shape already (a run that stopped before deleting their markers, or new ones). */
  const current = new Set<string>();
  const markers = new Map<string, Marker[]>();
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Item | undefined;
      do {
        const page = await options.doc.send(
          new ScanCommand({
            TableName: options.ordersTable,
            Segment: segment,
            TotalSegments: segments,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          report.scanned += 1;
          const marker = markerOf(item);
          if (marker) markers.set(marker.orderId, [...(markers.get(marker.orderId) ?? []), marker]);
          // An order of the previous code: no `log` (an item without auditSeq is no order of ours).
          else if (item.log === undefined && typeof item.auditSeq === 'number')
            orders.push(item as Order);
          else current.add(String(item.orderId));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
  const flagRows = async (orderId: string, own: readonly Marker[]) => {
    for (const marker of own) {
      await options.doc
        .send(
          new UpdateCommand({
            TableName: options.auditTable,
            Key: { orderId, seq: marker.seq },
            UpdateExpression: 'SET eventMarker = :yes',
            ConditionExpression: 'attribute_exists(seq)',
            ExpressionAttributeValues: { ':yes': true },
          }),
        )
        .catch((error) => {
          // A marker whose row is gone (a manual delete) has nothing to flag.
          if (!isConditionalCheckFailed(error)) throw error;
        });
    }
  };
  const dropMarkers = async (own: readonly Marker[]) => {
    for (const marker of own) {
      await options.doc.send(
        new DeleteCommand({ TableName: options.ordersTable, Key: { orderId: marker.key } }),
      );
      report.markers += 1;
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? 8);
  await forEachConcurrently(orders, concurrency, async (order) => {
    const own = markers.get(order.orderId) ?? [];
    const held = pendingHoldOf(order);
    if (options.dryRun) {
      report.orders += 1;
      report.markers += own.length;
      if (held) report.holdRows += 1;
      return;
    }
    await flagRows(order.orderId, own);
    if (held) {
      await options.doc
        .send(
          new PutCommand({
            TableName: options.auditTable,
            Item: held,
            ConditionExpression: 'attribute_not_exists(seq)',
          }),
        )
        .catch((error) => {
          if (!isConditionalCheckFailed(error)) throw error;
        });
      report.holdRows += 1;
    }
    const { events, olderEvents } = eventsOf(own);
    try {
      await options.doc.send(
        new UpdateCommand({
          TableName: options.ordersTable,
          Key: { orderId: order.orderId },
          UpdateExpression: `SET #log = :empty, events = :events${olderEvents ? ', olderEvents = :yes' : ''}`,
          ConditionExpression: 'attribute_not_exists(#log) AND auditSeq = :seq',
          ExpressionAttributeNames: { '#log': 'log' },
          ExpressionAttributeValues: {
            ':empty': {},
            ':events': events,
            ':seq': order.auditSeq,
            ...(olderEvents ? { ':yes': true } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // The old code wrote the order meanwhile: the next run takes it as it is then.
      report.moved += 1;
      return;
    }
    report.orders += 1;
    await dropMarkers(own);
  });
  // Markers left beside an order on today's shape (a run that stopped before
  // deleting them, or an event the old code applied after the order moved):
  // their rows are flagged and the order told to look in its history for
  // eventIds it does not keep, then the markers go.
  const leftovers = [...markers].filter(([orderId]) => current.has(orderId));
  await forEachConcurrently(leftovers, concurrency, async ([orderId, own]) => {
    if (options.dryRun) {
      report.markers += own.length;
      return;
    }
    await flagRows(orderId, own);
    await options.doc.send(
      new UpdateCommand({
        TableName: options.ordersTable,
        Key: { orderId },
        UpdateExpression: 'SET olderEvents = :yes',
        ConditionExpression: 'attribute_exists(#log)',
        ExpressionAttributeNames: { '#log': 'log' },
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
    await dropMarkers(own);
  });
  return report;
}
