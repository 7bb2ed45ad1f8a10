import { serviceTokenProvider } from '../../lib/auth/service-tokens.js';
import { outboxMetricsHooks, recordOutboxBacklog } from '../../lib/outbox/metrics.js';
import { OutboxRelay } from '../../lib/outbox/relay.js';
import { relayHandler } from '../../lib/outbox/relay-handler.js';
import { paymentInternalClient } from '../../lib/payment/compose.js';
import { createEventDeliverer } from '../../lib/payment/deliverer.js';
import { DynamoOutboxStore } from '../../lib/payment/outbox-store.js';
import { envInt, requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { createObservability } from '../../lib/shared/observability.js';

const { logger, metrics } = createObservability('payment');
const outbox = new DynamoOutboxStore(dynamoFromEnv().doc, requireEnv('PAYMENTS_TABLE'));
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
 * the invoke API under `npm start`): re-delivers pending events with backoff,
 * parks them as DEAD after OUTBOX_MAX_ATTEMPTS.
 */
export const handler = relayHandler(relay, logger, {
  onRun: (result) => recordOutboxBacklog(metrics, result),
});
