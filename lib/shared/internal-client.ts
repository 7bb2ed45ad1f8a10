import { CORRELATION_HEADER } from './correlation.js';
import type { Fault } from './fault-injection.js';
import type { ServiceName } from './logger.js';

/**
 * The `requestContext.apiId` of an event that a service built and sent
 * straight to a function through the Lambda Invoke API (lib/http/lambda-invoke.ts),
 * not through API Gateway: the access line says so (`via`).
 */
export const DIRECT_INVOKE_API_ID = 'lambda-invoke';

/** Mints the bearer token for a call to `audience` (service-to-service JWT). */
export type TokenProvider = (audience: ServiceName) => Promise<string>;

/** One call from one service to another. */
export interface InternalRequest {
  service: ServiceName;
  method: 'GET' | 'POST' | 'PUT';
  /** Path on the target service, e.g. `/orders/o-1/status`. */
  path: string;
  body?: unknown;
  /** Makes the request safe to retry (an eventId or idempotency key). */
  idempotencyKey?: string;
  correlationId: string;
  /** Faults to inject for this call (local/test stages only; already filtered). */
  faults?: Fault[];
  /** Epoch ms after which the call must not be running (the caller's own deadline). */
  deadline?: number;
}

/** What the target answered. */
export interface InternalResponse {
  status: number;
  body: unknown;
  attempts: number;
}

/** The one way services call each other. */
export interface InternalClient {
  send(request: InternalRequest): Promise<InternalResponse>;
}

/** A call that did not get a usable answer; `transient` says whether a later retry may succeed. */
export class DownstreamError extends Error {
  readonly service: ServiceName;
  readonly transient: boolean;
  readonly status?: number;
  /** Why the call failed: e.g. TIMEOUT, NETWORK, HTTP_503, BREAKER_OPEN, DEADLINE_EXCEEDED. */
  readonly code?: string;
  /** How long the downstream asked us to wait (its `Retry-After`), when it said. */
  readonly retryAfterMs?: number;
  /** Attempts made before giving up. */
  readonly attempts?: number;
  /** The failure was injected (x-fault-inject), not the downstream's doing. */
  readonly injected?: boolean;

  constructor(
    service: ServiceName,
    message: string,
    options: {
      transient: boolean;
      status?: number;
      cause?: unknown;
      code?: string;
      retryAfterMs?: number;
      attempts?: number;
      injected?: boolean;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = 'DownstreamError';
    this.service = service;
    this.transient = options.transient;
    this.status = options.status;
    this.code = options.code;
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = options.attempts;
    this.injected = options.injected;
  }
}

/** Type guard that survives two copies of this module. */
export function isDownstreamError(error: unknown): error is DownstreamError {
  return error instanceof Error && error.name === 'DownstreamError' && 'transient' in error;
}

/** Headers every internal call carries. */
export function internalHeaders(request: InternalRequest, token?: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [CORRELATION_HEADER]: request.correlationId,
  };
  if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
  if (request.deadline) headers['x-request-deadline'] = String(request.deadline);
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}
