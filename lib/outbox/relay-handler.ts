import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as v from 'valibot';
import { logAction } from '../shared/logger.js';
import { idSchema } from '../shared/validation.js';
import type { OutboxRelay, RelayRunResult } from './relay.js';
import type { RunLease } from './run-lease.js';

/**
 * What the relay function answers: the run's counts, `failed: false` (a run
 * that fails throws instead), and `leaseHeld` when another run was busy.
 */
export type RelayInvocationResult = RelayRunResult & { failed: boolean; leaseHeld?: boolean };

/**
 * A scheduled run could not do its work (the outbox or the lease unreachable,
 * the reconciler failed): thrown out of the function so that Lambda counts an
 * error and the failure lands in the on-failure queue, where the alarms see it.
 */
export class RelayRunFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RelayRunFailedError';
  }
}

/** How long a run's lease outlives the invocation's own deadline (clock skew, the release write). */
const LEASE_MARGIN_MS = 5000;

/** What an operator's re-drive answers: the events put back to PENDING. */
export interface RedriveResult {
  redriven: string[];
  failed: boolean;
  error?: string;
}

/** An operator's re-drive request: `{ "redrive": { "transactionId": "...", "eventId": "..." } }`. */
const redriveEvent = v.object({
  redrive: v.strictObject({ transactionId: idSchema, eventId: v.optional(idSchema) }),
});

/** Options of {@link relayHandler}. */
export interface RelayHandlerOptions {
  /** After a successful pass (metrics); awaited, and a failure of its own is only logged. */
  onRun?: (result: RelayRunResult) => unknown;
  /** Single-flight across concurrent invocations; without it, runs may overlap. */
  lease?: RunLease;
  /**
   * Work to do on each scheduled run before the relay pass (the payment
   * service's charge reconciler), bounded by the same remaining time. It
   * should not throw; if it does, the error is logged, the pass still runs,
   * and then the invocation fails.
   */
  beforeRun?: (run: { remainingTimeMs: () => number }) => Promise<unknown>;
}

/**
 * The relay function's body. A scheduled event (EventBridge in AWS, the invoke
 * API on :3002 locally) runs one relay pass bounded by the invocation's
 * remaining time; an operator's `{ redrive: { transactionId, eventId? } }`
 * (`npm run redrive`, or `sls invoke -f paymentRelay`) puts DEAD events back.
 * One scheduled run at a time: with a `lease`, a run that finds it held by
 * another answers `leaseHeld` and does nothing. A run that could not do its
 * work is logged at error and throws {@link RelayRunFailedError}; every event
 * stays pending and the next run tries again.
 */
export function relayHandler(
  relay: OutboxRelay,
  logger: Logger,
  options: RelayHandlerOptions = {},
) {
  return middy<unknown, RelayInvocationResult | RedriveResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event: unknown, context: Context) => {
      if (event && typeof event === 'object' && 'redrive' in event) {
        const parsed = v.safeParse(redriveEvent, event);
        if (!parsed.success) {
          return {
            redriven: [],
            failed: true,
            error: 'expected { redrive: { transactionId, eventId? } }',
          };
        }
        const { transactionId, eventId } = parsed.output.redrive;
        try {
          const events = await relay.redrive(transactionId, eventId);
          return { redriven: events.map((e) => e.eventId), failed: false };
        } catch (error) {
          logAction(logger, { action: 'outbox.redrive', outcome: 'failed', transactionId, error });
          return { redriven: [], failed: true, error: 'the re-drive failed; see the logs' };
        }
      }
      const remainingTimeMs = () => context.getRemainingTimeInMillis();
      const owner = context.awsRequestId;
      if (options.lease) {
        let held: boolean;
        try {
          held = await options.lease.acquire(
            owner,
            Date.now() + remainingTimeMs() + LEASE_MARGIN_MS,
          );
        } catch (error) {
          logAction(logger, { action: 'outbox.lease', outcome: 'failed', error });
          throw new RelayRunFailedError('the relay lease could not be taken', { cause: error });
        }
        if (!held) {
          logAction(logger, { action: 'outbox.relay', outcome: 'skipped', reason: 'lease-held' });
          return { ...EMPTY_RUN, failed: false, leaseHeld: true };
        }
      }
      try {
        return await runPass(relay, logger, options, remainingTimeMs);
      } finally {
        await options.lease
          ?.release(owner)
          .catch((error) =>
            logAction(logger, { action: 'outbox.lease', outcome: 'failed', error }),
          );
      }
    });
}

const EMPTY_RUN: RelayRunResult = { claimed: 0, delivered: 0, retried: 0, dead: 0, skipped: 0 };

/** One scheduled pass: the work before it, the relay, then its metrics; throws when work was left undone. */
async function runPass(
  relay: OutboxRelay,
  logger: Logger,
  options: RelayHandlerOptions,
  remainingTimeMs: () => number,
): Promise<RelayInvocationResult> {
  let beforeRunError: unknown;
  if (options.beforeRun) {
    try {
      await options.beforeRun({ remainingTimeMs });
    } catch (error) {
      beforeRunError = error;
      logAction(logger, { action: 'outbox.before-run', outcome: 'failed', error });
    }
  }
  let result: RelayRunResult;
  try {
    result = await relay.runOnce({ remainingTimeMs });
  } catch (error) {
    logAction(logger, { action: 'outbox.relay', outcome: 'failed', error });
    throw new RelayRunFailedError('the relay pass failed', { cause: error });
  }
  try {
    await options.onRun?.(result);
  } catch (error) {
    logAction(logger, { action: 'outbox.metrics', outcome: 'failed', error });
  }
  if (beforeRunError !== undefined) {
    throw new RelayRunFailedError('the work before the relay pass failed', {
      cause: beforeRunError,
    });
  }
  return { ...result, failed: false };
}
