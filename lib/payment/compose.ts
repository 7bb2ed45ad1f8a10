import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createInternalClient } from '../http/client.js';
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

/** The client the payment service calls order and notification with (all services share one base URL). */
export function paymentInternalClient(options: {
  serviceBaseUrl: string;
  timeoutMs: number;
  logger?: Logger;
  metrics?: Pick<Metrics, 'singleMetric'>;
  /** Mints the payment service's JWT for each call (lib/auth). */
  tokenProvider: TokenProvider;
}): InternalClient {
  return createInternalClient({
    logger: options.logger,
    hooks: options.metrics ? clientMetricsHooks(options.metrics) : undefined,
    baseUrls: {
      order: options.serviceBaseUrl,
      notification: options.serviceBaseUrl,
      payment: options.serviceBaseUrl,
    },
    timeoutMs: options.timeoutMs,
    tokenProvider: options.tokenProvider,
  });
}
