import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { correlation } from './correlation.js';
import { errorHandler } from './error-handler.js';
import { type JsonBodyOptions, jsonBody } from './json-body.js';
import { requestGuard } from './request-guard.js';
import type { HttpEvent, HttpRoute } from './types.js';

/** Options of {@link httpHandler}. */
export interface HttpHandlerOptions {
  logger: Logger;
  /** Parse a JSON body (POST/PUT routes). Omit for routes without a body. */
  body?: JsonBodyOptions | true;
}

/**
 * Wraps a route with the house middleware: Lambda context and a fresh set of
 * keys on the logger, the correlation id, checks of headers, path and query
 * (request guard), JSON body parsing and hardening, and error mapping. A
 * route only parses its input, calls a use case and maps the result.
 */
export function httpHandler(options: HttpHandlerOptions, route: HttpRoute) {
  const handler = middy<HttpEvent, APIGatewayProxyResultV2>()
    .use(injectLambdaContext(options.logger, { resetKeys: true }))
    .use(correlation(options.logger))
    .use(errorHandler(options.logger))
    .use(requestGuard({ allowBody: Boolean(options.body) }));
  if (options.body) handler.use(jsonBody(options.body === true ? {} : options.body));
  return handler.handler(route);
}

export type { HttpEvent, HttpRoute } from './types.js';
