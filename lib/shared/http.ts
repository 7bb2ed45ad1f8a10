import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ErrorDetail, isAppError } from './errors.js';

/** The HTTP response every handler returns. */
export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

/** The error body of the HTTP contract. */
export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

/** A JSON response. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** An error response in the contract's format. */
export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  details: ErrorDetail[] = [],
  headers: Record<string, string> = {},
): HttpResponse {
  const body: ErrorBody = { error: { code, message, details } };
  return json(statusCode, body, headers);
}

/**
 * Maps any thrown value to a response. Known errors keep their status, code and
 * (if exposable) message; everything else becomes a generic 500 with no detail.
 */
export function toErrorResponse(error: unknown): HttpResponse {
  if (isAppError(error)) {
    const message = error.expose ? error.message : 'Internal error';
    return errorResponse(
      error.status,
      error.code,
      message,
      error.expose ? error.details : [],
      error.headers,
    );
  }
  return errorResponse(500, 'INTERNAL_ERROR', 'Internal error');
}
