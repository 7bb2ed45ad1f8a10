import { ssmParameterReader } from '../../lib/http/ssm.js';
import { confirmCallback } from '../../lib/payment/gateway-callback.js';
import { createCallbackRoute } from '../../lib/payment/routes.js';
import { webhookSecretFromEnv } from '../../lib/payment/webhook-secret.js';
import { envInt } from '../../lib/shared/config.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { faultsEnabled, internalClient, observability, payments } from './dependencies.js';

/**
 * POST /payments/callback: the gateway's signed confirmation, processed at
 * most once. The HMAC secret is read at run time (SSM in AWS, cached): a
 * stage without it answers 503 and logs which parameter is missing.
 */
export const handler = httpHandler(
  { observability, body: true },
  createCallbackRoute({
    logger: observability.logger,
    confirm: (callback, ctx) => confirmCallback(payments.deps, callback, ctx),
    secret: webhookSecretFromEnv(process.env, {
      readParameter: ssmParameterReader,
      logger: observability.logger,
    }),
    toleranceSeconds: envInt('GATEWAY_SIGNATURE_TOLERANCE_SECONDS', 300),
    faultsEnabled,
    count: observability.count,
    internalClient: internalClient(),
  }),
);
