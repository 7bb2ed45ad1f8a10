import { composePaymentService } from '../../lib/payment/compose.js';
import { SimulatedGateway } from '../../lib/payment/gateway.js';
import { createGetRoute } from '../../lib/payment/routes.js';
import { requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { createObservability } from '../../lib/shared/observability.js';

const observability = createObservability('payment');
const { logger } = observability;
const { service } = composePaymentService({
  doc: dynamoFromEnv().doc,
  paymentsTable: requireEnv('PAYMENTS_TABLE'),
  chargesTable: requireEnv('CHARGES_TABLE'),
  // Reads never charge; the gateway is only there to complete the service.
  gateway: new SimulatedGateway(),
  logger,
});

/** GET /payments/{transactionId}: the payment, its charge and its outbox events. */
export const handler = httpHandler({ observability }, createGetRoute({ service }));
