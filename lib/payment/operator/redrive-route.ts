import type { Logger } from '@aws-lambda-powertools/logger';
import * as v from 'valibot';
import { redriveEvents } from '../../outbox/redrive.js';
import type { OutboxStore } from '../../outbox/types.js';
import { json } from '../../shared/http.js';
import type { HttpRoute } from '../../shared/middleware/types.js';
import { operatorOf } from '../../shared/operator.js';
import { idSchema, parseInput } from '../../shared/validation.js';

/** Path of `POST /payments/{transactionId}/redrive`. */
const redrivePathSchema = v.object({ transactionId: idSchema });

/** Body of `POST /payments/{transactionId}/redrive`: one event, or (empty body) every DEAD one. */
const redriveBodySchema = v.strictObject({ eventId: v.optional(idSchema) });

/**
 * POST /payments/{transactionId}/redrive (operator), body `{ eventId? }`: the
 * one re-drive `npm run redrive` runs too ({@link redriveEvents}), logged
 * with the operator who asked.
 */
export function createRedriveRoute(deps: {
  outbox: Pick<OutboxStore, 'redrive'>;
  logger: Logger;
}): HttpRoute {
  return async (event) => {
    const { transactionId } = parseInput(redrivePathSchema, event.pathParameters ?? {}, 'path');
    const { eventId } = parseInput(redriveBodySchema, event.jsonBody ?? {});
    const operator = operatorOf(event);
    const events = await redriveEvents(deps, { transactionId, eventId, operator });
    return json(200, { transactionId, redriven: events.map((e) => e.eventId), operator });
  };
}
