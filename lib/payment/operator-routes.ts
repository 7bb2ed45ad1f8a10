import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readOutboxHealth } from '../outbox/health.js';
import { json } from '../shared/http.js';
import { logAction } from '../shared/logger.js';
import type { HttpRoute } from '../shared/middleware/types.js';
import { operatorOf } from '../shared/operator.js';
import type { OutboxStore } from '../shared/outbox.js';
import { parseInput } from '../shared/validation.js';
import {
  paymentListQuerySchema,
  redriveBodySchema,
  redrivePathSchema,
} from './operator-schemas.js';
import type { PaymentList } from './payment-list.js';

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

/**
 * POST /payments/{transactionId}/redrive (operator), body `{ eventId? }`: what
 * `npm run redrive` does (DEAD events back to PENDING, attempts reset; the
 * relay delivers them on its next run), logged with the operator who asked.
 */
export function createRedriveRoute(deps: { outbox: OutboxStore; logger: Logger }): HttpRoute {
  return async (event) => {
    const { transactionId } = parseInput(redrivePathSchema, event.pathParameters ?? {}, 'path');
    const { eventId } = parseInput(redriveBodySchema, event.jsonBody ?? {});
    const operator = operatorOf(event);
    const events = await deps.outbox.redrive(transactionId, eventId);
    logAction(deps.logger, {
      action: 'outbox.redrive',
      outcome: events.length > 0 ? 'success' : 'skipped',
      transactionId,
      eventId,
      operator,
      events: events.map((e) => e.eventId),
    });
    return json(200, { transactionId, redriven: events.map((e) => e.eventId), operator });
  };
}
