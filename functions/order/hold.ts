import { holdForPayment } from '../../lib/order/payment-hold.js';
import { holdSchema, orderPathSchema } from '../../lib/order/schemas.js';
import { toOrderView } from '../../lib/order/views.js';
import { isAppError } from '../../lib/shared/errors.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { callerOf, depsFor, logger, observability } from './dependencies.js';

/** PUT /orders/{orderId}/payment (internal): may this transactionId charge the order? If so, it holds it. */
export const handler = httpHandler({ observability, body: true }, async (event, context) => {
  const { orderId } = parseInput(orderPathSchema, event.pathParameters ?? {}, 'path');
  const input = parseInput(holdSchema, event.jsonBody);
  const ids = { orderId, transactionId: input.transactionId, userId: input.userId };
  observability.tag(ids);
  try {
    const result = await holdForPayment(
      depsFor(context),
      {
        orderId,
        transactionId: input.transactionId,
        userId: input.userId,
        amountMinor: input.amountMinor,
        currency: input.currency,
        replaces: input.replaces,
      },
      { correlationId: event.correlationId, caller: callerOf(event, 'unknown') },
    );
    logAction(logger, {
      action: 'order.hold',
      outcome: result.acquired ? 'success' : 'replayed',
      // A hold taken is told at INFO by the request's own line (200, with the
      // ids) and by the order's history; one that was held already, here too.
      detail: true,
      ...ids,
      status: result.order.status,
      ...(input.replaces ? { replaces: input.replaces } : {}),
    });
    // `seq`: the order's place in its history after the hold. The payment's
    // status event brings it back, so the result can land in one write.
    // `heldAt`: the hold was taken in one write and its history row, kept on
    // the order, is in the history table too: the status event drops it from
    // the order, checked against it.
    return json(200, {
      ...toOrderView(result.order),
      acquired: result.acquired,
      seq: result.order.auditSeq,
      ...(result.heldAt ? { heldAt: result.heldAt } : {}),
    });
  } catch (error) {
    if (isAppError(error) && error.status < 500) {
      logAction(logger, { action: 'order.hold', outcome: 'rejected', ...ids, error });
    }
    throw error;
  }
});
