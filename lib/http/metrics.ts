import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ServiceName } from '../shared/logger.js';
import type { InternalClientHooks } from './client.js';

/** The metrics the internal client emits, each with a `downstream` dimension. */
export const CLIENT_METRICS = {
  attemptFailed: 'DownstreamAttemptFailed',
  retry: 'DownstreamRetry',
  callFailed: 'DownstreamCallFailed',
  breakerOpened: 'DownstreamBreakerOpened',
} as const;

/**
 * Client hooks that count failed attempts, retries, failed calls and breaker
 * openings per downstream. Each is a single metric (flushed at once) because
 * its dimension differs from the function's own and must not leak into them.
 */
export function clientMetricsHooks(metrics: Pick<Metrics, 'singleMetric'>): InternalClientHooks {
  const count = (name: string, downstream: ServiceName) => {
    const metric = metrics.singleMetric();
    metric.addDimension('downstream', downstream);
    metric.addMetric(name, MetricUnit.Count, 1);
  };
  return {
    onAttempt: (event) => {
      if (!event.ok) count(CLIENT_METRICS.attemptFailed, event.service);
    },
    onRetry: (event) => count(CLIENT_METRICS.retry, event.service),
    onGiveUp: (event) => count(CLIENT_METRICS.callFailed, event.service),
    onBreakerStateChange: (event) => {
      if (event.state === 'open') count(CLIENT_METRICS.breakerOpened, event.service);
    },
  };
}
