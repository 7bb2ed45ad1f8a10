import type { Logger } from '@aws-lambda-powertools/logger';
import { UnprocessableError } from '../shared/errors.js';
import type { Fault } from '../shared/fault-injection.js';
import { logAction } from '../shared/logger.js';
import { type ChargeStore, chargeResultOf } from './charge-store.js';
import { GatewayUnavailableError, type PaymentGateway } from './gateway-port.js';
import { answered, type Charged, isRecorded, type RequestContext } from './payment-context.js';
import type { Charge, PaymentRequest } from './types.js';

/** Collaborators of the charge guard. */
export interface ChargeGuardDeps {
  charges: ChargeStore;
  gateway: PaymentGateway;
  logger: Logger;
  clock: () => Date;
}

// A transactionId is charged at most once: its PENDING charge (the guard) is
// written before the gateway is asked, under the transactionId as the
// gateway's idempotency key; a recorded result is reused, never charged
// again, and a transactionId reused for another payment is refused.

/** The charge guard of `request`, PENDING, as {@link chargeOnce} writes it. */
export function guardFor(
  deps: Pick<ChargeGuardDeps, 'clock'>,
  request: PaymentRequest,
  ctx: Pick<RequestContext, 'correlationId'>,
): Charge {
  return {
    transactionId: request.transactionId,
    orderId: request.orderId,
    userId: request.userId,
    amountMinor: request.amountMinor,
    currency: request.currency,
    state: 'PENDING',
    createdAt: deps.clock().toISOString(),
    // Kept so that a later recovery (the reconciler) joins this request's trace.
    correlationId: ctx.correlationId,
  };
}

/**
 * The charge guard: the PENDING charge is written before the gateway is
 * called, so a transactionId reaches the gateway under one key only. A
 * recorded result is reused, never charged again; a PENDING one asks the
 * (idempotent) gateway again with the same key.
 */
export async function chargeOnce(
  deps: ChargeGuardDeps,
  request: PaymentRequest,
  ctx: Pick<RequestContext, 'correlationId' | 'faults' | 'signal'>,
  earlier?: Charge,
): Promise<Charged> {
  const { charge, created } = earlier
    ? { charge: earlier, created: false }
    : await deps.charges.begin(guardFor(deps, request, ctx));
  const ids = {
    transactionId: request.transactionId,
    orderId: request.orderId,
    userId: request.userId,
  };
  if (!created) assertSamePayment(charge, request);
  if (isRecorded(charge)) {
    logAction(deps.logger, {
      action: 'payment.charge',
      outcome: 'skipped',
      ...ids,
      reason: 'already recorded',
    });
    return { charge };
  }
  // A retry of a charge the gateway never saw puts it back on the reconciler's list first.
  if (!created) await deps.charges.setReconcilable(charge.transactionId, true, deps.clock());
  try {
    return await askGateway(deps, charge, ctx.faults, ctx.signal);
  } catch (error) {
    // Nothing was charged: the reconciler must not charge it later on its own.
    // The client was told to retry (503); its retry charges, or nothing does.
    if (error instanceof GatewayUnavailableError && !error.reachedGateway) {
      await deps.charges.setReconcilable(charge.transactionId, false);
    }
    throw error;
  }
}

/**
 * Asks the (idempotent) gateway about a PENDING charge under its
 * transactionId. The answer is recorded on the charge before its payment is
 * made final; until then the charge stays PENDING and on the reconciler's
 * list, which asks the gateway again under the same key if this function
 * dies first. The first recorded result wins.
 */
export async function askGateway(
  deps: Pick<ChargeGuardDeps, 'gateway' | 'logger' | 'clock'>,
  charge: Charge,
  faults: Fault[],
  signal?: AbortSignal,
): Promise<Charged> {
  const answer = await deps.gateway.charge(
    {
      idempotencyKey: charge.transactionId,
      amountMinor: charge.amountMinor,
      currency: charge.currency,
      userId: charge.userId,
    },
    faults,
    signal,
  );
  const result = chargeResultOf(answer);
  logAction(deps.logger, {
    action: 'payment.charge',
    outcome: result.state === 'SUCCEEDED' ? 'success' : 'rejected',
    // A charge that succeeded is told at INFO one write later by
    // `payment.finalize` (status SUCCEEDED), or, if this function dies first,
    // by the reconciler's `payment.reconcile`; a decline is told here too.
    detail: true,
    transactionId: charge.transactionId,
    orderId: charge.orderId,
    userId: charge.userId,
    state: result.state,
  });
  return answered(charge, result, deps.clock());
}

/** A transactionId reused for another payment (after its idempotency record is gone) is refused. */
export function assertSamePayment(charge: Charge, request: PaymentRequest): void {
  const same =
    charge.orderId === request.orderId &&
    charge.userId === request.userId &&
    charge.amountMinor === request.amountMinor &&
    charge.currency === request.currency;
  if (!same) {
    throw new UnprocessableError(
      'IDEMPOTENCY_KEY_REUSED',
      `transactionId ${request.transactionId} was already used for a different payment`,
    );
  }
}
