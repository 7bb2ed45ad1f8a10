import type { Context } from 'aws-lambda';
import {
  outboxMetricsHooks,
  recordOldestPendingAge,
  recordOutboxBacklog,
} from '../../lib/outbox/metrics.js';
import { OutboxRelay } from '../../lib/outbox/relay.js';
import { relayHandler } from '../../lib/outbox/relay-handler.js';
import { DynamoRunLease } from '../../lib/outbox/run-lease.js';
import { ChargeReconciler } from '../../lib/payment/charge-reconciler.js';
import { oldestPendingAgeSeconds } from '../../lib/payment/outbox/backlog.js';
import { createEventDeliverer } from '../../lib/payment/outbox/deliverer.js';
import { recoverCharge } from '../../lib/payment/recover.js';
import { envInt, requireEnv } from '../../lib/shared/config.js';
import { FAULT_HEADER, type Fault, parseFaults } from '../../lib/shared/fault-injection.js';
import type { ShardSlice } from '../../lib/shared/shards.js';
import {
  dynamo,
  faultsEnabled,
  gateway,
  internalClient,
  observability,
  payments,
} from './dependencies.js';

const { logger, metrics } = observability;
const paymentsTable = requireEnv('PAYMENTS_TABLE');
// The same stores and use cases as the payment handlers: the reconciler finishes
// an abandoned charge exactly as its request would have.
const reconciler = new ChargeReconciler({
  charges: payments.charges,
  recover: (charge) => recoverCharge(payments.deps, charge),
  gateway,
  logger,
  concurrency: envInt('CHARGE_RECONCILE_CONCURRENCY', 4),
  backoff: {
    baseMs: envInt('CHARGE_RECONCILE_BACKOFF_SECONDS', 60) * 1000,
    capMs: 15 * 60_000,
  },
});
const reconcileGraceMs = envInt('CHARGE_RECONCILE_GRACE_SECONDS', 60) * 1000;
// Faults of the current run (local and test stages only): `{ "faults": "order=status:503" }`.
let runFaults: Fault[] = [];
const relay = new OutboxRelay({
  store: payments.outbox,
  deliver: createEventDeliverer(internalClient(), { faults: () => runFaults }),
  logger,
  horizonMs: envInt('OUTBOX_RETRY_HORIZON_SECONDS', 86_400) * 1000,
  maxAuthAttempts: envInt('OUTBOX_MAX_AUTH_ATTEMPTS', 10),
  batchSize: envInt('OUTBOX_BATCH_SIZE', 25),
  concurrency: envInt('OUTBOX_DELIVERY_CONCURRENCY', 8),
  hooks: outboxMetricsHooks(metrics),
});
const slices = envInt('OUTBOX_RELAY_SLICES', 1);
// One lease per slice (and one for a run of every shard): runs of different
// slices work at once; two runs of one slice do not.
const leases = new Map<string, DynamoRunLease>();
const leaseOf = (slice: ShardSlice | undefined) => {
  const name = slice ? `outbox-relay#${slice.index}of${slice.of}` : 'outbox-relay';
  let lease = leases.get(name);
  if (!lease) {
    lease = new DynamoRunLease({ doc: dynamo.doc, table: paymentsTable, name });
    leases.set(name, lease);
  }
  return lease;
};

const AGE_MEASURE_INTERVAL_MS = 55_000;
let lastAgeMeasuredAt = Number.NEGATIVE_INFINITY;

/**
 * Scheduled outbox relay (every minute in AWS, one run per slice of the
 * shards, OUTBOX_RELAY_SLICES at once; every RELAY_INTERVAL_MS through the
 * invoke API under `npm start`), one run per slice at a time through a
 * lease item in the payments table: first finishes charges abandoned for
 * CHARGE_RECONCILE_GRACE_SECONDS (their events join the outbox as PENDING),
 * CHARGE_RECONCILE_CONCURRENCY at a time, each failing one backing off,
 * then re-delivers pending events OUTBOX_DELIVERY_CONCURRENCY at a time,
 * until none is due or the run's time is nearly spent, with capped backoff, parking them as DEAD
 * only when refused for good, after OUTBOX_MAX_AUTH_ATTEMPTS answers of
 * 401/403, or past OUTBOX_RETRY_HORIZON_SECONDS; then reports the backlog and
 * its oldest event's age. A run that could not do its work fails the
 * invocation. `{ redrive: { transactionId, eventId? } }` re-drives.
 */
const relayRun = relayHandler(relay, logger, {
  lease: leaseOf,
  slices,
  beforeRun: ({ remainingTimeMs, slice }) =>
    reconciler.runOnce({ graceMs: reconcileGraceMs, limit: 25, remainingTimeMs, slice }),
  onRun: async (result) => {
    recordOutboxBacklog(metrics, result);
    // It reads every PENDING entry of the index: once a minute is what the
    // alarm needs (the schedule's rate in AWS; `npm start` and the tests
    // invoke the relay far more often).
    if (Date.now() - lastAgeMeasuredAt < AGE_MEASURE_INTERVAL_MS) return;
    lastAgeMeasuredAt = Date.now();
    recordOldestPendingAge(metrics, await oldestPendingAgeSeconds(dynamo.doc, paymentsTable));
  },
});

/** The relay function: one run, meeting the faults its event names where the stage allows them. */
export const handler = async (event: unknown, context: Context) => {
  const faults = (event as { faults?: unknown } | null)?.faults;
  runFaults =
    typeof faults === 'string' ? parseFaults({ [FAULT_HEADER]: faults }, faultsEnabled) : [];
  try {
    // No handler subsegment (as before), but a sampled run loads the Tracer,
    // whose patch of node:http(s) records the deliveries' calls.
    await observability.tracer.startInvocation();
    return await relayRun(event, context);
  } finally {
    runFaults = [];
  }
};
