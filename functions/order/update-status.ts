import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { notImplemented } from '../../lib/shared/not-implemented.js';

const logger = createLogger('order');

/** PUT /orders/{orderId}/status (internal): change the status if it differs. */
export const handler = httpHandler({ logger, body: true }, notImplemented);
