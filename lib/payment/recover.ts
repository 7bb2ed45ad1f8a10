import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../shared/errors.js';
import { askGateway } from './charge-guard.js';
import { chargeResultOf } from './charge-store.js';
import { writeFinal } from './finalize.js';
import {
  isRecorded,
  type PaymentDeps,
  paymentStatusOf,
  type RecoverResult,
  type VoidResult,
} from './payment-context.js';
import type { Charge } from './types.js';

// The ways to finish a charge whose request did not: the reconciler's
// (charge-reconciler.ts) and the operator's (the console's "Void").

/**
 * Recovers a charge whose request died before its payment's events were
 * delivered or in the outbox (the reconciler's use case): asks the gateway
 * again if the result is still unknown, makes the payment final as a
 * request would (unless it is), hands its undelivered events to the
 * outbox for the relay, and takes the charge off the reconciler's list.
 * Nothing is delivered here. `changed` is false when the payment was
 * final already.
 */
export async function recoverCharge(deps: PaymentDeps, found: Charge): Promise<RecoverResult> {
  const askedGateway = !isRecorded(found);
  const charged = isRecorded(found) ? { charge: found } : await askGateway(deps, found, []);
  // A charge written before correlation ids were stored gets a new one for its late effects.
  const correlationId = found.correlationId ?? randomUUID();
  const result = await writeFinal(deps, charged, correlationId);
  const handedOver = await deps.payments.handOver(found.transactionId, deps.clock());
  await deps.charges.unlist(found.transactionId);
  return {
    changed: result.changed,
    askedGateway,
    handedOver: handedOver.length,
    charge: result.charge,
    payment: result.payment,
  };
}

/**
 * An operator's way out for a payment stuck PENDING that holds its order
 * (the console's "Void"): voids its key at the gateway, records the
 * gateway's final answer and finishes the payment as the reconciler would
 * (its order event frees the order, recorded in the order's history). A
 * key that charged cannot be voided: the result is recorded and stands.
 */
export async function voidPending(deps: PaymentDeps, transactionId: string): Promise<VoidResult> {
  const charge = await deps.charges.get(transactionId);
  if (!charge)
    throw new NotFoundError(`No charge for transaction ${transactionId}`, 'CHARGE_NOT_FOUND');
  if (isRecorded(charge)) {
    const recovered = charge.finalized ? undefined : await recoverCharge(deps, charge);
    return {
      voided: false,
      state: charge.state,
      status: recovered?.payment.status ?? paymentStatusOf(charge),
    };
  }
  const answer = await deps.gateway.void(transactionId);
  const recorded = await deps.charges.recordResult(
    transactionId,
    chargeResultOf(answer),
    deps.clock(),
  );
  const recovered = await recoverCharge(deps, recorded);
  return {
    voided: answer.outcome === 'voided',
    state: recovered.charge.state,
    status: recovered.payment.status,
  };
}
