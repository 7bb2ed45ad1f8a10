import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { logAction } from '../shared/logger.js';
import { idSchema } from '../shared/validation.js';
import type { OutboxRelay, RelayRunResult } from './relay.js';

/** What the relay function answers: the run's counts, and whether the run itself failed. */
export type RelayInvocationResult = RelayRunResult & { failed: boolean };

/** What an operator's re-drive answers: the events put back to PENDING. */
export interface RedriveResult {
  redriven: string[];
  failed: boolean;
  error?: string;
}

/** An operator's re-drive request: `{ "redrive": { "transactionId": "...", "eventId": "..." } }`. */
const redriveEvent = z.object({
  redrive: z.strictObject({ transactionId: idSchema, eventId: z.optional(idSchema) }),
});

/**
 * The relay function's body. A scheduled event (EventBridge in AWS, the invoke
 * API on :3002 locally) runs one relay pass bounded by the invocation's
 * remaining time; an operator's `{ redrive: { transactionId, eventId? } }`
 * (`npm run redrive`, or `sls invoke -f paymentRelay`) puts DEAD events back.
 * It never throws: a failed run is logged at error and the next one tries
 * again, with every event still pending.
 */
export function relayHandler(
  relay: OutboxRelay,
  logger: Logger,
  options: {
    onRun?: (result: RelayRunResult) => void;
    /**
     * Work to do on each scheduled run before the relay pass (the payment
     * service's charge reconciler), bounded by the same remaining time. It
     * should not throw; if it does, the error is logged and the pass still runs.
     */
    beforeRun?: (run: { remainingTimeMs: () => number }) => Promise<unknown>;
  } = {},
) {
  return middy<unknown, RelayInvocationResult | RedriveResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event: unknown, context: Context) => {
      if (event && typeof event === 'object' && 'redrive' in event) {
        const parsed = z.safeParse(redriveEvent, event);
        if (!parsed.success) {
          return {
            redriven: [],
            failed: true,
            error: 'expected { redrive: { transactionId, eventId? } }',
          };
        }
        const { transactionId, eventId } = parsed.data.redrive;
        try {
          const events = await relay.redrive(transactionId, eventId);
          return { redriven: events.map((e) => e.eventId), failed: false };
        } catch (error) {
          logAction(logger, { action: 'outbox.redrive', outcome: 'failed', transactionId, error });
          return { redriven: [], failed: true, error: 'the re-drive failed; see the logs' };
        }
      }
      const remainingTimeMs = () => context.getRemainingTimeInMillis();
      if (options.beforeRun) {
        try {
          await options.beforeRun({ remainingTimeMs });
        } catch (error) {
          logAction(logger, { action: 'outbox.before-run', outcome: 'failed', error });
        }
      }
      try {
        const result = await relay.runOnce({ remainingTimeMs });
        options.onRun?.(result);
        return { ...result, failed: false };
      } catch (error) {
        logAction(logger, { action: 'outbox.relay', outcome: 'failed', error });
        return { claimed: 0, delivered: 0, retried: 0, dead: 0, skipped: 0, failed: true };
      }
    });
}
