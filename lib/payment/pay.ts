import { findFault } from '../shared/fault-injection.js';
import { assertSamePayment, chargeOnce } from './charge-guard.js';
import { finalizeAndDeliver } from './finalize.js';
import { GatewayUnavailableError } from './gateway-port.js';
import { holdOrder, releaseOrder } from './order-takeover.js';
import {
  type Charged,
  InjectedCrashError,
  isRecorded,
  type PaymentDeps,
  type RequestContext,
} from './payment-context.js';
import type { PaymentRequest, PaymentResult } from './types.js';
import { paymentView } from './view.js';

/**
 * POST /payments: the order decides first (it must exist, match and be
 * payable, and this transactionId then holds it), then the charge at most
 * once, then the payment and its events. The result is final (201
 * SUCCEEDED or FAILED) and safe to replay; every refusal before the charge
 * throws, so the idempotency key is released.
 */
export async function pay(
  deps: PaymentDeps,
  request: PaymentRequest,
  ctx: RequestContext,
): Promise<PaymentResult> {
  ctx.signal?.throwIfAborted();
  // Whatever record of this transactionId exists is checked before the
  // order is asked: a transactionId reused with another payload can never
  // hold an order, and one whose result is known never takes a hold again.
  const earlier = await deps.charges.get(request.transactionId);
  if (earlier) assertSamePayment(earlier, request);
  if (earlier && isRecorded(earlier)) {
    const record = await finalizeAndDeliver(deps, { charge: earlier }, ctx);
    return { statusCode: 201, body: paymentView(record.payment, record.events) };
  }
  const hold = await holdOrder(deps, request, ctx);
  ctx.signal?.throwIfAborted();
  let charged: Charged;
  try {
    charged = await chargeOnce(deps, request, ctx, earlier);
  } catch (error) {
    if (error instanceof GatewayUnavailableError && !error.reachedGateway) {
      // Proven uncharged: the order may be paid by another transactionId.
      await releaseOrder(deps, request, 'the gateway never saw the charge', ctx);
    }
    throw error;
  }
  if (findFault(ctx.faults, 'payment', 'crash-after-charge')) throw new InjectedCrashError();
  // Past the deadline the charge stays PENDING and listed: the reconciler finishes it.
  ctx.signal?.throwIfAborted();
  const record = await finalizeAndDeliver(deps, charged, ctx, hold.heldOrder);
  return { statusCode: 201, body: paymentView(record.payment, record.events) };
}
