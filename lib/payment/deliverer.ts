import type { Fault } from '../shared/fault-injection.js';
import {
  type InternalClient,
  type InternalRequest,
  isDownstreamError,
} from '../shared/internal-client.js';
import type { DeliveryOutcome, EventDeliverer, OutboxEvent } from '../shared/outbox.js';

/** Statuses that no retry can fix: the event is parked as DEAD with the reason. */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 409, 422]);

/** Options of {@link createEventDeliverer}. */
export interface DelivererOptions {
  /** Faults of the request that triggered the delivery (local/test only). */
  faults?: Fault[];
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

/** A 409 whose code says the same work is still in progress elsewhere (e.g. NOTIFICATION_IN_PROGRESS): later, not never. */
function inProgress(status: number, body: unknown): boolean {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return status === 409 && typeof code === 'string' && code.endsWith('_IN_PROGRESS');
}

function byStatus(status: number, what: string, body?: unknown): DeliveryOutcome {
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  if (inProgress(status, body))
    return { outcome: 'retry', error: `${what} answered ${status} (in progress)` };
  if (PERMANENT_STATUSES.has(status))
    return { outcome: 'dead', error: `${what} answered ${status}` };
  // 5xx (501 included: a route not deployed yet), 408, 429...: a later attempt may succeed.
  return { outcome: 'retry', error: `${what} answered ${status}` };
}

/**
 * An {@link EventDeliverer} over the internal client: 2xx is delivered, a
 * permanent 4xx is dead, everything else (transient errors, any 5xx) is retried.
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
        faults: options.faults,
        deadline: options.deadline?.(),
      });
      return byStatus(response.status, what, response.body);
    } catch (error) {
      if (isDownstreamError(error)) {
        const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
        if (!error.transient && error.status !== undefined) return byStatus(error.status, what);
        return {
          outcome: 'retry',
          error: error.message,
          ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
        };
      }
      return {
        outcome: 'retry',
        error: `${what} failed: ${String((error as Error)?.message ?? error)}`,
      };
    }
  };
}
