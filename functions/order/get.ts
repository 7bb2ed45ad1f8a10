import { getOrder } from '../../lib/order/order-service.js';
import { orderPathSchema } from '../../lib/order/schemas.js';
import { toOrderView } from '../../lib/order/views.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { logger, observability, orderCache, repository } from './dependencies.js';

const loadOrder = (orderId: string) => repository.get(orderId);

/** GET /orders/{orderId}: the order, its status and version (read-through cached). */
export const handler = httpHandler({ observability }, async (event) => {
  const { orderId } = parseInput(orderPathSchema, event.pathParameters ?? {}, 'path');
  observability.tag({ orderId });
  const order = await getOrder((id) => orderCache.get(id, loadOrder), orderId);
  logAction(logger, { action: 'order.get', outcome: 'success', orderId, version: order.version });
  return json(200, toOrderView(order));
});
