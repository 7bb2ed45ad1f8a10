import { NotFoundError } from '../shared/errors.js';
import type {
  HistoryPage,
  HistoryPageRequest,
  OrderRepository,
  SettledRows,
} from './order-repository.js';
import type { AuditEntry, Order } from './types.js';

// The order's history is written ahead on the order item: each operation puts
// its row in the order's log in the same conditional write as its effect (so
// no crash can leave an effect without its row), then copies it to the history
// table with a plain write. The next operation that reads the order makes sure
// the history table has every row still on the order (writing what a crash
// left behind) and its own commit drops them from the order. Reads merge both.

/** 404 ORDER_NOT_FOUND. */
export function notFound(orderId: string): NotFoundError {
  return new NotFoundError(`Order ${orderId} does not exist`, 'ORDER_NOT_FOUND');
}

/**
 * The row of a hold taken in one write, if the order still keeps it
 * (Order.pendingHold). Nothing happened to the order since the hold, so its
 * status and version are the order's.
 */
export function pendingHoldOf(order: Order): AuditEntry | undefined {
  if (order.holdSeq === undefined || !order.pendingHold) return undefined;
  return {
    ...order.pendingHold,
    orderId: order.orderId,
    seq: order.holdSeq,
    previousStatus: order.status,
    newStatus: order.status,
    version: order.version,
  };
}

/** Every history row the order still keeps (its log and a one-write hold's row), in seq order. */
export function pendingRows(order: Order): AuditEntry[] {
  const rows: AuditEntry[] = Object.entries(order.log ?? {}).map(([seq, row]) => ({
    ...row,
    orderId: order.orderId,
    seq: Number(seq),
  }));
  const held = pendingHoldOf(order);
  if (held) rows.push(held);
  return rows.sort((a, b) => a.seq - b.seq);
}

/**
 * Makes sure the history table has every row the order keeps: checks which it
 * has (one query over their seqs, skipped for those `known` to be there from
 * an earlier attempt) and writes the others. Returns them, for the commit that
 * follows to drop from the order.
 */
export async function settlePending(
  repository: OrderRepository,
  order: Order,
  known: Set<number>,
): Promise<SettledRows> {
  const rows = pendingRows(order);
  const unknown = rows.filter((row) => !known.has(row.seq));
  const first = unknown[0];
  const last = unknown.at(-1);
  if (first && last) {
    const present = await repository.historySeqs(order.orderId, first.seq, last.seq);
    const missing = unknown.filter((row) => !present.has(row.seq));
    if (missing.length > 0) await repository.writeHistory(missing);
    for (const row of unknown) known.add(row.seq);
  }
  return {
    log: Object.keys(order.log ?? {}).map(Number),
    hold: order.holdSeq !== undefined,
  };
}

/**
 * A page of the history table merged with the rows the order still keeps:
 * the first `limit` rows after `afterSeq` of both, each once.
 */
export function mergePage(
  stored: HistoryPage,
  order: Order,
  page: HistoryPageRequest,
): HistoryPage {
  const after = page.afterSeq ?? 0;
  const bySeq = new Map<number, AuditEntry>();
  for (const row of pendingRows(order)) if (row.seq > after) bySeq.set(row.seq, row);
  for (const row of stored.entries) bySeq.set(row.seq, row);
  const all = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const entries = all.slice(0, page.limit);
  const last = entries.at(-1);
  // The stored page is the first `limit` rows of the table after `afterSeq`,
  // so any of them in the merged first `limit` is there: the merge is exact.
  const more = all.length > page.limit || stored.lastSeq !== undefined;
  return { entries, ...(more && last ? { lastSeq: last.seq } : {}) };
}

/** One page of the order's history in seq order, or a 404 for an unknown order. */
export async function getOrderHistory(
  repository: OrderRepository,
  orderId: string,
  page: HistoryPageRequest = { limit: 100 },
): Promise<HistoryPage & { refusedCreates: number }> {
  const [stored, order] = await Promise.all([
    repository.history(orderId, page),
    repository.get(orderId),
  ]);
  if (!order) throw notFound(orderId);
  return { ...mergePage(stored, order, page), refusedCreates: order.refusedCreates ?? 0 };
}
