// Loaded by lib/shared/tracing.ts on the first sampled invocation only: with
// esbuild's code splitting this module, the Powertools Tracer and the X-Ray SDK
// under it are a chunk of their own, which a cold start does not compile.
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';

/** The Powertools Tracer of a service and its handler middleware. */
export interface LoadedTracer {
  tracer: Tracer;
  middleware: Required<Pick<MiddlewareObj, 'before' | 'after' | 'onError'>>;
}

/** The Powertools Tracer, told whether the container's first invocation is past. */
class ServiceTracer extends Tracer {
  constructor(serviceName: string, coldStart: boolean) {
    super({ serviceName });
    // Consumes the cold start flag that the ColdStart annotation reads.
    if (!coldStart) this.getColdStart();
  }
}

/**
 * Makes the Powertools Tracer for `serviceName`: it patches node:http and
 * node:https at once (every later outgoing call is a subsegment, or carries
 * the unsampled trace header). `coldStart` false when the container already
 * served an invocation, so the ColdStart annotation stays true only for its first.
 */
export function loadTracer(serviceName: string, coldStart: boolean): LoadedTracer {
  const tracer = new ServiceTracer(serviceName, coldStart);
  const middleware = captureLambdaHandler(tracer, { captureResponse: false });
  return {
    tracer,
    middleware: {
      before: middleware.before ?? (() => undefined),
      after: middleware.after ?? (() => undefined),
      onError: middleware.onError ?? (() => undefined),
    },
  };
}
