import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as v from 'valibot';
import { logAction } from '../shared/logger.js';
import type { ShardSlice } from '../shared/shards.js';
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

/** A scheduled run of one slice of the shards: `{ "slice": 2 }` (the fan-out's schedules send it). */
const sliceEvent = v.object({ slice: v.pipe(v.number(), v.integer(), v.minValue(0)) });

/** Options of {@link relayHandler}. */
export interface RelayHandlerOptions {
  /** After a successful pass (metrics); awaited, and a failure of its own is only logged. */
  onRun?: (result: RelayRunResult) => unknown;
  /**
   * Single-flight across concurrent invocations of one slice (or of the
   * whole outbox, for a run without a slice): a lease, or the lease of each
   * slice. Without it, runs may overlap (the claims keep them correct).
   */
  lease?: RunLease | ((slice: ShardSlice | undefined) => RunLease);
  /**
   * How many slices the scheduled fan-out splits the shards into: a run
   * invoked with `{ slice: i }` works on slice `i` of them (default 1: a
   * run without a slice works on every shard).
   */
  slices?: number;
  /**
   * Work to do on each scheduled run before the relay pass (the payment
   * service's charge reconciler), bounded by the same remaining time and
   * given the run's slice. It should not throw; if it does, the error is
   * logged, the pass still runs, and then the invocation fails.
   */
  beforeRun?: (run: { remainingTimeMs: () => number; slice?: ShardSlice }) => Promise<unknown>;
}

/** The slice a scheduled event names, if any (`{ slice: i }`, of `slices`). */
export function sliceOf(event: unknown, slices = 1): ShardSlice | undefined {
  const parsed = v.safeParse(sliceEvent, event);
  if (!parsed.success || slices <= 1) return undefined;
  return { index: parsed.output.slice % slices, of: slices };
}

/**
 * The relay function's body. A scheduled event (EventBridge in AWS, the invoke
 * API on :3002 locally) runs one relay pass bounded by the invocation's
 * remaining time, over its slice of the shards (`{ slice: i }`) or all of
 * them; an operator's `{ redrive: { transactionId, eventId? } }`
 * (`npm run redrive`, or `sls invoke -f paymentRelay`) puts DEAD events back.
 * One scheduled run per slice at a time: with a `lease`, a run that finds
 * its slice's held by another answers `leaseHeld` and does nothing. A run that could not do its
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
      const slice = sliceOf(event, options.slices);
      const lease = typeof options.lease === 'function' ? options.lease(slice) : options.lease;
      if (lease) {
        let held: boolean;
        try {
          held = await lease.acquire(owner, Date.now() + remainingTimeMs() + LEASE_MARGIN_MS);
        } catch (error) {
          logAction(logger, { action: 'outbox.lease', outcome: 'failed', error });
          throw new RelayRunFailedError('the relay lease could not be taken', { cause: error });
        }
        if (!held) {
          logAction(logger, {
            action: 'outbox.relay',
            outcome: 'skipped',
            reason: 'lease-held',
            ...(slice && { slice: `${slice.index}/${slice.of}` }),
          });
          return { ...EMPTY_RUN, failed: false, leaseHeld: true };
        }
      }
      try {
        return await runPass(relay, logger, options, remainingTimeMs, slice);
      } finally {
        await lease
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
  slice: ShardSlice | undefined,
): Promise<RelayInvocationResult> {
  let beforeRunError: unknown;
  if (options.beforeRun) {
    try {
      await options.beforeRun({ remainingTimeMs, slice });
    } catch (error) {
      beforeRunError = error;
      logAction(logger, { action: 'outbox.before-run', outcome: 'failed', error });
    }
  }
  let result: RelayRunResult;
  try {
    result = await relay.runOnce({ remainingTimeMs, slice });
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
