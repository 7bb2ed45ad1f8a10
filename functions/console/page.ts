import { html, script, stylesheet } from 'virtual:console-assets';
import { createConsoleRoute } from '../../lib/shared/console-page.js';
import { createLogger } from '../../lib/shared/logger.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';

// The payments team's console: its lines go with the payment service's. A
// logger only (no tracer, no metrics): it serves three static files.
const logger = createLogger('payment');

/** GET /console[/{asset}] (operator): the operations console, built into this bundle. */
export const handler = httpHandler({ logger }, createConsoleRoute({ html, script, stylesheet }));
