import type { LogLine } from './log-lines.js';

/** One structured log line of any service (the Powertools JSON fields). */
export type LogRecord = LogLine;

/**
 * Where and when to look for a request's lines: a window (epoch ms) around
 * the payment's own times, and `path: 'payment'` for only the functions a
 * payment's path runs. Both bound what a Logs Insights lookup scans.
 */
export interface TimelineScope {
  from?: number;
  to?: number;
  path?: 'payment';
}

/** Where a request's log lines come from: the local log file, or CloudWatch Logs. */
export interface LogSource {
  /** Every line carrying this correlation id, oldest first. */
  linesFor(correlationId: string, scope?: TimelineScope): Promise<LogRecord[]>;
}

/** The most lines one timeline returns (the view is for one request, not a log search). */
export const TIMELINE_LIMIT = 1000;

/**
 * The lines, with `parkedEventId` on each call whose answer parked an outbox
 * event DEAD: the last `http.call` for that event (its idempotency key is the
 * eventId) at or before the event's `outbox.dead` line. Its own outcome says
 * only what the callee answered (`refused` for a 4xx); this says what it cost.
 */
export function flagParkingCalls(lines: LogRecord[]): LogRecord[] {
  const flagged = lines.map((line) => ({ ...line }));
  for (const dead of flagged) {
    if (dead.action !== 'outbox.dead' || typeof dead.eventId !== 'string') continue;
    const at = Date.parse(dead.timestamp);
    const call = flagged.findLast(
      (line) =>
        line.action === 'http.call' &&
        line.idempotencyKey === dead.eventId &&
        Date.parse(line.timestamp) <= at,
    );
    if (call) call.parkedEventId = dead.eventId;
  }
  return flagged;
}

/**
 * A request's timeline: its lines and the services they came from. No line
 * yet is an empty timeline, not an error: logs arrive after the request.
 */
export async function requestTimeline(
  source: LogSource,
  correlationId: string,
  scope: TimelineScope = {},
): Promise<{ correlationId: string; services: string[]; lines: LogRecord[] }> {
  const lines = flagParkingCalls(await source.linesFor(correlationId, scope));
  const services = [...new Set(lines.map((l) => String(l.service ?? 'unknown')))];
  return { correlationId, services, lines };
}
