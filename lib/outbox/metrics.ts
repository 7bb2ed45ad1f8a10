import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { OutboxRelayHooks } from './relay.js';
import type { OutboxEvent } from './types.js';

/**
 * The metrics the outbox relay emits (namespace POWERTOOLS_METRICS_NAMESPACE,
 * dimension `service`): delivered, retried and dead per `eventType`, dead
 * also in total (what the DEAD alarm watches), and after each run the
 * backlog and the age of the oldest PENDING event.
 */
export const OUTBOX_METRICS = {
  delivered: 'OutboxDelivered',
  retried: 'OutboxRetried',
  dead: 'OutboxDead',
  pending: 'OutboxPending',
  oldestPendingAge: 'OutboxOldestPendingAge',
} as const;

/**
 * After each relay run: how many due events are still pending (failed again,
 * or left for lack of time) — the backlog to watch alongside OutboxDead.
 */
export function recordOutboxBacklog(
  metrics: Pick<Metrics, 'singleMetric'>,
  result: { retried: number; skipped: number },
): void {
  metrics
    .singleMetric()
    .addMetric(OUTBOX_METRICS.pending, MetricUnit.Count, result.retried + result.skipped);
}

/**
 * After each relay run: how old the oldest PENDING event is, in seconds (0
 * when none is): an effect the relay has not managed to deliver for that
 * long. Its alarm catches a relay that stopped running as well as one that
 * keeps failing.
 */
export function recordOldestPendingAge(
  metrics: Pick<Metrics, 'singleMetric'>,
  ageSeconds: number,
): void {
  metrics
    .singleMetric()
    .addMetric(OUTBOX_METRICS.oldestPendingAge, MetricUnit.Seconds, Math.max(0, ageSeconds));
}

/**
 * Relay hooks that count deliveries, retries and dead events per event type.
 * `OutboxDead` is the one to alarm on: each is an effect waiting for an operator.
 * It is also counted without `eventType`, the total the alarm watches.
 */
export function outboxMetricsHooks(metrics: Pick<Metrics, 'singleMetric'>): OutboxRelayHooks {
  const count = (name: string, event: OutboxEvent) => {
    const metric = metrics.singleMetric();
    metric.addDimension('eventType', event.type);
    metric.addMetric(name, MetricUnit.Count, 1);
  };
  return {
    onDelivered: (event) => count(OUTBOX_METRICS.delivered, event),
    onRetry: (event) => count(OUTBOX_METRICS.retried, event),
    onDead: (event) => {
      count(OUTBOX_METRICS.dead, event);
      // And in total, without eventType: one metric for the alarm, whatever the types.
      metrics.singleMetric().addMetric(OUTBOX_METRICS.dead, MetricUnit.Count, 1);
    },
  };
}
