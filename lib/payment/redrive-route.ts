import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod/mini';
import { json } from '../shared/http.js';
import { logAction } from '../shared/logger.js';
import type { HttpRoute } from '../shared/middleware/types.js';
import { operatorOf } from '../shared/operator.js';
import type { OutboxStore } from '../shared/outbox.js';
import { ID_PATTERN, parseInput } from '../shared/validation.js';

const id = z.string().check(z.regex(ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'));

/** Path of `POST /payments/{transactionId}/redrive`. */
const redrivePathSchema = z.object({ transactionId: id });

/** Body of `POST /payments/{transactionId}/redrive`: one event, or (empty body) every DEAD one. */
const redriveBodySchema = z.strictObject({ eventId: z.optional(id) });

/**
 * POST /payments/{transactionId}/redrive (operator), body `{ eventId? }`: what
 * `npm run redrive` does (DEAD events back to PENDING, attempts reset; the
 * relay delivers them on its next run), logged with the operator who asked.
 */
export function createRedriveRoute(deps: {
  outbox: Pick<OutboxStore, 'redrive'>;
  logger: Logger;
}): HttpRoute {
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
