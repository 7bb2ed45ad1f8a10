import { readFile } from 'node:fs/promises';
import { ServiceUnavailableError } from '../shared/errors.js';
// The same parsing and ordering as `npm run trace` (one definition of "a request's lines").
import { type LogLine, parseLogLines, timeline } from './log-lines.js';

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

/**
 * The functions a payment's path runs (its request, the order's hold and
 * status, the notification, the relay's late deliveries and the reconciler,
 * the gateway's callback, an operator's void): `path: 'payment'` queries
 * their log groups only.
 */
export const PAYMENT_PATH_FUNCTIONS = [
  'paymentCreate',
  'paymentCallback',
  'paymentRelay',
  'paymentVoid',
  'orderHold',
  'orderRelease',
  'orderUpdateStatus',
  'notificationSend',
];

/** The widest window one lookup may scan: the relay's retry horizon (24 h) after the request. */
export const MAX_TIMELINE_WINDOW_MS = 25 * 3600_000;

/** The most lines one timeline returns (the view is for one request, not a log search). */
export const TIMELINE_LIMIT = 1000;

/** {@link LogSource} over the file `npm start` writes (`.logs/local.log`), read on each call. */
export class FileLogSource implements LogSource {
  constructor(private readonly path: string) {}

  async linesFor(correlationId: string): Promise<LogRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw new ServiceUnavailableError('LOGS_UNAVAILABLE', 'The local log file cannot be read', {
        cause: error,
      });
    }
    // Only lines that mention the id are parsed: the file holds every request of the session.
    const mentions = text
      .split('\n')
      .filter((line) => line.includes(correlationId))
      .join('\n');
    return (timeline(parseLogLines(mentions), correlationId) as LogRecord[]).slice(
      0,
      TIMELINE_LIMIT,
    );
  }
}

/** The two CloudWatch Logs calls {@link InsightsLogSource} makes (the SDK client fits it). */
export interface InsightsClient {
  startQuery(input: {
    logGroupNames: string[];
    startTime: number;
    endTime: number;
    queryString: string;
    limit: number;
  }): Promise<{ queryId?: string }>;
  getQueryResults(input: { queryId: string }): Promise<{
    status?: string;
    results?: { field?: string; value?: string }[][];
  }>;
}

/**
 * {@link LogSource} on CloudWatch Logs Insights: one query over the
 * functions' log groups for the last `lookbackHours`, polled until complete
 * or until `deadline` passes (then a 503: the caller may ask again).
 */
export class InsightsLogSource implements LogSource {
  constructor(
    private readonly client: InsightsClient,
    private readonly options: {
      logGroupNames: string[];
      /** Without a window: how far back from now to look. */
      lookbackHours: number;
      pollMs?: number;
      /** Epoch ms after which the query is abandoned. */
      deadline: () => number;
      clock?: () => number;
    },
  ) {}

  async linesFor(correlationId: string, scope: TimelineScope = {}): Promise<LogRecord[]> {
    const now = (this.options.clock ?? Date.now)();
    const to = Math.min(scope.to ?? now, now);
    const from = Math.max(
      scope.from ?? to - this.options.lookbackHours * 3600_000,
      to - MAX_TIMELINE_WINDOW_MS,
    );
    const groups =
      scope.path === 'payment'
        ? this.options.logGroupNames.filter((g) =>
            PAYMENT_PATH_FUNCTIONS.some((fn) => g.endsWith(`-${fn}`)),
          )
        : this.options.logGroupNames;
    // The id is checked by the route (ID_PATTERN: no quote can reach the query).
    const { queryId } = await this.client.startQuery({
      logGroupNames: groups,
      startTime: Math.floor(from / 1000),
      endTime: Math.ceil(to / 1000),
      queryString: `fields @message | filter correlation_id = "${correlationId}" | sort @timestamp asc | limit ${TIMELINE_LIMIT}`,
      limit: TIMELINE_LIMIT,
    });
    if (!queryId)
      throw new ServiceUnavailableError('LOGS_UNAVAILABLE', 'CloudWatch Logs started no query');
    for (;;) {
      const out = await this.client.getQueryResults({ queryId });
      if (out.status === 'Complete') {
        const messages = (out.results ?? []).map(
          (row) => row.find((cell) => cell.field === '@message')?.value ?? '',
        );
        return timeline(parseLogLines(messages.join('\n')), correlationId) as LogRecord[];
      }
      if (out.status && !['Running', 'Scheduled'].includes(out.status)) {
        throw new ServiceUnavailableError('LOGS_UNAVAILABLE', `The log query ended ${out.status}`);
      }
      if (Date.now() + (this.options.pollMs ?? 500) > this.options.deadline()) {
        throw new ServiceUnavailableError(
          'LOGS_QUERY_RUNNING',
          'The log query is still running; ask again',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 500));
    }
  }
}

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
