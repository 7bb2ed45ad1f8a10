import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { AppError, BadRequestError } from '../errors.js';
import { ID_PATTERN } from '../validation.js';
import type { HttpEvent } from './types.js';

/** Options of {@link requestGuard}. */
export interface RequestGuardOptions {
  /** Whether the route takes a body; a body sent to a route that takes none is refused. */
  allowBody: boolean;
  /** Largest total size of the request headers, in bytes (default 8 KiB). */
  maxHeaderBytes?: number;
}

/** Longest accepted query string value; ids are 128, nothing we accept is longer but a cursor. */
export const MAX_QUERY_VALUE_LENGTH = 256;
/**
 * Longest accepted `cursor`: a page's position is a key (the payment list's
 * holds one per status it merges, ~500 characters), checked by its own route.
 */
export const MAX_CURSOR_LENGTH = 2048;
const QUERY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
// Parameters whose name says they hold an id are checked with the id rule here,
// so every route gets it whether or not its schema remembers.
const ID_NAME = /Id$/;

/**
 * Checks what every route receives besides its body, before any work: the
 * total header size (431), serverless-offline's authorizer-override headers
 * (400 FORBIDDEN_HEADER), every path parameter against the id rule (400
 * INVALID_PATH_PARAMETER), query parameter names, lengths and `*Id` values
 * (400 INVALID_QUERY_PARAMETER), and no body on a route that takes none
 * (400 UNEXPECTED_BODY). Unknown query parameters are otherwise ignored: a
 * route reads only the names it knows.
 */
export function requestGuard(
  options: RequestGuardOptions,
): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  const maxHeaderBytes = options.maxHeaderBytes ?? 8 * 1024;
  return {
    before: (request) => {
      const event = request.event;
      let headerBytes = 0;
      for (const [name, value] of Object.entries(event.headers ?? {})) {
        headerBytes += Buffer.byteLength(name) + Buffer.byteLength(value ?? '') + 4;
        // serverless-offline lets this header replace the authorizer's context,
        // i.e. choose event.caller; no real client sends it.
        if (name.toLowerCase().startsWith('sls-offline-')) {
          throw new BadRequestError('FORBIDDEN_HEADER', `The header ${name} is not allowed`, {
            details: [{ field: name, issue: 'is not allowed' }],
          });
        }
      }
      if (headerBytes > maxHeaderBytes) {
        throw new AppError(
          431,
          'HEADERS_TOO_LARGE',
          `The request headers exceed ${maxHeaderBytes} bytes`,
        );
      }

      const badPath = Object.entries(event.pathParameters ?? {}).filter(
        ([, value]) => value === undefined || !ID_PATTERN.test(value),
      );
      if (badPath.length > 0) {
        throw new BadRequestError(
          'INVALID_PATH_PARAMETER',
          `Invalid path parameter: ${badPath.map(([name]) => name).join(', ')}`,
          {
            details: badPath.map(([field]) => ({
              field,
              issue: 'must be 1-128 characters of A-Z a-z 0-9 . _ : -',
            })),
          },
        );
      }

      const badQuery = Object.entries(event.queryStringParameters ?? {}).flatMap(
        ([name, value]) => {
          if (!QUERY_NAME.test(name)) return [{ field: '(query)', issue: 'has an invalid name' }];
          const max = name === 'cursor' ? MAX_CURSOR_LENGTH : MAX_QUERY_VALUE_LENGTH;
          if (value === undefined || value.length > max) {
            return [{ field: name, issue: `must be at most ${max} characters` }];
          }
          if (ID_NAME.test(name) && !ID_PATTERN.test(value)) {
            return [{ field: name, issue: 'must be 1-128 characters of A-Z a-z 0-9 . _ : -' }];
          }
          return [];
        },
      );
      if (badQuery.length > 0) {
        throw new BadRequestError(
          'INVALID_QUERY_PARAMETER',
          `Invalid query parameter: ${badQuery.map((d) => d.field).join(', ')}`,
          { details: badQuery },
        );
      }

      if (
        !options.allowBody &&
        event.body !== undefined &&
        event.body !== null &&
        event.body !== ''
      ) {
        throw new BadRequestError('UNEXPECTED_BODY', 'This endpoint does not take a request body');
      }
    },
  };
}
