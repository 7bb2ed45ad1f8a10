import { createGetRoute } from '../../lib/payment/routes.js';
import { viewPayment } from '../../lib/payment/view.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { observability, payments } from './dependencies.js';

/** GET /payments/{transactionId}: the payment, its charge and its outbox events. */
export const handler = httpHandler(
  { observability },
  createGetRoute({ view: (transactionId) => viewPayment(payments.deps, transactionId) }),
);
