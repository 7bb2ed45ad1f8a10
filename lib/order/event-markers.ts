import { pendingRows } from './order-history.js';
import type { OrderRepository } from './order-repository.js';
import type { AuditEntry, EventMarker, Order } from './types.js';

// An eventId's marker is the history row that first recorded it (flagged
// `eventMarker`). The order item names the newest few (Order.events: eventId →
// seq), so the write that records an event can require, in the same
// condition, that its eventId is new. Older ones are dropped from the item
// once their rows are in the history table (Order.olderEvents says some
// were), and looked up there when an eventId is not on the item.

/** How many event markers the order item keeps (a payment's result, then a few more). */
export const MAX_EVENT_MARKERS = 4;

/** The marker a row makes. */
function markerOf(row: AuditEntry): EventMarker {
  return { seq: row.seq, outcome: row.outcome, requestedStatus: row.requestedStatus };
}

/**
 * The marker of `eventId` on `order` (as read), if it was seen before: from
 * the item, then, if markers were dropped from it, from the history table.
 */
export async function findMarker(
  repository: OrderRepository,
  order: Order,
  eventId: string,
): Promise<EventMarker | undefined> {
  const waiting = pendingRows(order);
  const seq = order.events?.[eventId];
  if (seq !== undefined) {
    const row =
      waiting.find((r) => r.seq === seq) ?? (await repository.historyRow(order.orderId, seq));
    if (!row) throw new Error(`History row ${seq} of order ${order.orderId} is missing`);
    return markerOf(row);
  }
  if (!order.olderEvents) return undefined;
  const row =
    waiting.find((r) => r.eventId === eventId && r.eventMarker) ??
    (await repository.findEventMarker(order.orderId, eventId));
  return row && markerOf(row);
}

/**
 * The markers to drop from `order` (as read) so that one more fits: the
 * oldest, when it keeps {@link MAX_EVENT_MARKERS}. Only for a commit that
 * settles the order's rows first, so the dropped markers' rows are in the
 * history table.
 */
export function markersToDrop(order: Order): string[] {
  const kept = Object.entries(order.events ?? {}).sort((a, b) => a[1] - b[1]);
  return kept.slice(0, Math.max(0, kept.length - MAX_EVENT_MARKERS + 1)).map(([id]) => id);
}
