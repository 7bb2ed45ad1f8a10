import { createCallbackRoute } from '../../lib/payment/routes.js';
import { envInt, requireEnv } from '../../lib/shared/config.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { faultsEnabled, internalClient, observability, payments } from './dependencies.js';

/** POST /payments/callback: the gateway's signed confirmation, processed at most once. */
export const handler = httpHandler(
  { observability, body: true },
  createCallbackRoute({
    logger: observability.logger,
    service: payments.service,
    secret: requireEnv('GATEWAY_WEBHOOK_SECRET'),
    toleranceSeconds: envInt('GATEWAY_SIGNATURE_TOLERANCE_SECONDS', 300),
    faultsEnabled,
    count: observability.count,
    internalClient: internalClient(),
  }),
);
