import type { Logger } from '@aws-lambda-powertools/logger';
import { logAction } from '../shared/logger.js';
import { type ChargeStore, chargeResultOf } from './charge-store.js';
import type { GatewayChargeResult, PaymentGateway } from './gateway-port.js';
import type { GateContext, HeldOrderHint } from './order-gate.js';
import type { RequestContext } from './payment-context.js';
import type { PaymentRequest } from './types.js';

/** Collaborators of the order's hold and its takeover. */
export interface OrderTakeoverDeps {
  charges: Pick<ChargeStore, 'get' | 'recordResult'>;
  gateway: Pick<PaymentGateway, 'void'>;
  logger: Logger;
  clock: () => Date;
}

// Step 1b of a payment: the order holds itself for it (the order is the
// arbiter), and a holder past its lease is taken over only once its key is
// voided at the gateway, so a replaced payment can never charge
// (docs/order-arbiter.md: the protocol and the interleavings it excludes).

/**
 * Step 1b: asks the order to hold itself for this payment. When another
 * transactionId holds it past its lease, this payment first voids that
 * holder's key at the gateway (the gateway's ledger is the judge: the first
 * of a charge and a void wins), and replaces it only if the holder never
 * charged and now never can (docs/order-arbiter.md).
 */
export async function holdOrder(
  deps: OrderTakeoverDeps,
  request: PaymentRequest,
  ctx: RequestContext,
): Promise<{ acquired: boolean; heldOrder?: HeldOrderHint }> {
  const gate: GateContext = {
    correlationId: ctx.correlationId,
    faults: ctx.faults,
    deadline: ctx.deadline,
  };
  const ids = {
    transactionId: request.transactionId,
    orderId: request.orderId,
    userId: request.userId,
  };
  const orders = ctx.orders;
  if (!orders) throw new Error('pay needs the order service (RequestContext.orders)');
  let answer = await orders.hold(request, gate);
  if (answer.kind === 'held-elsewhere' && answer.leaseOver && answer.holder) {
    const holder = answer.holder;
    if (await fenceHolder(deps, holder, ids)) {
      answer = await orders.hold(request, gate, holder);
      if (answer.kind === 'held') {
        logAction(deps.logger, {
          action: 'payment.hold',
          outcome: 'success',
          ...ids,
          replaced: holder,
          reason: 'replaced a holder whose gateway key was voided: it never charged, and never can',
        });
      }
    }
  }
  if (answer.kind === 'held-elsewhere') {
    logAction(deps.logger, {
      action: 'payment.hold',
      outcome: 'rejected',
      ...ids,
      reason: 'another transactionId holds the order',
    });
    throw answer.error;
  }
  return { acquired: answer.acquired, heldOrder: answer.heldOrder };
}

/**
 * The fence of a takeover: voids `holder`'s key at the gateway unless it
 * charged. True when the holder never charged and now never can. Either
 * way a holder's PENDING charge gets the gateway's final answer recorded,
 * so the reconciler finishes its payment (and its event ends the hold, or
 * says it was voided).
 */
async function fenceHolder(
  deps: OrderTakeoverDeps,
  holder: string,
  ids: Record<string, string>,
): Promise<boolean> {
  const charge = await deps.charges.get(holder);
  // A holder that charged will be PAID by its own result: never replaced.
  if (charge?.state === 'SUCCEEDED') return false;
  let answer: GatewayChargeResult;
  try {
    answer = await deps.gateway.void(holder);
  } catch (error) {
    logAction(deps.logger, {
      action: 'payment.void',
      outcome: 'failed',
      ...ids,
      holder,
      error,
    });
    return false;
  }
  if (charge?.state === 'PENDING') {
    await deps.charges.recordResult(holder, chargeResultOf(answer), deps.clock());
  }
  const fenced = answer.outcome !== 'succeeded';
  logAction(deps.logger, {
    action: 'payment.void',
    outcome: fenced ? 'success' : 'rejected',
    ...ids,
    holder,
    gatewayOutcome: answer.outcome,
    ...(fenced ? {} : { reason: 'the holder charged first: its result ends the hold' }),
  });
  return fenced;
}

/** Gives the order back; if that fails, the hold's lease and our charge guard let the next payment replace it. */
export async function releaseOrder(
  deps: Pick<OrderTakeoverDeps, 'logger'>,
  request: PaymentRequest,
  reason: string,
  ctx: RequestContext,
): Promise<void> {
  try {
    await ctx.orders?.release(request, reason, {
      correlationId: ctx.correlationId,
      faults: ctx.faults,
      deadline: ctx.deadline,
    });
    logAction(deps.logger, {
      action: 'payment.release',
      outcome: 'success',
      transactionId: request.transactionId,
      orderId: request.orderId,
      reason,
    });
  } catch (error) {
    logAction(deps.logger, {
      action: 'payment.release',
      outcome: 'failed',
      transactionId: request.transactionId,
      orderId: request.orderId,
      reason,
      error,
    });
  }
}
