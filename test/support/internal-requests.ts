import type { InternalRequest } from '../../lib/shared/internal-client.js';

/** The order's status event as the payment service sends it (PUT /orders/o-1/status, PAID, idempotent on its eventId). */
export function orderStatusRequest(
  correlationId: string,
  overrides: Partial<InternalRequest> = {},
): InternalRequest {
  return {
    service: 'order',
    method: 'PUT',
    path: '/orders/o-1/status',
    body: { status: 'PAID', eventId: 'evt-1' },
    idempotencyKey: 'evt-1',
    correlationId,
    ...overrides,
  };
}
