import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Context } from 'aws-lambda';
import { FileLogSource } from '../../lib/ops/file-log-source.js';
import { InsightsLogSource } from '../../lib/ops/insights-log-source.js';
import type { LogSource } from '../../lib/ops/timeline.js';
import { createTimelineRoute } from '../../lib/ops/timeline-route.js';
import { httpHandler } from '../../lib/shared/middleware/http-handler.js';
import { createObservability } from '../../lib/shared/observability.js';

const observability = createObservability('payment');
const localFile = process.env.TIMELINE_LOG_FILE;
const logGroups = (process.env.TIMELINE_LOG_GROUPS ?? '').split(',').filter(Boolean);
let cloudWatch: CloudWatchLogsClient | undefined;

/** Locally the file `npm start` writes; in AWS, Logs Insights over the functions' log groups, in a bounded window. */
function sourceFor(context: Context): LogSource {
  if (localFile) return new FileLogSource(localFile);
  cloudWatch ??= new CloudWatchLogsClient({});
  const client = cloudWatch;
  return new InsightsLogSource(
    {
      startQuery: (input) => client.send(new StartQueryCommand(input)),
      getQueryResults: (input) => client.send(new GetQueryResultsCommand(input)),
    },
    {
      logGroupNames: logGroups,
      lookbackHours: Number(process.env.TIMELINE_LOOKBACK_HOURS ?? 1),
      deadline: () => Date.now() + context.getRemainingTimeInMillis() - 1000,
    },
  );
}

/** GET /logs/{correlationId} (operator): every service's log lines of one request, in time order. */
export const handler = httpHandler({ observability }, createTimelineRoute(sourceFor));
