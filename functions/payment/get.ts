import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { notImplemented } from '../../lib/shared/not-implemented.js';

const logger = createLogger('payment');

/** GET /payments/{transactionId}: the payment, its charge and its outbox events. */
export const handler = httpHandler({ logger }, notImplemented);
