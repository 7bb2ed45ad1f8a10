import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { notImplemented } from '../../lib/shared/not-implemented.js';

const logger = createLogger('payment');

/** POST /payments/callback: the gateway's signed confirmation, processed at most once. */
export const handler = httpHandler({ logger, body: true }, notImplemented);
