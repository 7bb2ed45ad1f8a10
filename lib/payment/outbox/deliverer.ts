import type { DeliveryOutcome, EventDeliverer, OutboxEvent } from '../../outbox/types.js';
import type { Fault } from '../../shared/fault-injection.js';
import {
  type InternalClient,
  type InternalRequest,
  isDownstreamError,
} from '../../shared/internal-client.js';

/**
 * Statuses that no retry can fix: our own contract refused the event (a bad
 * body, an illegal transition, a reused eventId). Parked as DEAD with the reason.
 */
const PERMANENT_STATUSES = new Set([400, 409, 422]);

/** Client failure codes of calls that never left this function: not an attempt. */
const NOT_SENT_CODES = new Set(['BREAKER_OPEN', 'DEADLINE_EXCEEDED']);

/** The error code of our own error format in a body, if any. */
function errorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Options of {@link createEventDeliverer}. */
export interface DelivererOptions {
  /** Faults of the request (or relay run) that triggered the delivery (local/test only). */
  faults?: Fault[] | (() => Fault[]);
  /** Epoch ms after which no call may still run. */
  deadline?: () => number | undefined;
}

/**
 * The one call that delivers an event. `order.status` payloads carry the
 * orderId for the path; the body is the rest (`status`, `eventId`, `reason`).
 */
export function toInternalRequest(
  event: OutboxEvent,
): Omit<InternalRequest, 'faults' | 'deadline'> {
  const common = { idempotencyKey: event.eventId, correlationId: event.correlationId };
  if (event.type === 'order.status') {
    const { orderId, ...body } = event.payload;
    return {
      ...common,
      service: 'order',
      method: 'PUT',
      path: `/orders/${encodeURIComponent(String(orderId))}/status`,
      body,
    };
  }
  return {
    ...common,
    service: 'notification',
    method: 'POST',
    path: '/notifications',
    body: event.payload,
  };
}

function byStatus(status: number, what: string, body?: unknown): DeliveryOutcome {
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  const code = errorCode(body);
  const error = `${what} answered ${status}${code ? ` ${code}` : ''}`;
  // A duplicate still being processed (409 *_IN_PROGRESS): the first may yet fail, so ask again.
  if (status === 409 && code?.endsWith('_IN_PROGRESS')) {
    return { outcome: 'retry', error, reason: 'transient' };
  }
  if (PERMANENT_STATUSES.has(status)) return { outcome: 'dead', error };
  // Auth is configuration that recovers (a rotated key, an SSM hiccup): retried, a bounded number of times.
  if (status === 401 || status === 403) return { outcome: 'retry', error, reason: 'auth' };
  // 404 (the resource may yet appear), 408, 429, any 5xx: a later attempt may succeed.
  return { outcome: 'retry', error, reason: 'transient' };
}

/**
 * An {@link EventDeliverer} over the internal client: 2xx is delivered; a
 * refusal of our own contract (400, 409, 422) is dead; everything else is
 * retried, with the reason the relay needs to bound it.
 */
export function createEventDeliverer(
  client: InternalClient,
  options: DelivererOptions = {},
): EventDeliverer {
  return async (event) => {
    const request = toInternalRequest(event);
    const what = `${request.service} ${request.method} ${request.path}`;
    try {
      const response = await client.send({
        ...request,
        faults: typeof options.faults === 'function' ? options.faults() : options.faults,
        deadline: options.deadline?.(),
      });
      return byStatus(response.status, what, response.body);
    } catch (error) {
      if (isDownstreamError(error)) {
        const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
        if (!error.transient && error.status !== undefined) return byStatus(error.status, what);
        const notSent = error.code !== undefined && NOT_SENT_CODES.has(error.code);
        return {
          outcome: 'retry',
          error: error.message,
          reason: notSent ? 'not-sent' : 'transient',
          ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
        };
      }
      return {
        outcome: 'retry',
        error: `${what} failed: ${String((error as Error)?.message ?? error)}`,
        reason: 'transient',
      };
    }
  };
}
