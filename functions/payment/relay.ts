import { serviceTokenProvider } from '../../lib/auth/service-tokens.js';
import { outboxMetricsHooks, recordOutboxBacklog } from '../../lib/outbox/metrics.js';
import { OutboxRelay } from '../../lib/outbox/relay.js';
import { relayHandler } from '../../lib/outbox/relay-handler.js';
import { ChargeReconciler } from '../../lib/payment/charge-reconciler.js';
import { composePaymentService, paymentInternalClient } from '../../lib/payment/compose.js';
import { createEventDeliverer } from '../../lib/payment/deliverer.js';
import { SimulatedGateway } from '../../lib/payment/gateway.js';
import { envInt, requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { createObservability } from '../../lib/shared/observability.js';

const { logger, metrics } = createObservability('payment');
// The same stores and use cases as the payment handlers: the reconciler finishes
// an abandoned charge exactly as its request would have.
const { service, outbox, charges } = composePaymentService({
  doc: dynamoFromEnv().doc,
  paymentsTable: requireEnv('PAYMENTS_TABLE'),
  chargesTable: requireEnv('CHARGES_TABLE'),
  gateway: new SimulatedGateway(),
  logger,
});
const reconciler = new ChargeReconciler({ charges, service, logger });
const reconcileGraceMs = envInt('CHARGE_RECONCILE_GRACE_SECONDS', 60) * 1000;
// One client per container: its breakers are the container's view of each downstream.
const client = paymentInternalClient({
  serviceBaseUrl: requireEnv('SERVICE_BASE_URL'),
  timeoutMs: envInt('DOWNSTREAM_TIMEOUT_MS', 3000),
  logger,
  metrics,
  tokenProvider: serviceTokenProvider('payment'),
});
const relay = new OutboxRelay({
  store: outbox,
  deliver: createEventDeliverer(client),
  logger,
  maxAttempts: envInt('OUTBOX_MAX_ATTEMPTS', 8),
  batchSize: envInt('OUTBOX_BATCH_SIZE', 25),
  hooks: outboxMetricsHooks(metrics),
});

/**
 * Scheduled outbox relay (every minute in AWS; every RELAY_INTERVAL_MS through
 * the invoke API under `npm start`): first finishes charges abandoned for
 * CHARGE_RECONCILE_GRACE_SECONDS (their events join the outbox as PENDING),
 * then re-delivers pending events with backoff, parking them as DEAD after
 * OUTBOX_MAX_ATTEMPTS.
 */
export const handler = relayHandler(relay, logger, {
  onRun: (result) => recordOutboxBacklog(metrics, result),
  beforeRun: ({ remainingTimeMs }) =>
    reconciler.runOnce({ graceMs: reconcileGraceMs, limit: 25, remainingTimeMs }),
});
