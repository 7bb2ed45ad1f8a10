import { createVoidRoute } from '../../lib/payment/operator/void-route.js';
import { voidPending } from '../../lib/payment/recover.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { observability, payments } from './dependencies.js';

/** POST /payments/{transactionId}/void (operator): void a payment stuck PENDING and free its order. */
export const handler = httpHandler(
  { observability },
  createVoidRoute({
    voidPending: (transactionId) => voidPending(payments.deps, transactionId),
    logger: observability.logger,
  }),
);
