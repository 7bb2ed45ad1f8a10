import { createOrder } from '../../lib/order/order-service.js';
import { createOrderSchema } from '../../lib/order/schemas.js';
import { toOrderView } from '../../lib/order/views.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { callerOf, depsFor, logger, observability } from './dependencies.js';

/** POST /orders: create an order in PENDING (idempotent on orderId). */
export const handler = httpHandler({ observability, body: true }, async (event, context) => {
  const input = parseInput(createOrderSchema, event.jsonBody);
  observability.tag({ orderId: input.orderId, userId: input.userId });
  const { orderId, userId, amountMinor, currency } = input;
  const result = await createOrder(
    depsFor(context),
    { orderId, userId, amountMinor, currency },
    { correlationId: event.correlationId, caller: callerOf(event, 'client') },
  );
  logAction(logger, {
    action: 'order.create',
    outcome: result.created ? 'success' : 'replayed',
    // A creation is told at INFO by the request's own line (POST /orders, 201,
    // with the orderId and userId); a replay (200) is told here too.
    detail: true,
    orderId,
    userId,
  });
  return json(result.created ? 201 : 200, toOrderView(result.order));
});
