import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { idempotentPay } from '../../lib/payment/idempotency.js';
import { pay as payUseCase } from '../../lib/payment/pay.js';
import { createPayRoute, PAYMENT_TIMEOUT_MESSAGE } from '../../lib/payment/routes.js';
import { envInt, requireEnv } from '../../lib/shared/config.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { dynamo, faultsEnabled, internalClient, observability, payments } from './dependencies.js';

// One persistence layer for this one idempotency configuration (a shared one keeps the first config).
const pay = idempotentPay((request, ctx) => payUseCase(payments.deps, request, ctx), {
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: requireEnv('IDEMPOTENCY_TABLE'),
    awsSdkV3Client: dynamo.client,
  }),
  expiresAfterSeconds: envInt('IDEMPOTENCY_TTL_SECONDS', 86_400),
});

/** POST /payments: charge at most once, then deliver the outbox events. */
export const handler = httpHandler(
  { observability, body: true, timeoutMessage: PAYMENT_TIMEOUT_MESSAGE },
  createPayRoute({
    logger: observability.logger,
    pay,
    faultsEnabled,
    count: observability.count,
    internalClient: internalClient(),
  }),
);
