import { updateOrderStatus } from '../../lib/order/order-service.js';
import { orderPathSchema, updateStatusSchema } from '../../lib/order/schemas.js';
import { toOrderView } from '../../lib/order/views.js';
import { isAppError } from '../../lib/shared/errors.js';
import { json } from '../../lib/shared/http.js';
import { logAction } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { parseInput } from '../../lib/shared/validation.js';
import { callerOf, depsFor, logger, observability } from './dependencies.js';

/** PUT /orders/{orderId}/status (internal): change the status if it differs. */
export const handler = httpHandler({ observability, body: true }, async (event, context) => {
  const { orderId } = parseInput(orderPathSchema, event.pathParameters ?? {}, 'path');
  const input = parseInput(updateStatusSchema, event.jsonBody);
  observability.tag({ orderId, eventId: input.eventId });
  const ids = { orderId, eventId: input.eventId, requestedStatus: input.status };
  try {
    const result = await updateOrderStatus(
      depsFor(context),
      { orderId, ...input },
      { correlationId: event.correlationId, caller: callerOf(event, 'unknown') },
    );
    logAction(logger, {
      action: 'order.status',
      outcome: result.duplicateEvent ? 'replayed' : result.changed ? 'success' : 'skipped',
      ...ids,
      previousStatus: result.previousStatus,
      seq: result.seq,
    });
    return json(200, {
      ...toOrderView(result.order),
      previousStatus: result.previousStatus,
      changed: result.changed,
      outcome: result.outcome,
      duplicateEvent: result.duplicateEvent,
      ...(input.eventId ? { eventId: input.eventId } : {}),
      ...(result.originalSeq === undefined ? {} : { originalSeq: result.originalSeq }),
    });
  } catch (error) {
    if (isAppError(error) && error.status < 500) {
      logAction(logger, { action: 'order.status', outcome: 'rejected', ...ids, error });
    }
    throw error;
  }
});
