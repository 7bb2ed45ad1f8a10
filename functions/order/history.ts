import { getOrderHistory } from '../../lib/order/order-service.js';
import { orderPathSchema } from '../../lib/order/schemas.js';
import { toAuditView } from '../../lib/order/views.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { logger, observability, repository } from './dependencies.js';

/** GET /orders/{orderId}/history: every operation on the order, in order. */
export const handler = httpHandler({ observability }, async (event) => {
  const { orderId } = parseInput(orderPathSchema, event.pathParameters ?? {}, 'path');
  observability.tag({ orderId });
  const entries = await getOrderHistory(repository, orderId);
  logAction(logger, {
    action: 'order.history',
    outcome: 'success',
    orderId,
    entries: entries.length,
  });
  return json(200, { orderId, entries: entries.map(toAuditView) });
});
