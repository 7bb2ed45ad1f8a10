import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logAction } from '../shared/logger.js';
import type { OutboxRelay, RelayRunResult } from './relay.js';

/** What the relay function answers: the run's counts, and whether the run itself failed. */
export type RelayInvocationResult = RelayRunResult & { failed: boolean };

/**
 * The scheduled relay function's body (schedule in AWS, the invoke API on
 * :3002 locally): one run bounded by the invocation's remaining time. It never
 * throws: a run that fails (the table is unreachable) is logged at error and
 * the next schedule tries again, with every event still pending.
 */
export function relayHandler(relay: OutboxRelay, logger: Logger) {
  return middy<unknown, RelayInvocationResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (_event: unknown, context: Context): Promise<RelayInvocationResult> => {
      try {
        const result = await relay.runOnce({
          remainingTimeMs: () => context.getRemainingTimeInMillis(),
        });
        return { ...result, failed: false };
      } catch (error) {
        logAction(logger, { action: 'outbox.relay', outcome: 'failed', error });
        return { claimed: 0, delivered: 0, retried: 0, dead: 0, skipped: 0, failed: true };
      }
    });
}
