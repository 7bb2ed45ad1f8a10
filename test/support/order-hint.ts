import type { HeldOrder } from '../../lib/order/order-service.js';
import type { HoldResult } from '../../lib/order/payment-hold.js';
import { heldOrderSchema } from '../../lib/order/schemas.js';
import { parseInput } from '../../lib/shared/validation.js';

/** The `heldOrder` hint a hold's answer gives (functions/order/hold.ts), as the payment passes it on. */
export function heldOrderHint({ order, heldAt }: HoldResult): HeldOrder {
  return parseInput(heldOrderSchema, {
    seq: order.auditSeq,
    status: order.status,
    version: order.version,
    userId: order.userId,
    amountMinor: order.amountMinor,
    currency: order.currency,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    ...(heldAt ? { heldAt } : {}),
  });
}
