import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { OutboxEvent } from '../shared/outbox.js';
import type { OutboxRelayHooks } from './relay.js';

/** The metrics the outbox relay emits, each with an `eventType` dimension. */
export const OUTBOX_METRICS = {
  delivered: 'OutboxDelivered',
  retried: 'OutboxRetried',
  dead: 'OutboxDead',
  pending: 'OutboxPending',
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
 * Relay hooks that count deliveries, retries and dead events per event type.
 * `OutboxDead` is the one to alarm on: each is an effect waiting for an operator.
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
    onDead: (event) => count(OUTBOX_METRICS.dead, event),
  };
}
