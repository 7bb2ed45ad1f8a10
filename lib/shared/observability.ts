import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type BusinessIds, createLogger, type ServiceName } from './logger.js';
import { LazyTracer } from './tracing.js';

/**
 * The business metrics a request counts (CloudWatch EMF, namespace
 * POWERTOOLS_METRICS_NAMESPACE). The client's (retries, breaker openings) are
 * in lib/http/metrics.ts and the relay's (delivered, retried, dead, pending)
 * in lib/outbox/metrics.ts: each has a dimension of its own.
 */
export const METRIC = {
  paymentsCreated: 'PaymentsCreated',
  paymentReplays: 'PaymentReplays',
  idempotencyConflicts: 'IdempotencyConflicts',
  chargesDeclined: 'ChargesDeclined',
  /** A gateway callback that contradicts the result we recorded: an alarm (serverless.yml). */
  callbackContradictions: 'CallbackContradictions',
} as const;

/** A metric name from {@link METRIC}. */
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Logger, tracer and metrics of one service, made once per container. */
export interface Observability {
  logger: Logger;
  /**
   * X-Ray in AWS, the Powertools Tracer loaded on the first sampled
   * invocation; disabled (and never loaded) outside Lambda and under
   * serverless-offline.
   */
  tracer: LazyTracer;
  metrics: Metrics;
  /** Adds `value` to a count metric, flushed at the end of the invocation. */
  count(name: MetricName, value?: number): void;
  /**
   * Puts business ids on every later log line of this invocation and, when
   * it is sampled, on the X-Ray trace as searchable annotations.
   */
  tag(ids: BusinessIds): void;
}

/** Creates the logger, tracer and metrics for `service`. */
export function createObservability(service: ServiceName): Observability {
  const logger = createLogger(service);
  const tracer = new LazyTracer(service, { logger });
  const metrics = new Metrics({ serviceName: service });
  return {
    logger,
    tracer,
    metrics,
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    tag: (ids) => {
      const defined = Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined));
      logger.appendKeys(defined);
      tracer.annotate(defined);
    },
  };
}
