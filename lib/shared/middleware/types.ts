import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { HttpResponse } from '../http.js';

/** The identity a Lambda authorizer verified for an internal call. */
export interface CallerIdentity {
  /** The calling service (the token's `iss`). */
  caller: string;
  /** The token's `jti`. */
  tokenId?: string;
}

/**
 * An HTTP API (payload 2.0) event after our middleware: the correlation id is
 * resolved, a JSON body (when accepted) is parsed, and an internal route's
 * caller identity is set by the authorizer.
 */
export interface HttpEvent extends APIGatewayProxyEventV2 {
  correlationId: string;
  /** A public caller's own `x-correlation-id`: recorded beside ours, never used as it. */
  clientCorrelationId?: string;
  /** The parsed JSON body; `undefined` for routes without a body. */
  jsonBody?: unknown;
  /** The caller that the authorizer verified, on internal routes. */
  caller?: CallerIdentity;
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { lambda?: Record<string, unknown> };
  };
}

/**
 * A handler's business part: parsed event in, response out. `signal` is
 * aborted when the function's time runs out and middy has answered for it.
 */
export type HttpRoute = (
  event: HttpEvent,
  context: Context,
  signal?: AbortSignal,
) => Promise<HttpResponse>;
