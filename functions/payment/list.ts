import { DynamoPaymentList } from '../../lib/payment/operator/payment-list.js';
import { createListRoute } from '../../lib/payment/operator/routes.js';
import { requireEnv } from '../../lib/shared/config.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { dynamo, observability } from './operator-dependencies.js';

const list = new DynamoPaymentList(
  dynamo.doc,
  requireEnv('PAYMENTS_TABLE'),
  requireEnv('CHARGES_TABLE'),
);

/** GET /payments?status=&limit=&cursor= (operator): payments newest first, from indexes. */
export const handler = httpHandler({ observability }, createListRoute({ list }));
