import { outboxMetricsHooks, recordOutboxBacklog } from '../../lib/outbox/metrics.js';
import { OutboxRelay } from '../../lib/outbox/relay.js';
import { relayHandler } from '../../lib/outbox/relay-handler.js';
import { ChargeReconciler } from '../../lib/payment/charge-reconciler.js';
import { createEventDeliverer } from '../../lib/payment/deliverer.js';
import { envInt } from '../../lib/shared/config.js';
import { gateway, internalClient, observability, payments } from './dependencies.js';

const { logger, metrics } = observability;
// The same stores and use cases as the payment handlers: the reconciler finishes
// an abandoned charge exactly as its request would have.
const reconciler = new ChargeReconciler({
  charges: payments.charges,
  service: payments.service,
  gateway,
  logger,
});
const reconcileGraceMs = envInt('CHARGE_RECONCILE_GRACE_SECONDS', 60) * 1000;
const relay = new OutboxRelay({
  store: payments.outbox,
  deliver: createEventDeliverer(internalClient()),
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
 * OUTBOX_MAX_ATTEMPTS. `{ redrive: { transactionId, eventId? } }` re-drives.
 */
export const handler = relayHandler(relay, logger, {
  onRun: (result) => recordOutboxBacklog(metrics, result),
  beforeRun: ({ remainingTimeMs }) =>
    reconciler.runOnce({ graceMs: reconcileGraceMs, limit: 25, remainingTimeMs }),
});
