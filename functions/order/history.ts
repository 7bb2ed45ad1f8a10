import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { notImplemented } from '../../lib/shared/not-implemented.js';

const logger = createLogger('order');

/** GET /orders/{orderId}/history: every operation on the order, in order. */
export const handler = httpHandler({ logger }, notImplemented);
