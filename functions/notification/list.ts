import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { notImplemented } from '../../lib/shared/not-implemented.js';

const logger = createLogger('notification');

/** GET /notifications?userId=: what was sent and skipped. */
export const handler = httpHandler({ logger }, notImplemented);
