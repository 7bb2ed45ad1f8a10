import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { CORRELATION_HEADER, headerValue, resolveCorrelationId } from '../correlation.js';
import type { HttpEvent } from './types.js';

/**
 * Takes `x-correlation-id` from the request (or makes one), sets it on the
 * logger, and returns it on every response, errors included.
 */
export function correlation(logger: Logger): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  const addHeader = (request: {
    event: HttpEvent;
    response: APIGatewayProxyResultV2 | null | undefined;
  }) => {
    const response = request.response;
    if (response && typeof response === 'object') {
      response.headers = { ...response.headers, [CORRELATION_HEADER]: request.event.correlationId };
    }
  };
  return {
    before: (request) => {
      const event = request.event;
      const { correlationId, replaced } = resolveCorrelationId(
        headerValue(event.headers, CORRELATION_HEADER),
      );
      event.correlationId = correlationId;
      logger.appendKeys({ correlation_id: correlationId });
      if (replaced)
        logger.warn('Replaced an unsafe x-correlation-id', { action: 'correlation.replace' });
      const traceparent = headerValue(event.headers, 'traceparent');
      if (traceparent && /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(traceparent)) {
        logger.appendKeys({ traceparent });
      }
      const lambda = event.requestContext?.authorizer?.lambda;
      if (lambda && typeof lambda.caller === 'string') {
        event.caller = {
          caller: lambda.caller,
          tokenId: typeof lambda.jti === 'string' ? lambda.jti : undefined,
        };
      }
    },
    after: addHeader,
    onError: addHeader,
  };
}
