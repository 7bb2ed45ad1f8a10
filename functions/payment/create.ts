import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { serviceTokenProvider } from '../../lib/auth/service-tokens.js';
import { composePaymentService, paymentInternalClient } from '../../lib/payment/compose.js';
import { SimulatedGateway } from '../../lib/payment/gateway.js';
import { idempotentPay } from '../../lib/payment/idempotency.js';
import { createPayRoute } from '../../lib/payment/routes.js';
import { envInt, isTestStage, requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { createObservability } from '../../lib/shared/observability.js';

const observability = createObservability('payment');
const { logger } = observability;
const { client, doc } = dynamoFromEnv();
const { service } = composePaymentService({
  doc,
  paymentsTable: requireEnv('PAYMENTS_TABLE'),
  chargesTable: requireEnv('CHARGES_TABLE'),
  gateway: new SimulatedGateway(),
  logger,
});
const pay = idempotentPay((request, ctx) => service.pay(request, ctx), {
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: requireEnv('IDEMPOTENCY_TABLE'),
    awsSdkV3Client: client,
  }),
  expiresAfterSeconds: envInt('IDEMPOTENCY_TTL_SECONDS', 86_400),
});

/** POST /payments: charge at most once, then deliver the outbox events. */
export const handler = httpHandler(
  { observability, body: true },
  createPayRoute({
    logger,
    pay,
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
