import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { json } from '../../shared/http.js';
import type { HttpRoute } from '../../shared/middleware/types.js';
import { parseInput } from '../../shared/validation.js';
import { readOutboxHealth } from '../outbox/health.js';
import type { PaymentList } from './payment-list.js';
import { DEFAULT_PULSE_WINDOW } from './pulse.js';
import { readPulse } from './pulse-store.js';
import { paymentListQuerySchema, pulseQuerySchema } from './schemas.js';

/** GET /payments?status=&limit=&cursor= (operator): payments newest first, from indexes. */
export function createListRoute(deps: { list: PaymentList }): HttpRoute {
  return async (event) => {
    const query = parseInput(paymentListQuerySchema, event.queryStringParameters ?? {}, 'query');
    const page = await deps.list.list({
      status: query.status,
      limit: query.limit ?? 25,
      cursor: query.cursor,
    });
    return json(200, { items: page.items, nextCursor: page.nextCursor ?? null });
  };
}

/** GET /outbox (operator): counts by status, the oldest pending event, the DEAD list, charges in flight. */
export function createOutboxHealthRoute(deps: {
  doc: DynamoDBDocumentClient;
  paymentsTable: string;
  chargesTable: string;
}): HttpRoute {
  return async () => json(200, await readOutboxHealth(deps));
}

/** GET /pulse?window= (operator): payments per minute by outcome, their p50/p99 durations, the outbox backlog. */
export function createPulseRoute(deps: {
  doc: DynamoDBDocumentClient;
  paymentsTable: string;
}): HttpRoute {
  return async (event) => {
    const query = parseInput(pulseQuerySchema, event.queryStringParameters ?? {}, 'query');
    return json(200, await readPulse({ ...deps, window: query.window ?? DEFAULT_PULSE_WINDOW }));
  };
}
