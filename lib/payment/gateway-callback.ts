import { NotFoundError } from '../shared/errors.js';
import { logAction } from '../shared/logger.js';
import { finalizeAndDeliver } from './finalize.js';
import {
  answered,
  type Charged,
  type GatewayCallback,
  type PaymentDeps,
  paymentStatusOf,
  type RequestContext,
} from './payment-context.js';
import type { Charge, PaymentResult, RecordedCharge } from './types.js';

/** True when a gateway callback says the opposite of the result we recorded first. */
function contradicts(charge: RecordedCharge, callback: GatewayCallback): boolean {
  return (charge.state === 'SUCCEEDED') !== (callback.status === 'succeeded');
}

/**
 * POST /payments/callback: records the gateway's result if ours is not
 * recorded yet (first result wins), confirms the charge once, and finalizes
 * the payment if nothing has. `changed` is true only for the callback that
 * changed something.
 */
export async function confirmCallback(
  deps: PaymentDeps,
  callback: GatewayCallback,
  ctx: RequestContext,
): Promise<PaymentResult> {
  const { transactionId } = callback;
  const existing = await deps.charges.get(transactionId);
  if (!existing)
    throw new NotFoundError(`No charge for transaction ${transactionId}`, 'CHARGE_NOT_FOUND');
  ctx = joinOriginalRequest(deps, existing, ctx);
  if (existing.state !== 'PENDING' && existing.finalized) {
    // A gateway sends its callback many times: once the charge is recorded
    // and its payment final, nothing is left to record or finalize; only the
    // first confirmation is written (a repeat is answered from this one read).
    const confirmed =
      !existing.confirmedAt && (await deps.charges.confirm(transactionId, deps.clock()));
    return finalCallback(deps, existing as RecordedCharge, callback, confirmed);
  }
  const now = deps.clock();
  // A PENDING charge gets this result recorded before its payment is made final (finalize.ts);
  // if another result was recorded first, that one stands.
  const charged: Charged =
    existing.state === 'PENDING'
      ? answered(
          existing,
          {
            state: callback.status === 'succeeded' ? 'SUCCEEDED' : 'DECLINED',
            gatewayReference: callback.gatewayReference,
            declineReason:
              callback.status === 'failed' ? (callback.failureReason ?? 'declined') : undefined,
            resultSource: 'callback',
          },
          now,
        )
      : { charge: existing as RecordedCharge };
  const confirmed = await deps.charges.confirm(transactionId, now);
  const record = await finalizeAndDeliver(deps, charged, ctx);
  const recorded = record.charge;
  const disagrees = contradicts(recorded, callback);
  if (disagrees) {
    // The first recorded result stands; a contradicting callback is a gateway problem to look at.
    logAction(deps.logger, {
      action: 'payment.callback',
      outcome: 'rejected',
      transactionId,
      recorded: recorded.state,
      received: callback.status,
    });
  }
  const changed = confirmed || record.changed;
  logAction(deps.logger, {
    action: 'payment.callback',
    outcome: changed ? 'success' : 'skipped',
    transactionId,
    orderId: existing.orderId,
    userId: existing.userId,
  });
  return {
    statusCode: 200,
    body: {
      transactionId,
      status: record.payment.status,
      changed,
      confirmed,
      // The first recorded result stands; the gateway is told it said otherwise.
      ...(disagrees ? { contradicted: true } : {}),
    },
  };
}

/**
 * A callback continues the story of the request that charged: from here on
 * its log lines and the events it writes carry that request's correlation
 * id (stored with the charge), and one line links the callback's own id to it.
 */
function joinOriginalRequest(
  deps: Pick<PaymentDeps, 'logger'>,
  charge: Charge,
  ctx: RequestContext,
): RequestContext {
  const original = charge.correlationId;
  if (!original || original === ctx.correlationId) return ctx;
  deps.logger.appendKeys({ correlation_id: original });
  logAction(deps.logger, {
    action: 'payment.callback.join',
    outcome: 'success',
    transactionId: charge.transactionId,
    orderId: charge.orderId,
    userId: charge.userId,
    callbackCorrelationId: ctx.correlationId,
  });
  return { ...ctx, correlationId: original };
}

/** The answer to a callback for a payment already final: the recorded result stands (a contradiction is flagged). */
function finalCallback(
  deps: Pick<PaymentDeps, 'logger'>,
  charge: RecordedCharge,
  callback: GatewayCallback,
  confirmed: boolean,
): PaymentResult {
  const disagrees = contradicts(charge, callback);
  logAction(deps.logger, {
    action: 'payment.callback',
    outcome: disagrees ? 'rejected' : confirmed ? 'success' : 'skipped',
    transactionId: charge.transactionId,
    orderId: charge.orderId,
    userId: charge.userId,
    ...(disagrees ? { recorded: charge.state, received: callback.status } : {}),
    reason: confirmed ? 'confirmed a final payment' : 'already confirmed and final',
  });
  return {
    statusCode: 200,
    body: {
      transactionId: charge.transactionId,
      status: paymentStatusOf(charge),
      changed: confirmed,
      confirmed,
      ...(disagrees ? { contradicted: true } : {}),
    },
  };
}
