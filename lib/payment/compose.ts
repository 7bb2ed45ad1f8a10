import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createInternalClient } from '../http/client.js';
import { type InvokeRoute, lambdaInvokeTransport } from '../http/lambda-invoke.js';
import { clientMetricsHooks } from '../http/metrics.js';
import type { InternalClient, TokenProvider } from '../shared/internal-client.js';
import { logAction } from '../shared/logger.js';
import { DynamoChargeStore } from './charge-store.js';
import type { PaymentGateway } from './gateway-port.js';
import { OUTBOX_DUE_INDEX, UNFINALIZED_INDEX } from './indexes.js';
import { DynamoOutboxStore } from './outbox/store.js';
import { type PaymentDeps, paymentDeps } from './payment-context.js';
import { DynamoPaymentStore } from './payment-store.js';

/** Configuration the payment handlers read from the environment, once, at the edge. */
export interface PaymentWiring {
  doc: DynamoDBDocumentClient;
  paymentsTable: string;
  chargesTable: string;
  gateway: PaymentGateway;
  logger: Logger;
}

/** The payment service on DynamoDB: its use cases' deps, and its stores. */
export function composePaymentService(wiring: PaymentWiring): {
  deps: PaymentDeps;
  outbox: DynamoOutboxStore;
  charges: DynamoChargeStore;
  payments: DynamoPaymentStore;
} {
  // A shard of an index the relay's run cannot read is left for the next run
  // (its items stay listed), logged at WARN so that a shard that keeps failing shows.
  const skippedShard = (action: string, index: string) => (shard: string, error: unknown) =>
    logAction(wiring.logger, { action, outcome: 'retrying', index, shard, error });
  const outbox = new DynamoOutboxStore(wiring.doc, wiring.paymentsTable, undefined, {
    onShardFailure: skippedShard('outbox.list-due', OUTBOX_DUE_INDEX),
  });
  const charges = new DynamoChargeStore(wiring.doc, wiring.chargesTable, {
    onShardFailure: skippedShard('payment.reconcile-list', UNFINALIZED_INDEX),
  });
  const payments = new DynamoPaymentStore(wiring.doc, wiring.paymentsTable);
  const deps = paymentDeps({
    charges,
    payments,
    outbox,
    gateway: wiring.gateway,
    logger: wiring.logger,
  });
  return { deps, outbox, charges, payments };
}

/**
 * The environment variable that names the function serving each internal
 * route the payment service calls (serverless.yml sets, per payment function,
 * those it calls and may invoke).
 */
export const INVOKE_FUNCTION_ENV: Readonly<Record<string, string>> = {
  'PUT /orders/{orderId}/payment': 'ORDER_HOLD_FUNCTION',
  'POST /orders/{orderId}/payment/release': 'ORDER_RELEASE_FUNCTION',
  'PUT /orders/{orderId}/status': 'ORDER_STATUS_FUNCTION',
  'POST /notifications': 'NOTIFICATION_SEND_FUNCTION',
};

/** The routes whose function `env` names: the payment function's direct calls. */
export function invokeRoutesFromEnv(env: NodeJS.ProcessEnv): InvokeRoute[] {
  return Object.entries(INVOKE_FUNCTION_ENV).flatMap(([routeKey, name]) => {
    const functionName = env[name];
    return functionName ? [{ routeKey, functionName }] : [];
  });
}

/**
 * The client the payment service calls order and notification with: straight
 * to their functions through the Lambda Invoke API when `invokeRoutes` names
 * them (no API Gateway request per call), else over HTTP to the API (all
 * services share one base URL). Timeouts, retries, breakers and the JWT are
 * the same on both.
 */
export function paymentInternalClient(options: {
  serviceBaseUrl?: string;
  /** The functions to invoke directly, per route (lib/http/lambda-invoke.ts). */
  invokeRoutes?: readonly InvokeRoute[];
  timeoutMs: number;
  logger?: Logger;
  metrics?: Pick<Metrics, 'singleMetric'>;
  /** Mints the payment service's JWT for each call (lib/auth). */
  tokenProvider: TokenProvider;
}): InternalClient {
  const base = options.serviceBaseUrl;
  return createInternalClient({
    logger: options.logger,
    hooks: options.metrics ? clientMetricsHooks(options.metrics) : undefined,
    ...(options.invokeRoutes?.length
      ? { transport: lambdaInvokeTransport({ routes: options.invokeRoutes, caller: 'payment' }) }
      : base
        ? { baseUrls: { order: base, notification: base, payment: base } }
        : {}),
    timeoutMs: options.timeoutMs,
    tokenProvider: options.tokenProvider,
  });
}
