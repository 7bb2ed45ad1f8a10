import { serviceTokenProvider } from '../../lib/auth/service-tokens.js';
import { composePaymentService, paymentInternalClient } from '../../lib/payment/compose.js';
import { SimulatedGateway } from '../../lib/payment/gateway.js';
import { createCallbackRoute } from '../../lib/payment/routes.js';
import { envInt, isTestStage, requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { createObservability } from '../../lib/shared/observability.js';

const observability = createObservability('payment');
const { logger } = observability;
const { service } = composePaymentService({
  doc: dynamoFromEnv().doc,
  paymentsTable: requireEnv('PAYMENTS_TABLE'),
  chargesTable: requireEnv('CHARGES_TABLE'),
  gateway: new SimulatedGateway(),
  logger,
});

/** POST /payments/callback: the gateway's signed confirmation, processed at most once. */
export const handler = httpHandler(
  { observability, body: true },
  createCallbackRoute({
    logger,
    service,
    secret: requireEnv('GATEWAY_WEBHOOK_SECRET'),
    toleranceSeconds: envInt('GATEWAY_SIGNATURE_TOLERANCE_SECONDS', 300),
    faultsEnabled: process.env.FAULT_INJECTION === 'true' && isTestStage(process.env.STAGE),
    internalClient: paymentInternalClient({
      serviceBaseUrl: requireEnv('SERVICE_BASE_URL'),
      timeoutMs: envInt('DOWNSTREAM_TIMEOUT_MS', 3000),
      logger,
      metrics: observability.metrics,
      tokenProvider: serviceTokenProvider('payment'),
    }),
  }),
);
