import { createOutboxHealthRoute } from '../../lib/payment/operator/routes.js';
import { requireEnv } from '../../lib/shared/config.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { dynamo, observability } from './operator-dependencies.js';

/** GET /outbox (operator): the outbox's counts, oldest pending event, DEAD list and charges in flight. */
export const handler = httpHandler(
  { observability },
  createOutboxHealthRoute({
    doc: dynamo.doc,
    paymentsTable: requireEnv('PAYMENTS_TABLE'),
    chargesTable: requireEnv('CHARGES_TABLE'),
  }),
);
