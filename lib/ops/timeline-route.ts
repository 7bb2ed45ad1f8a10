import type { Context } from 'aws-lambda';
import { timelinePathSchema } from '../payment/operator-schemas.js';
import { json } from '../shared/http.js';
import type { HttpRoute } from '../shared/middleware/types.js';
import { parseInput } from '../shared/validation.js';
import { type LogSource, requestTimeline } from './timeline.js';

/** GET /logs/{correlationId}: the request's lines from the source this invocation may use. */
export function createTimelineRoute(sourceFor: (context: Context) => LogSource): HttpRoute {
  return async (event, context) => {
    const { correlationId } = parseInput(timelinePathSchema, event.pathParameters ?? {}, 'path');
    return json(200, await requestTimeline(sourceFor(context), correlationId));
  };
}
