import type { Logger } from '@aws-lambda-powertools/logger';
import type { BackoffOptions } from '../shared/backoff.js';
import { logAction, type Outcome } from '../shared/logger.js';
import { forEachConcurrently } from '../shared/pool.js';
import type { ShardSlice } from '../shared/shards.js';
import { type ChargeStore, chargeResultOf } from './charge-store.js';
import { GatewayUnavailableError, type PaymentGateway } from './gateway-port.js';
import type { RecoverResult } from './payment-context.js';
import type { Charge } from './types.js';

/** Default grace before a charge counts as abandoned: longer than any request can still be running. */
export const DEFAULT_RECONCILE_GRACE_MS = 60_000;

/** Default backoff of a charge whose reconciliation fails: 1 min doubling to 15 min. */
export const DEFAULT_RECONCILE_BACKOFF: BackoffOptions = { baseMs: 60_000, capMs: 15 * 60_000 };

/**
 * The delay before a charge that failed `attempts` times in a row is tried
 * again: capped exponential with "equal jitter" (half the ceiling, plus a
 * random part of the other half), so a failing charge always waits.
 */
export function reconcileBackoffMs(
  attempts: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/** Options of {@link ChargeReconciler}. */
export interface ChargeReconcilerOptions {
  charges: Pick<
    ChargeStore,
    'listUnfinalized' | 'get' | 'recordResult' | 'setReconcilable' | 'backOff'
  >;
  /** Finishes one charge (recover.ts `recoverCharge`, its deps bound). */
  recover: (charge: Charge) => Promise<RecoverResult>;
  /**
   * Asked to void a transactionId whose answer was lost: it answers what it
   * charged under it, or voids it so that it never can (never asked to charge).
   */
  gateway: Pick<PaymentGateway, 'void'>;
  logger: Logger;
  /** The current time; injectable for tests. */
  clock?: () => Date;
  /** Stop starting charges when less than this is left of the run, in ms: one gateway call and a transaction, plus the relay's turn. */
  reserveMs?: number;
  /** Charges reconciled at once (default 4). */
  concurrency?: number;
  /** Backoff of a charge whose reconciliation fails (default {@link DEFAULT_RECONCILE_BACKOFF}). */
  backoff?: BackoffOptions;
  /** Source of jitter; injectable for tests. */
  random?: () => number;
}

/** Options of one {@link ChargeReconciler.runOnce}. */
export interface ReconcileRunOptions {
  now?: Date;
  /** Only charges older than this are touched (default {@link DEFAULT_RECONCILE_GRACE_MS}). */
  graceMs?: number;
  /** Charges read per listing (a run lists again until none is left or its time is spent). */
  limit?: number;
  /** Time left to this run, in ms (the Lambda's `context.getRemainingTimeInMillis`). */
  remainingTimeMs?: () => number;
  /** The shards of the index this run owns (one of several runs at once); all without it. */
  slice?: ShardSlice;
}

/** What one run did: `failed` counts charges (or the listing) that hit an error and stay for the next run. */
export interface ReconcileRunResult {
  found: number;
  /** Payments this run made final (their events now PENDING for the relay). */
  finalized: number;
  /** Already final by someone else (a retry, a callback), backing off after a failure, or left for lack of time. */
  skipped: number;
  /** The gateway did not answer; the charge stays PENDING and backs off. */
  retrying: number;
  /** Another error; the charge backs off (or the listing failed: 1). */
  failed: number;
}

/**
 * Recovers the effects of charges whose request died after the charge and
 * before its payment's events were delivered or in the outbox, when neither
 * the client nor the gateway's callback comes back: it lists charges still
 * marked unfinalized after a grace period (the sparse index
 * `charges-unfinalized`), and for each one
 * whose answer was lost voids its key at the gateway: the gateway answers
 * what it charged under it, or voids it, so that no call still on its way
 * can charge it later (never a second charge, and "never charged" is only
 * concluded once it is true). The payment service then finishes each one
 * exactly as the request would have; a voided one fails with reason
 * `voided` (its order event frees the order, or says it was replaced). A
 * retry that asked the gateway within the grace is left alone. The events
 * of a payment made final meanwhile that nobody delivered go to the outbox
 * (the relay delivers them). A concurrent retry or callback cannot double
 * the events: the payment's write is conditional on it not being final, and
 * each outbox item on its not existing. Never throws.
 */
export class ChargeReconciler {
  private readonly clock: () => Date;
  private readonly reserveMs: number;
  private readonly concurrency: number;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;

  constructor(private readonly options: ChargeReconcilerOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.reserveMs = options.reserveMs ?? 20_000;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.backoff = options.backoff ?? DEFAULT_RECONCILE_BACKOFF;
    this.random = options.random ?? Math.random;
  }

  /**
   * One run over the abandoned charges (of `run.slice`'s shards), oldest
   * first, `concurrency` at a time, page after page until none is left or
   * the run is short of time. Each charge is tried at most once a run; one
   * that is backing off is passed over, so it never holds up the others.
   */
  async runOnce(run: ReconcileRunOptions = {}): Promise<ReconcileRunResult> {
    const result: ReconcileRunResult = {
      found: 0,
      finalized: 0,
      skipped: 0,
      retrying: 0,
      failed: 0,
    };
    const now = run.now ?? this.clock();
    const cutoff = new Date(now.getTime() - (run.graceMs ?? DEFAULT_RECONCILE_GRACE_MS));
    const shortOfTime = () =>
      run.remainingTimeMs !== undefined && run.remainingTimeMs() < this.reserveMs;
    const seen = new Set<string>();
    // Where the next page starts: the newest createdAt this run has read.
    let createdAfter: string | undefined;
    for (;;) {
      let ids: string[];
      try {
        ids = await this.options.charges.listUnfinalized(cutoff, run.limit ?? 25, {
          slice: run.slice,
          createdAfter,
        });
      } catch (error) {
        logAction(this.options.logger, { action: 'payment.reconcile', outcome: 'failed', error });
        result.failed += 1;
        return result;
      }
      const fresh = ids.filter((id) => !seen.has(id));
      if (fresh.length === 0) break;
      for (const id of fresh) seen.add(id);
      result.found += fresh.length;
      await forEachConcurrently(fresh, this.concurrency, async (transactionId) => {
        if (shortOfTime()) {
          result.skipped += 1;
          return;
        }
        const { outcome, createdAt } = await this.reconcileOne(transactionId, cutoff, now);
        if (createdAt && (createdAfter === undefined || createdAt > createdAfter)) {
          createdAfter = createdAt;
        }
        if (outcome === 'success') result.finalized += 1;
        else if (outcome === 'retrying') result.retrying += 1;
        else if (outcome === 'failed') result.failed += 1;
        else result.skipped += 1;
      });
      if (shortOfTime()) break;
    }
    return result;
  }

  /** Leaves a charge whose reconciliation failed alone for a while (its `attempts`-th failure in a row). */
  private async backOff(transactionId: string, attempts: number, error: unknown): Promise<void> {
    const delayMs = reconcileBackoffMs(attempts, this.backoff, this.random);
    const until = new Date(this.clock().getTime() + delayMs);
    try {
      await this.options.charges.backOff(transactionId, {
        attempts,
        until,
        error: String((error as Error)?.message ?? error),
      });
    } catch (cause) {
      // Without its backoff the charge is simply tried again on the next run.
      logAction(this.options.logger, {
        action: 'payment.reconcile-backoff',
        outcome: 'failed',
        transactionId,
        error: cause,
      });
    }
  }

  /**
   * Recovers one charge; its lines carry the original request's correlation
   * id (named on each line: charges run concurrently, so the shared logger's
   * context cannot hold it). A PENDING charge that a retry asked the gateway about
   * after `cutoff` is left to that retry.
   */
  private async reconcileOne(
    transactionId: string,
    cutoff: Date,
    now: Date,
  ): Promise<{ outcome: Outcome; createdAt?: string }> {
    const { logger } = this.options;
    const started = Date.now();
    let ids: Record<string, unknown> = { transactionId };
    let found: Charge | undefined;
    try {
      // Re-read consistently: the index is eventually consistent and may lag a finalization.
      let charge = await this.options.charges.get(transactionId);
      if (!charge) {
        logAction(logger, {
          action: 'payment.reconcile',
          outcome: 'skipped',
          transactionId,
          reason: 'no charge',
        });
        return { outcome: 'skipped' };
      }
      found = charge;
      const createdAt = charge.createdAt;
      if (charge.reconcileAfter && Date.parse(charge.reconcileAfter) > now.getTime()) {
        // Failed before and backing off: the others go first (not logged at INFO every run).
        logger.debug('charge backing off', { transactionId, until: charge.reconcileAfter });
        return { outcome: 'skipped', createdAt };
      }
      ids = {
        transactionId,
        orderId: charge.orderId,
        userId: charge.userId,
        correlation_id: charge.correlationId,
      };
      const askedGateway = charge.state === 'PENDING';
      if (charge.state === 'PENDING') {
        if (charge.retriedAt && Date.parse(charge.retriedAt) > cutoff.getTime()) {
          logAction(logger, {
            action: 'payment.reconcile',
            outcome: 'skipped',
            ...ids,
            reason: 'a retry asked the gateway within the grace',
          });
          return { outcome: 'skipped', createdAt };
        }
        const answer = await this.options.gateway.void(transactionId);
        charge = await this.options.charges.recordResult(
          transactionId,
          chargeResultOf(answer),
          this.clock(),
        );
        if (answer.outcome === 'voided') {
          logAction(logger, {
            action: 'payment.void',
            outcome: 'success',
            ...ids,
            reason: 'never charged by the gateway: its key is voided, so it never can be',
          });
        }
      }
      const recovered = await this.options.recover(charge);
      const outcome: Outcome =
        recovered.changed || recovered.handedOver > 0 ? 'success' : 'skipped';
      logAction(logger, {
        action: 'payment.reconcile',
        outcome,
        ...ids,
        correlation_id: recovered.payment.correlationId,
        status: recovered.payment.status,
        askedGateway,
        handedOver: recovered.handedOver,
        ...(recovered.changed ? {} : { reason: 'already final' }),
        durationMs: Date.now() - started,
      });
      return { outcome, createdAt };
    } catch (error) {
      // Either way the charge keeps its marker and backs off; a later run tries again.
      const outcome: Outcome = error instanceof GatewayUnavailableError ? 'retrying' : 'failed';
      await this.backOff(transactionId, (found?.reconcileAttempts ?? 0) + 1, error);
      logAction(logger, {
        action: 'payment.reconcile',
        outcome,
        ...ids,
        error,
        durationMs: Date.now() - started,
      });
      return { outcome, createdAt: found?.createdAt };
    }
  }
}
