import { fromMinorUnits } from '../shared/money.js';
import type { AuditEntry, Order } from './types.js';

/** An order on the wire: amount in major units next to the exact minor units. */
export interface OrderView {
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  amountMinor: number;
  status: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** The transactionId that holds the order's payment now, if any. */
  paymentHolder?: string;
  /** The transactionId that paid the order, once PAID. */
  paidBy?: string;
}

/** Maps a stored order to its wire shape (the internal audit counter stays inside). */
export function toOrderView(order: Order): OrderView {
  return {
    orderId: order.orderId,
    userId: order.userId,
    amount: fromMinorUnits(order.amountMinor, order.currency),
    currency: order.currency,
    amountMinor: order.amountMinor,
    status: order.status,
    version: order.version,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    ...(order.paymentHolder ? { paymentHolder: order.paymentHolder } : {}),
    ...(order.paidBy ? { paidBy: order.paidBy } : {}),
  };
}

/** An audit entry on the wire (without the repeated orderId and the internal event-marker flag). */
export function toAuditView(entry: AuditEntry): Omit<AuditEntry, 'orderId' | 'eventMarker'> {
  const { orderId: _orderId, eventMarker: _marker, ...view } = entry;
  return view;
}
