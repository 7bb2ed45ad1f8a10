import { releaseHold } from '../../lib/order/payment-hold.js';
import { orderPathSchema, releaseSchema } from '../../lib/order/schemas.js';
import { toOrderView } from '../../lib/order/views.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { callerOf, depsFor, logger, observability } from './dependencies.js';

/** POST /orders/{orderId}/payment/release (internal): the holder gives the order back. */
export const handler = httpHandler({ observability, body: true }, async (event, context) => {
  const { orderId } = parseInput(orderPathSchema, event.pathParameters ?? {}, 'path');
  const input = parseInput(releaseSchema, event.jsonBody);
  const ids = { orderId, transactionId: input.transactionId };
  observability.tag(ids);
  const result = await releaseHold(
    depsFor(context),
    { orderId, ...input },
    { correlationId: event.correlationId, caller: callerOf(event, 'unknown') },
  );
  logAction(logger, {
    action: 'order.release',
    outcome: result.released ? 'success' : 'skipped',
    ...ids,
    reason: input.reason,
  });
  return json(200, { ...toOrderView(result.order), released: result.released });
});
