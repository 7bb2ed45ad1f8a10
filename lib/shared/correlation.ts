import { randomUUID } from 'node:crypto';

/** The header that carries one request's id across every service. */
export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * The header that returns a public caller's own id: kept beside ours
 * (logged as `client_correlation_id`), never used as it.
 */
export const CLIENT_CORRELATION_HEADER = 'x-client-correlation-id';

const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The correlation id a request runs under, and what became of the one its caller sent. */
export interface ResolvedCorrelation {
  /** The id of this request's log lines, answers and outgoing calls. */
  correlationId: string;
  /** A safe id from a caller we cannot verify: recorded beside ours, never used as it. */
  clientCorrelationId?: string;
  /** True when the caller sent an unsafe id: dropped, never logged or echoed. */
  replaced: boolean;
}

/**
 * The correlation id to use for a request. A verified internal caller's
 * (`trusted`) safe id (8–128 chars of `A-Za-z0-9._:-`) is kept: that is how
 * one request stays one id across the services. Anyone else could name
 * another caller's id and add lines to that request's timeline, so their
 * request gets a new UUID and their safe id is only recorded beside it. A
 * hostile value is replaced, never logged or echoed.
 */
export function resolveCorrelationId(
  candidate: string | undefined,
  trusted: boolean,
): ResolvedCorrelation {
  if (candidate === undefined) return { correlationId: randomUUID(), replaced: false };
  if (!SAFE_CORRELATION_ID.test(candidate)) return { correlationId: randomUUID(), replaced: true };
  if (trusted) return { correlationId: candidate, replaced: false };
  return { correlationId: randomUUID(), clientCorrelationId: candidate, replaced: false };
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
