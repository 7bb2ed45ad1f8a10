import type { Context } from 'aws-lambda';
import * as v from 'valibot';
import { json } from '../shared/http.js';
import type { HttpRoute } from '../shared/middleware/types.js';
import { idSchema, parseInput } from '../shared/validation.js';
import { type LogSource, requestTimeline } from './timeline.js';

/** Path of `GET /logs/{correlationId}`: an id (no quote can reach the Logs Insights query). */
const timelinePathSchema = v.object({ correlationId: idSchema });

/** GET /logs/{correlationId}: the request's lines from the source this invocation may use. */
export function createTimelineRoute(sourceFor: (context: Context) => LogSource): HttpRoute {
  return async (event, context) => {
    const { correlationId } = parseInput(timelinePathSchema, event.pathParameters ?? {}, 'path');
    return json(200, await requestTimeline(sourceFor(context), correlationId));
  };
}
