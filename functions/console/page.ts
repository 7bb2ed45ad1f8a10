import { html, script, stylesheet } from 'virtual:console-assets';
import { createConsoleRoute } from '../../lib/shared/console-page.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { createObservability } from '../../lib/shared/observability.js';

// The payments team's console: its lines go with the payment service's.
const observability = createObservability('payment');

/** GET /console[/{asset}] (operator): the operations console, built into this bundle. */
export const handler = httpHandler(
  { observability },
  createConsoleRoute({ html, script, stylesheet }),
);
