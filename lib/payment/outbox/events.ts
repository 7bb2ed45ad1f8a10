import { createHash } from 'node:crypto';
import type { OutboxEvent, OutboxEventType } from '../../outbox/types.js';
import { fromMinorUnits } from '../../shared/money.js';
import { type Payment, VOIDED_REASON } from '../types.js';

/**
 * The id of a payment's event of one type: deterministic, so a retried or
 * concurrent finalization can only ever produce the same ids (and the
 * conditional write refuses a second set).
 */
export function eventIdFor(transactionId: string, type: OutboxEventType): string {
  const digest = createHash('sha256').update(`${transactionId}\n${type}`).digest('hex');
  return `evt-${digest.slice(0, 32)}`;
}

/** The user-facing message of a payment; it names the payment, so it is unique per transaction. */
export function notificationMessage(payment: Payment): string {
  const amount = `${fromMinorUnits(payment.amountMinor, payment.currency)} ${payment.currency}`;
  return payment.status === 'SUCCEEDED'
    ? `Payment ${payment.transactionId} of ${amount} for order ${payment.orderId} succeeded.`
    : `Payment ${payment.transactionId} of ${amount} for order ${payment.orderId} failed (${payment.failureReason ?? 'declined'}).`;
}

/** How many outbox events every final payment writes ({@link outboxEventsFor}): the outbox health counts deliveries from it. */
export const EVENTS_PER_PAYMENT = 2;

/**
 * The outbox events of a final payment: the order's new status and a
 * notification to the user, created (and first due) at `now`. The same
 * payment always gives the same events (ids and payloads), so the payment
 * item records only where each one is (payment-store.ts). `heldOrder` is
 * the hold's answer (order-gate.ts), carried to the order by the fast path
 * only: a hint, not part of the event's identity.
 */
export function outboxEventsFor(
  payment: Payment,
  now: Date,
  heldOrder?: Record<string, unknown>,
): OutboxEvent[] {
  const base = {
    transactionId: payment.transactionId,
    correlationId: payment.correlationId,
    status: 'PENDING' as const,
    attempts: 0,
    nextAttemptAt: now.toISOString(),
    createdAt: now.toISOString(),
  };
  const orderEventId = eventIdFor(payment.transactionId, 'order.status');
  const notificationEventId = eventIdFor(payment.transactionId, 'notification.send');
  return [
    {
      ...base,
      eventId: orderEventId,
      type: 'order.status',
      target: 'order',
      // orderId goes to the path; the rest is the body (see deliverer.ts).
      payload: {
        orderId: payment.orderId,
        status: payment.status === 'SUCCEEDED' ? 'PAID' : 'PAYMENT_FAILED',
        eventId: orderEventId,
        // The order applies PAID or PAYMENT_FAILED only from the payment that holds it.
        transactionId: payment.transactionId,
        ...(payment.failureReason ? { reason: payment.failureReason } : {}),
        // A voided key never charged: if another payment took the order over
        // meanwhile, the order has nothing to change and says so (no 409).
        ...(payment.failureReason === VOIDED_REASON ? { voided: true } : {}),
        // The order as this payment's hold left it: one write if nothing happened since.
        ...(heldOrder ? { heldOrder } : {}),
      },
    },
    {
      ...base,
      eventId: notificationEventId,
      type: 'notification.send',
      target: 'notification',
      payload: {
        userId: payment.userId,
        message: notificationMessage(payment),
        eventId: notificationEventId,
      },
    },
  ];
}
