import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { notImplemented } from '../../lib/shared/not-implemented.js';

const logger = createLogger('notification');

/** POST /notifications (internal): send at most once per userId + message. */
export const handler = httpHandler({ logger, body: true }, notImplemented);
