import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { CORRELATION_HEADER, headerValue, resolveCorrelationId } from '../correlation.js';
import { logAction, type Outcome } from '../logger.js';
import type { HttpEvent } from './types.js';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function outcomeOf(status: number, headers: Record<string, unknown> | undefined): Outcome {
  if (status >= 500) return 'failed';
  if (status >= 400) return 'rejected';
  return headers?.['idempotent-replayed'] === 'true' ? 'replayed' : 'success';
}

/**
 * Takes `x-correlation-id` from the request (or makes one; a hostile value is
 * replaced, never logged), sets it and a valid W3C `traceparent` on the
 * logger, returns the id on every response, errors included, and writes one
 * access line per request: route, status, outcome, duration.
 */
export function correlation(logger: Logger): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  let startedAt = 0;
  const finish = (request: {
    event: HttpEvent;
    response: APIGatewayProxyResultV2 | null | undefined;
  }) => {
    const response = request.response;
    if (!response || typeof response !== 'object') return;
    response.headers = { ...response.headers, [CORRELATION_HEADER]: request.event.correlationId };
    const status = response.statusCode ?? 200;
    const body =
      status >= 400 && typeof response.body === 'string' ? safeErrorCode(response.body) : undefined;
    logAction(logger, {
      action: 'http.request',
      outcome: outcomeOf(status, response.headers),
      route: request.event.routeKey,
      status,
      code: body,
      durationMs: Date.now() - startedAt,
    });
  };
  return {
    before: (request) => {
      startedAt = Date.now();
      const event = request.event;
      const { correlationId, replaced } = resolveCorrelationId(
        headerValue(event.headers, CORRELATION_HEADER),
      );
      event.correlationId = correlationId;
      logger.appendKeys({ correlation_id: correlationId });
      if (replaced) {
        logAction(logger, {
          action: 'correlation.replace',
          outcome: 'rejected',
          reason: 'unsafe x-correlation-id',
        });
      }
      const traceparent = headerValue(event.headers, 'traceparent');
      if (traceparent && TRACEPARENT.test(traceparent)) logger.appendKeys({ traceparent });
      const lambda = event.requestContext?.authorizer?.lambda;
      if (lambda && typeof lambda.caller === 'string') {
        event.caller = {
          caller: lambda.caller,
          tokenId: typeof lambda.jti === 'string' ? lambda.jti : undefined,
        };
        logger.appendKeys({ caller: lambda.caller });
      }
    },
    after: finish,
    onError: finish,
  };
}

function safeErrorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
