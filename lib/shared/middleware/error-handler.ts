import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { isAppError } from '../errors.js';
import { toErrorResponse } from '../http.js';
import type { HttpEvent } from './types.js';

/**
 * Turns every error into the contract's error response. Nothing escapes a
 * handler: under serverless-offline an escaped error reaches the client as
 * HTTP 200 with a stack trace. Unknown errors are logged and become a 500.
 */
export function errorHandler(logger: Logger): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  return {
    onError: (request) => {
      const error = request.error;
      if (isAppError(error) && error.status < 500) {
        logger.info('Request rejected', {
          action: 'http.reject',
          outcome: 'rejected',
          status: error.status,
          code: error.code,
          message: error.message,
        });
      } else {
        logger.error('Request failed', {
          action: 'http.error',
          outcome: 'failed',
          error: error as Error,
        });
      }
      request.response = toErrorResponse(error);
    },
  };
}
