import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { CLIENT_METRICS, clientMetricsHooks } from '../../lib/http/metrics.js';
import { OUTBOX_METRICS, outboxMetricsHooks } from '../../lib/outbox/metrics.js';
import type { OutboxEvent } from '../../lib/outbox/types.js';

/** Records what single metrics were emitted, as `name{dimension=value}`. */
function recordingMetrics() {
  const emitted: string[] = [];
  const metrics = {
    singleMetric: () => {
      let dimension = '';
      const single = {
        addDimension: (name: string, value: string) => {
          dimension = `${name}=${value}`;
          return single;
        },
        addMetric: (name: string) => {
          emitted.push(`${name}{${dimension}}`);
        },
      };
      return single as unknown as Metrics;
    },
  };
  return { metrics, emitted };
}

describe('Function: clientMetricsHooks', () => {
  it('counts failed attempts, retries, failed calls and breaker openings per downstream', () => {
    const { metrics, emitted } = recordingMetrics();
    const hooks = clientMetricsHooks(metrics);

    hooks.onAttempt?.({ service: 'order', attempt: 1, durationMs: 5, status: 200, ok: true });
    hooks.onAttempt?.({ service: 'order', attempt: 1, durationMs: 5, status: 503, ok: false });
    hooks.onRetry?.({ service: 'order', attempt: 1, delayMs: 40 });
    hooks.onGiveUp?.({ service: 'notification', attempts: 3, code: 'TIMEOUT' });
    hooks.onBreakerStateChange?.({ service: 'notification', state: 'half-open' });
    hooks.onBreakerStateChange?.({ service: 'notification', state: 'open' });

    expect(emitted).toEqual([
      `${CLIENT_METRICS.attemptFailed}{downstream=order}`,
      `${CLIENT_METRICS.retry}{downstream=order}`,
      `${CLIENT_METRICS.callFailed}{downstream=notification}`,
      `${CLIENT_METRICS.breakerOpened}{downstream=notification}`,
    ]);
  });
});

describe('Function: outboxMetricsHooks', () => {
  it('counts delivered, retried and dead events per event type, and dead ones in total', () => {
    const { metrics, emitted } = recordingMetrics();
    const hooks = outboxMetricsHooks(metrics);
    const event = {
      eventId: 'e-1',
      transactionId: 'tx-1',
      type: 'notification.send',
      target: 'notification',
      payload: {},
      correlationId: 'corr-metrics-1',
      status: 'PENDING',
      attempts: 1,
      nextAttemptAt: '2026-11-24T08:00:00.000Z',
      createdAt: '2026-11-24T08:00:00.000Z',
    } as const satisfies OutboxEvent;

    hooks.onDelivered?.(event);
    hooks.onRetry?.(event, new Date());
    hooks.onDead?.(event, 'gave up');

    expect(emitted).toEqual([
      `${OUTBOX_METRICS.delivered}{eventType=notification.send}`,
      `${OUTBOX_METRICS.retried}{eventType=notification.send}`,
      `${OUTBOX_METRICS.dead}{eventType=notification.send}`,
      // And in total, the one metric the DEAD alarm watches.
      `${OUTBOX_METRICS.dead}{}`,
    ]);
  });
});
