import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { headerValue } from '../correlation.js';
import { ServiceUnavailableError } from '../errors.js';
import type { HttpEvent } from './types.js';

/** The header in which a caller says when it stops waiting (epoch ms). */
export const DEADLINE_HEADER = 'x-request-deadline';

/** Options of {@link deadline}. */
export interface DeadlineOptions {
  /** Refuse when less than this is left before the caller's deadline, in ms. */
  minRemainingMs?: number;
  /** Injectable clock for tests. */
  now?: () => number;
}

/**
 * Callee side of `x-request-deadline`: when the caller has already given up
 * (or will within `minRemainingMs`), refuse with 503 + Retry-After before doing
 * any work, since an answer nobody waits for only adds load (Builders' Library,
 * "Timeouts, retries and backoff with jitter"). A missing or unreadable header
 * means no deadline, and so does a public route: only an internal caller
 * (verified by the authorizer) may set one. The 503 is transient, so an
 * idempotent caller may retry; it never shows the server's clock.
 */
export function deadline(
  options: DeadlineOptions = {},
): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  const minRemainingMs = options.minRemainingMs ?? 100;
  const now = options.now ?? Date.now;
  return {
    before: (request) => {
      // Only a verified service's deadline counts (the authorizer named it):
      // on a public route the header is a client's to forge, so it is ignored.
      if (!request.event.caller) return;
      const raw = headerValue(request.event.headers, DEADLINE_HEADER);
      if (!raw || !/^\d{1,15}$/.test(raw)) return;
      const remainingMs = Number(raw) - now();
      if (remainingMs < minRemainingMs) {
        throw new ServiceUnavailableError(
          'DEADLINE_EXCEEDED',
          'The caller deadline has passed; the request was not processed',
          {
            headers: { 'retry-after': '1' },
            details: [{ issue: 'the caller deadline has passed' }],
          },
        );
      }
    },
  };
}
