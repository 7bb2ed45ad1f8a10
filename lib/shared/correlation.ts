import { randomUUID } from 'node:crypto';

/** The header that carries one request's id across every service. */
export const CORRELATION_HEADER = 'x-correlation-id';

const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The correlation id to use for a request: the caller's, when it is a safe
 * string (8–128 chars of `A-Za-z0-9._:-`), else a new UUID. A hostile value is
 * replaced, never logged or echoed.
 */
export function resolveCorrelationId(candidate: string | undefined): {
  correlationId: string;
  replaced: boolean;
} {
  if (candidate !== undefined && SAFE_CORRELATION_ID.test(candidate)) {
    return { correlationId: candidate, replaced: false };
  }
  return { correlationId: randomUUID(), replaced: candidate !== undefined };
}

/** Reads a header case-insensitively (API Gateway lower-cases, offline may not). */
export function headerValue(
  headers: Record<string, string | undefined> | undefined | null,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
