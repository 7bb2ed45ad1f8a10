import type { Currency } from '../shared/money.js';
import type { OrderStatus } from './status-transition.js';

/** An order as stored: money in integer minor units, a version and an audit counter. */
export interface Order {
  orderId: string;
  userId: string;
  amountMinor: number;
  currency: Currency;
  status: OrderStatus;
  /** Increments on every applied change; 1 at creation. */
  version: number;
  /** The seq of the order's latest audit record; every operation bumps it. */
  auditSeq: number;
  createdAt: string;
  updatedAt: string;
  /** The transactionId that holds the order's payment (one at a time), if any. */
  paymentHolder?: string;
  /**
   * Until when the hold is protected even if its charge never started: longer
   * than a payment function can run, so after it the holder is certainly dead.
   */
  holdUntil?: string;
  /** The transactionId whose payment made the order PAID. */
  paidBy?: string;
  /** Public creates refused for this orderId (a different body): counted, not appended to the history. */
  refusedCreates?: number;
  /**
   * History rows written ahead on the order, by seq: each operation's row is
   * written here in the same write as its effect, then copied to the history
   * table; the next operation that reads the order confirms the copy and
   * drops it from here (order-history.ts). Row 1 (the creation) starts here.
   */
  log?: Record<string, LoggedRow>;
  /**
   * The history seq of a hold taken in one write (payment-hold.ts), whose
   * writer cannot name its seq in the log: its row is kept in
   * {@link Order.pendingHold} instead, until the holder's result or the next
   * operation that reads the order drops it (it is copied to the history
   * table first). While it is here nothing else has happened to the order.
   */
  holdSeq?: number;
  /**
   * The row of the hold at {@link Order.holdSeq}. Its status and version are
   * the order's own: nothing has happened to the order since.
   */
  pendingHold?: PendingHoldRow;
  /**
   * The order's event markers: eventId → the seq of the history row that
   * first recorded it, the newest few only (event-markers.ts).
   */
  events?: Record<string, number>;
  /** True once markers were dropped from {@link Order.events}: their rows are found in the history table. */
  olderEvents?: boolean;
}

/** A history row as the order keeps it before the history table has it (see {@link Order.log}). */
export type LoggedRow = Omit<AuditEntry, 'orderId' | 'seq'>;

/** A hold's history row as the order keeps it (see {@link Order.pendingHold}). */
export type PendingHoldRow = Omit<
  AuditEntry,
  'orderId' | 'seq' | 'previousStatus' | 'newStatus' | 'version'
>;

/** What happened to one operation on an order. */
export type AuditOutcome = 'applied' | 'unchanged' | 'rejected';

/** Which operation an audit record describes. */
export type AuditOperation = 'create' | 'status' | 'payment-hold' | 'payment-release';

/** One entry of an order's audit trail (ORDER_AUDIT_TABLE, pk orderId, sk seq). */
export interface AuditEntry {
  orderId: string;
  seq: number;
  at: string;
  operation: AuditOperation;
  outcome: AuditOutcome;
  correlationId: string;
  caller: string;
  eventId?: string;
  /** The payment the operation came from (status events, holds). */
  transactionId?: string;
  previousStatus?: OrderStatus;
  newStatus?: OrderStatus;
  requestedStatus?: OrderStatus;
  /** The caller's reason (e.g. why a payment failed). */
  reason?: string;
  /** Why the operation was rejected or left the order unchanged. */
  detail?: string;
  /** True when the eventId had been processed before. */
  duplicateEvent?: boolean;
  /** True on the row that first recorded its eventId: the event's marker (internal, not shown). */
  eventMarker?: boolean;
  /** The version of the order after this operation. */
  version: number;
}

/** The remembered result of an eventId, so a redelivery is answered as before: its first row. */
export type EventMarker = Pick<AuditEntry, 'seq' | 'outcome' | 'requestedStatus'>;

/** Who asked, for the audit trail. */
export interface OperationContext {
  correlationId: string;
  caller: string;
}
