import type { OutboxEvent } from '../outbox/types.js';
import { byCodeUnit } from '../shared/compare.js';
import { NotFoundError } from '../shared/errors.js';
import { fromMinorUnits } from '../shared/money.js';
import type { PaymentDeps } from './payment-context.js';
import type { Charge, Payment } from './types.js';

/**
 * Drops undefined fields: a view is stored by the idempotency layer, whose
 * DynamoDB marshalling refuses undefined values.
 */
function compact(view: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(view).filter(([, value]) => value !== undefined));
}

/** An outbox event as clients see it: its delivery state, not its payload. */
export function eventView(event: OutboxEvent): Record<string, unknown> {
  return compact({
    eventId: event.eventId,
    type: event.type,
    target: event.target,
    status: event.status,
    attempts: event.attempts,
    nextAttemptAt: event.status === 'PENDING' ? event.nextAttemptAt : undefined,
    lastError: event.lastError,
    deliveredAt: event.deliveredAt,
  });
}

/** A charge as clients see it. */
export function chargeView(charge: Charge): Record<string, unknown> {
  return compact({
    state: charge.state,
    gatewayReference: charge.gatewayReference,
    declineReason: charge.declineReason,
    resultSource: charge.resultSource,
    createdAt: charge.createdAt,
    recordedAt: charge.recordedAt,
    confirmedAt: charge.confirmedAt,
  });
}

/** The payment body of `POST /payments` (and, with the charge, of `GET /payments/{id}`). */
export function paymentView(payment: Payment, events: OutboxEvent[]): Record<string, unknown> {
  return compact({
    transactionId: payment.transactionId,
    orderId: payment.orderId,
    userId: payment.userId,
    amount: fromMinorUnits(payment.amountMinor, payment.currency),
    currency: payment.currency,
    amountMinor: payment.amountMinor,
    status: payment.status,
    failureReason: payment.failureReason,
    gatewayReference: payment.gatewayReference,
    correlationId: payment.correlationId,
    createdAt: payment.createdAt,
    finalizedAt: payment.finalizedAt,
    events: [...events].sort((a, b) => byCodeUnit(a.type, b.type)).map(eventView),
  });
}

/** A payment whose charge started but whose result is not final yet (GET only). */
export function processingView(charge: Charge): Record<string, unknown> {
  return compact({
    transactionId: charge.transactionId,
    orderId: charge.orderId,
    userId: charge.userId,
    amount: fromMinorUnits(charge.amountMinor, charge.currency),
    currency: charge.currency,
    amountMinor: charge.amountMinor,
    status: 'PROCESSING',
    createdAt: charge.createdAt,
    events: [],
  });
}

/** GET /payments/{id}: the payment, its charge and its events; 404 when there is no trace of it. */
export async function viewPayment(
  deps: Pick<PaymentDeps, 'payments' | 'charges'>,
  transactionId: string,
): Promise<Record<string, unknown>> {
  const [record, charge] = await Promise.all([
    deps.payments.get(transactionId),
    deps.charges.get(transactionId),
  ]);
  if (record) {
    return {
      ...paymentView(record.payment, record.events),
      ...(charge ? { charge: chargeView(charge) } : {}),
    };
  }
  if (charge) return { ...processingView(charge), charge: chargeView(charge) };
  throw new NotFoundError(`No payment for transaction ${transactionId}`, 'PAYMENT_NOT_FOUND');
}
