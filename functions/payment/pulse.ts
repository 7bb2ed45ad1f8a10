import { createPulseRoute } from '../../lib/payment/operator/routes.js';
import { requireEnv } from '../../lib/shared/config.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { dynamo, observability } from './operator-dependencies.js';

/** GET /pulse?window= (operator): the on-call pulse, from bounded index reads. */
export const handler = httpHandler(
  { observability },
  createPulseRoute({ doc: dynamo.doc, paymentsTable: requireEnv('PAYMENTS_TABLE') }),
);
