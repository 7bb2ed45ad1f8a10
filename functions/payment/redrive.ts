import { createRedriveRoute } from '../../lib/payment/operator-routes.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { observability, payments } from './dependencies.js';

/** POST /payments/{transactionId}/redrive (operator): DEAD events back to PENDING, logged with who asked. */
export const handler = httpHandler(
  { observability, body: true },
  createRedriveRoute({ outbox: payments.outbox, logger: observability.logger }),
);
