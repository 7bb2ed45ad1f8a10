import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { Observability } from '../observability.js';
import { correlation } from './correlation.js';
import { deadline } from './deadline.js';
import { errorHandler } from './error-handler.js';
import { type JsonBodyOptions, jsonBody } from './json-body.js';
import { publishMetrics } from './metrics.js';
import { requestGuard } from './request-guard.js';
import type { HttpEvent, HttpRoute } from './types.js';

/** Options of {@link httpHandler}. */
export interface HttpHandlerOptions {
  /** The service's logger, or its whole observability set (then traced and measured too). */
  logger?: Logger;
  observability?: Observability;
  /** Parse a JSON body (POST/PUT routes). Omit for routes without a body. */
  body?: JsonBodyOptions | true;
  /** What the 503 OUTCOME_UNKNOWN at the function's deadline tells the client to do. */
  timeoutMessage?: string;
}

/**
 * How long before the function's own timeout middy answers in its place
 * (503 OUTCOME_UNKNOWN) and aborts the route's signal: room for the answer.
 */
export const TIMEOUT_EARLY_MS = 1000;

/**
 * Wraps a route with the house middleware: X-Ray tracing (of sampled
 * invocations) and EMF metrics (when given), Lambda context and a fresh set of keys on the logger, the
 * correlation id, error mapping, refusal of work whose caller's deadline
 * (`x-request-deadline`) has passed, checks of headers, path and query
 * (request guard), and JSON body parsing and hardening. A
 * route only parses its input, calls a use case and maps the result.
 */
export function httpHandler(options: HttpHandlerOptions, route: HttpRoute) {
  const logger = options.observability?.logger ?? options.logger;
  if (!logger) throw new Error('httpHandler needs a logger or an observability set');
  const handler = middy<HttpEvent, APIGatewayProxyResultV2>({
    timeoutEarlyInMillis: TIMEOUT_EARLY_MS,
  });
  if (options.observability) {
    handler
      .use(options.observability.tracer.middleware())
      .use(publishMetrics(options.observability.metrics));
  }
  handler
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(correlation(logger))
    .use(errorHandler(logger, { timeoutMessage: options.timeoutMessage }))
    .use(deadline())
    .use(requestGuard({ allowBody: Boolean(options.body) }));
  if (options.body) handler.use(jsonBody(options.body === true ? {} : options.body));
  return handler.handler((event, context, { signal }) => route(event, context, signal));
}

export type { HttpEvent, HttpRoute } from './types.js';
