import { createRedriveRoute } from '../../lib/payment/operator/redrive-route.js';
import { DynamoOutboxStore } from '../../lib/payment/outbox/store.js';
import { requireEnv } from '../../lib/shared/config.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { dynamo, observability } from './operator-dependencies.js';

const outbox = new DynamoOutboxStore(dynamo.doc, requireEnv('PAYMENTS_TABLE'));

/** POST /payments/{transactionId}/redrive (operator): DEAD events back to PENDING, logged with who asked. */
export const handler = httpHandler(
  { observability, body: true },
  createRedriveRoute({ outbox, logger: observability.logger }),
);
