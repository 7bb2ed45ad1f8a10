import type { EventDeliverer, OutboxEvent } from '../outbox/types.js';
import { logAction } from '../shared/logger.js';
import type { HeldOrderHint } from './order-gate.js';
import { outboxEventsFor } from './outbox/events.js';
import {
  type Charged,
  isRecorded,
  type PaymentDeps,
  paymentStatusOf,
  type RequestContext,
} from './payment-context.js';
import type { FinalizeResult } from './payment-store.js';
import type { Payment, RecordedCharge } from './types.js';

// A payment made final with its events, once, then delivered by the request
// that made it (the fast path), by every use case that finishes a charge:
// pay.ts, gateway-callback.ts, recover.ts (which leaves delivery to the relay).

/** What {@link writeFinal} did, with the charge's result that stands. */
export type FinalWrite = FinalizeResult & { charge: RecordedCharge };

/** Writes the final payment and its events once, then delivers them if this call wrote them. */
export async function finalizeAndDeliver(
  deps: PaymentDeps,
  charged: Charged,
  ctx: RequestContext,
  heldOrder?: HeldOrderHint,
): Promise<FinalWrite> {
  const result = await writeFinal(deps, charged, ctx.correlationId, heldOrder);
  if (!result.changed) return result;
  return {
    ...result,
    events: await deliver(deps, result.payment.transactionId, result.events, ctx.deliverer),
  };
}

/**
 * Makes a payment final with its events, once (first writer wins): a new
 * gateway answer is recorded on the charge first (first result wins: if a
 * callback's was recorded before, that one stands), then the payment item,
 * with its events, in one conditional write. A function that dies between
 * the two leaves a recorded charge on the reconciler's list, which makes
 * the payment final from it.
 */
export async function writeFinal(
  deps: PaymentDeps,
  { charge, newResult }: Charged,
  correlationId: string,
  heldOrder?: HeldOrderHint,
): Promise<FinalWrite> {
  let recorded = charge;
  if (newResult) {
    const stored = await deps.charges.recordResult(
      charge.transactionId,
      newResult.result,
      newResult.at,
    );
    if (!isRecorded(stored)) throw new Error(`Charge ${charge.transactionId} has no result`);
    recorded = stored;
  }
  const now = deps.clock();
  const payment: Payment = {
    transactionId: recorded.transactionId,
    orderId: recorded.orderId,
    userId: recorded.userId,
    amountMinor: recorded.amountMinor,
    currency: recorded.currency,
    status: paymentStatusOf(recorded),
    failureReason: recorded.declineReason,
    gatewayReference: recorded.gatewayReference,
    correlationId,
    createdAt: recorded.createdAt,
    finalizedAt: now.toISOString(),
  };
  const result = await deps.payments.finalize(payment, outboxEventsFor(payment, now, heldOrder));
  // Someone else made it final: from the same recorded result.
  if (!result.changed) return { ...result, charge: recorded };
  logAction(deps.logger, {
    action: 'payment.finalize',
    outcome: 'success',
    // Named on the line itself: the reconciler finalizes several charges at
    // once on one logger, each under its own request's correlation id.
    correlation_id: correlationId,
    transactionId: payment.transactionId,
    orderId: payment.orderId,
    userId: payment.userId,
    status: payment.status,
  });
  return { ...result, charge: recorded };
}

/**
 * The fast path, on the outbox's one delivery engine: one attempt per
 * event, in parallel (bounded), decided by the same rules as recovery.
 * Then one write records the delivered ones on the payment item (no
 * outbox item, no index entry), any other becomes an outbox item for the
 * relay, and the charge leaves the reconciler's list (if a reconciler
 * took it off first, the delivered events are marked in the outbox too).
 * Returns the events as they now stand (no re-read); if the record fails,
 * as they were: the charge is still listed, and the reconciler hands them
 * to the outbox.
 */
async function deliver(
  deps: PaymentDeps,
  transactionId: string,
  events: OutboxEvent[],
  deliverer: EventDeliverer,
): Promise<OutboxEvent[]> {
  return deps.delivery.deliverOwned(events, deliverer, {
    record: async (settled, at) => {
      await deps.payments.recordEvents(transactionId, settled);
      if (await deps.charges.unlist(transactionId)) return;
      // Off the list already: a reconciler took the payment for abandoned and
      // handed its events to the outbox meanwhile. Mark the delivered ones there
      // too, so that the relay does not deliver them again.
      const delivered = settled.filter((e) => e.status === 'DELIVERED');
      await Promise.all(delivered.map((event) => deps.outbox.markDelivered(event, at)));
    },
  });
}
