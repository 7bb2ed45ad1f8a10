import type { Context } from 'aws-lambda';
import * as v from 'valibot';
import { json } from '../shared/http.js';
import type { HttpRoute } from '../shared/middleware/types.js';
import { idSchema, parseInput } from '../shared/validation.js';
import { type LogSource, requestTimeline, type TimelineScope } from './timeline.js';

/** Path of `GET /logs/{correlationId}`: an id (no quote can reach the Logs Insights query). */
const timelinePathSchema = v.object({ correlationId: idSchema });

/** An ISO 8601 instant, as epoch ms. */
const instantSchema = v.pipe(
  v.string('must be a string'),
  v.isoTimestamp('must be an ISO 8601 time, e.g. 2026-12-06T12:00:00Z'),
  v.transform((text) => Date.parse(text)),
);

/** Query of `GET /logs/{correlationId}`: the window and the path that bound the lookup. */
const timelineQuerySchema = v.pipe(
  v.strictObject({
    from: v.optional(instantSchema),
    to: v.optional(instantSchema),
    path: v.optional(v.picklist(['payment'], "must be 'payment'")),
  }),
  v.check(
    (q) => q.from === undefined || q.to === undefined || q.from < q.to,
    'from must be before to',
  ),
);

/**
 * GET /logs/{correlationId}?from=&to=&path=payment: the request's lines from
 * the source this invocation may use, within the window (default: the last
 * hour) and, with `path=payment`, only the log groups of a payment's path.
 */
export function createTimelineRoute(sourceFor: (context: Context) => LogSource): HttpRoute {
  return async (event, context) => {
    const { correlationId } = parseInput(timelinePathSchema, event.pathParameters ?? {}, 'path');
    const scope: TimelineScope = parseInput(
      timelineQuerySchema,
      event.queryStringParameters ?? {},
      'query',
    );
    return json(200, await requestTimeline(sourceFor(context), correlationId, scope));
  };
}
