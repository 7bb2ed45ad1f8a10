import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { headerValue } from '../correlation.js';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import type { HttpEvent } from './types.js';

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
  /** Largest accepted body, in bytes. */
  maxBytes?: number;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses a JSON object body into `event.jsonBody`. Refuses, before any work:
 * a content type other than application/json (415), a body over the limit
 * (413), malformed JSON or a non-object (400), and keys that could pollute a
 * prototype (`__proto__`, `constructor`, `prototype`: 400). `event.body` stays
 * the raw text, for signature checks.
 */
export function jsonBody(
  options: JsonBodyOptions = {},
): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  const maxBytes = options.maxBytes ?? 16 * 1024;
  return {
    before: (request) => {
      const event = request.event;
      const contentType = headerValue(event.headers, 'content-type');
      const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
      if (mediaType !== 'application/json') throw new UnsupportedMediaTypeError(contentType);
      let raw = event.body ?? '';
      if (event.isBase64Encoded) {
        raw = Buffer.from(raw, 'base64').toString('utf8');
        event.body = raw;
        event.isBase64Encoded = false;
      }
      if (Buffer.byteLength(raw, 'utf8') > maxBytes) throw new PayloadTooLargeError(maxBytes);
      if (raw.trim() === '')
        throw new BadRequestError('EMPTY_BODY', 'The request body is empty; send a JSON object');
      let forbidden: string | undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw, (key, value) => {
          if (FORBIDDEN_KEYS.has(key)) forbidden ??= key;
          return value;
        });
      } catch {
        throw new BadRequestError('MALFORMED_JSON', 'The request body is not valid JSON');
      }
      if (forbidden) {
        throw new BadRequestError('FORBIDDEN_FIELD', `The field "${forbidden}" is not allowed`, {
          details: [{ field: forbidden, issue: 'is not allowed' }],
        });
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new BadRequestError('BODY_NOT_OBJECT', 'The request body must be a JSON object');
      }
      event.jsonBody = parsed;
    },
  };
}
