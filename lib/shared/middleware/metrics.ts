import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

/**
 * Flushes the invocation's EMF metrics when it recorded any. Unlike
 * Powertools' logMetrics, an invocation that counted nothing (a GET, a
 * rejected request) writes no warning line.
 */
export function publishMetrics(metrics: Metrics): MiddlewareObj {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}
