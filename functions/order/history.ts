import { getOrderHistory } from '../../lib/order/order-service.js';
import { historyCursor, historyQuerySchema, orderPathSchema } from '../../lib/order/schemas.js';
import { toAuditView } from '../../lib/order/views.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { logger, observability, repository } from './dependencies.js';

/** GET /orders/{orderId}/history?limit=&cursor=: the operations on the order, in order, a page at a time. */
export const handler = httpHandler({ observability }, async (event) => {
  const { orderId } = parseInput(orderPathSchema, event.pathParameters ?? {}, 'path');
  const query = parseInput(historyQuerySchema, event.queryStringParameters ?? {}, 'query');
  observability.tag({ orderId });
  const page = await getOrderHistory(repository, orderId, {
    limit: query.limit ?? 100,
    afterSeq: query.cursor,
  });
  logAction(logger, {
    action: 'order.history',
    outcome: 'success',
    orderId,
    entries: page.entries.length,
  });
  return json(200, {
    orderId,
    entries: page.entries.map(toAuditView),
    nextCursor: page.lastSeq === undefined ? null : historyCursor(page.lastSeq),
    refusedCreates: page.refusedCreates,
  });
});
