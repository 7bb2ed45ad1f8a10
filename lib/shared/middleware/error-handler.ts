import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import {
  isAppError,
  isHandlerTimeout,
  isStoreUnavailable,
  outcomeUnknown,
  storeUnavailable,
} from '../errors.js';
import { toErrorResponse } from '../http.js';
import { logAction } from '../logger.js';
import type { HttpEvent } from './types.js';

/**
 * Turns every error into the contract's error response. Nothing escapes a
 * handler: under serverless-offline an escaped error reaches the client as
 * HTTP 200 with a stack trace. A 4xx is reported by the access line (its code
 * and message); anything else is logged here with its stack and becomes a 500.
 */
export function errorHandler(
  logger: Logger,
  options: { timeoutMessage?: string } = {},
): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  return {
    onError: (request) => {
      // The deadline came first: the outcome is unknown (the work it started
      // is aborted through middy's signal), and the answer says how to learn it.
      // An outage of our store is trouble that passes: 503 + Retry-After, never a 500.
      const error = isHandlerTimeout(request.error)
        ? outcomeUnknown(request.error, options.timeoutMessage)
        : !isAppError(request.error) && isStoreUnavailable(request.error)
          ? storeUnavailable(request.error)
          : request.error;
      if (!isAppError(error) || error.status >= 500) {
        logAction(logger, { action: 'http.error', outcome: 'failed', error });
      } else {
        logger.appendKeys({ rejection: error.message });
      }
      request.response = toErrorResponse(error);
    },
  };
}
