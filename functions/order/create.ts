import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { notImplemented } from '../../lib/shared/not-implemented.js';

const logger = createLogger('order');

/** POST /orders: create an order in PENDING (idempotent on orderId). */
export const handler = httpHandler({ logger, body: true }, notImplemented);
