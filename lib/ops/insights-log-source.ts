import { ServiceUnavailableError } from '../shared/errors.js';
// The same parsing and ordering as `npm run trace` (one definition of "a request's lines").
import { parseLogLines, timeline } from './log-lines.js';
import { type LogRecord, type LogSource, TIMELINE_LIMIT, type TimelineScope } from './timeline.js';

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
