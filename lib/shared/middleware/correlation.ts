import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import {
  CLIENT_CORRELATION_HEADER,
  CORRELATION_HEADER,
  headerValue,
  resolveCorrelationId,
} from '../correlation.js';
import { DIRECT_INVOKE_API_ID } from '../internal-client.js';
import { logAction, type Outcome } from '../logger.js';
import type { CallerIdentity, HttpEvent } from './types.js';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function outcomeOf(status: number, headers: Record<string, unknown> | undefined): Outcome {
  if (status >= 500) return 'failed';
  if (status >= 400) return 'rejected';
  return headers?.['idempotent-replayed'] === 'true' ? 'replayed' : 'success';
}

/**
 * The service the internal authorizer verified (a signed service JWT), or
 * undefined. serverless-offline lets a `sls-offline-*` header stand in for
 * the authorizer's context (the request guard refuses it): such a request
 * verified nothing.
 */
function verifiedCaller(event: HttpEvent): CallerIdentity | undefined {
  const lambda = event.requestContext?.authorizer?.lambda;
  if (!lambda || typeof lambda.caller !== 'string') return undefined;
  const offlineOverride = Object.keys(event.headers ?? {}).some((name) =>
    name.toLowerCase().startsWith('sls-offline-'),
  );
  if (offlineOverride) return undefined;
  return {
    caller: lambda.caller,
    tokenId: typeof lambda.jti === 'string' ? lambda.jti : undefined,
  };
}

/**
 * Decides the request's correlation id: a verified internal caller's
 * `x-correlation-id` is taken, anyone else's request gets a new one and
 * their safe id is kept beside it as `client_correlation_id` (so nobody can
 * add lines to another caller's timeline); a hostile value is replaced,
 * never logged. Sets the id and a valid W3C `traceparent` on the logger,
 * returns the id (and a public caller's own, as `x-client-correlation-id`)
 * on every response, errors included, and writes one access line per
 * request: route, status, outcome, duration.
 */
export function correlation(logger: Logger): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  let startedAt = 0;
  const finish = (request: {
    event: HttpEvent;
    response: APIGatewayProxyResultV2 | null | undefined;
  }) => {
    const response = request.response;
    if (!response || typeof response !== 'object') return;
    const event = request.event;
    response.headers = {
      ...response.headers,
      [CORRELATION_HEADER]: event.correlationId,
      ...(event.clientCorrelationId
        ? { [CLIENT_CORRELATION_HEADER]: event.clientCorrelationId }
        : {}),
    };
    const status = response.statusCode ?? 200;
    const body =
      status >= 400 && typeof response.body === 'string' ? safeErrorCode(response.body) : undefined;
    logAction(logger, {
      action: 'http.request',
      outcome: outcomeOf(status, response.headers),
      route: request.event.routeKey,
      // A call between services that came straight through the Lambda Invoke API.
      via: event.requestContext?.apiId === DIRECT_INVOKE_API_ID ? 'lambda-invoke' : undefined,
      status,
      code: body,
      durationMs: Date.now() - startedAt,
    });
  };
  return {
    before: (request) => {
      startedAt = Date.now();
      const event = request.event;
      const caller = verifiedCaller(event);
      const { correlationId, clientCorrelationId, replaced } = resolveCorrelationId(
        headerValue(event.headers, CORRELATION_HEADER),
        caller !== undefined,
      );
      event.correlationId = correlationId;
      logger.appendKeys({ correlation_id: correlationId });
      if (clientCorrelationId) {
        event.clientCorrelationId = clientCorrelationId;
        logger.appendKeys({ client_correlation_id: clientCorrelationId });
      }
      if (replaced) {
        logAction(logger, {
          action: 'correlation.replace',
          outcome: 'rejected',
          reason: 'unsafe x-correlation-id',
        });
      }
      const traceparent = headerValue(event.headers, 'traceparent');
      if (traceparent && TRACEPARENT.test(traceparent)) logger.appendKeys({ traceparent });
      if (caller) {
        event.caller = caller;
        logger.appendKeys({ caller: caller.caller });
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
