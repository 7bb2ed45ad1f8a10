import type { Logger } from '@aws-lambda-powertools/logger';
import { logAction, type Outcome } from '../shared/logger.js';
import { type ChargeStore, chargeResultOf } from './charge-store.js';
import { GatewayUnavailableError, type PaymentGateway } from './gateway-port.js';
import type { PaymentService } from './payment-service.js';

/** Default grace before a charge counts as abandoned: longer than any request can still be running. */
export const DEFAULT_RECONCILE_GRACE_MS = 60_000;

/** Options of {@link ChargeReconciler}. */
export interface ChargeReconcilerOptions {
  charges: Pick<ChargeStore, 'listUnfinalized' | 'get' | 'recordResult' | 'setReconcilable'>;
  service: Pick<PaymentService, 'recover'>;
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
}

/** Options of one {@link ChargeReconciler.runOnce}. */
export interface ReconcileRunOptions {
  now?: Date;
  /** Only charges older than this are touched (default {@link DEFAULT_RECONCILE_GRACE_MS}). */
  graceMs?: number;
  /** Charges read per run. */
  limit?: number;
  /** Time left to this run, in ms (the Lambda's `context.getRemainingTimeInMillis`). */
  remainingTimeMs?: () => number;
}

/** What one run did: `failed` counts charges (or the listing) that hit an error and stay for the next run. */
export interface ReconcileRunResult {
  found: number;
  /** Payments this run made final (their events now PENDING for the relay). */
  finalized: number;
  /** Already final by someone else (a retry, a callback), or left for lack of time. */
  skipped: number;
  /** The gateway did not answer; the charge stays PENDING for the next run. */
  retrying: number;
  failed: number;
}

/**
 * Recovers the effects of charges whose request died between the charge and
 * the finalizing transaction, when neither the client nor the gateway's
 * callback comes back: it lists charges still marked unfinalized after a
 * grace period (the sparse index `charges-unfinalized`), and for each one
 * whose answer was lost voids its key at the gateway: the gateway answers
 * what it charged under it, or voids it, so that no call still on its way
 * can charge it later (never a second charge, and "never charged" is only
 * concluded once it is true). The payment service then finishes each one
 * exactly as the request would have; a voided one fails with reason
 * `voided` (its order event frees the order, or says it was replaced). A
 * retry that asked the gateway within the grace is left alone. A concurrent
 * retry or callback cannot double the events: the finalizing transaction is
 * conditional on the payment not being final. Never throws.
 */
export class ChargeReconciler {
  private readonly clock: () => Date;
  private readonly reserveMs: number;

  constructor(private readonly options: ChargeReconcilerOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.reserveMs = options.reserveMs ?? 20_000;
  }

  /** One pass over the abandoned charges, oldest first, bounded by `limit` and the time left. */
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
    let ids: string[];
    try {
      ids = await this.options.charges.listUnfinalized(cutoff, run.limit ?? 25);
    } catch (error) {
      logAction(this.options.logger, { action: 'payment.reconcile', outcome: 'failed', error });
      return { ...result, failed: 1 };
    }
    result.found = ids.length;
    for (const transactionId of ids) {
      if (run.remainingTimeMs && run.remainingTimeMs() < this.reserveMs) {
        result.skipped += 1;
        continue;
      }
      const outcome = await this.reconcileOne(transactionId, cutoff);
      if (outcome === 'success') result.finalized += 1;
      else if (outcome === 'retrying') result.retrying += 1;
      else if (outcome === 'failed') result.failed += 1;
      else result.skipped += 1;
    }
    return result;
  }

  /**
   * Recovers one charge; every line it causes carries the original request's
   * correlation id. A PENDING charge that a retry asked the gateway about
   * after `cutoff` is left to that retry.
   */
  private async reconcileOne(transactionId: string, cutoff: Date): Promise<Outcome> {
    const { logger } = this.options;
    const started = Date.now();
    let ids: Record<string, unknown> = { transactionId };
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
        return 'skipped';
      }
      ids = {
        transactionId,
        orderId: charge.orderId,
        userId: charge.userId,
        correlation_id: charge.correlationId,
      };
      if (charge.correlationId) logger.appendKeys({ correlation_id: charge.correlationId });
      const askedGateway = charge.state === 'PENDING';
      if (charge.state === 'PENDING') {
        if (charge.retriedAt && Date.parse(charge.retriedAt) > cutoff.getTime()) {
          logAction(logger, {
            action: 'payment.reconcile',
            outcome: 'skipped',
            ...ids,
            reason: 'a retry asked the gateway within the grace',
          });
          return 'skipped';
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
      const recovered = await this.options.service.recover(charge);
      const outcome: Outcome = recovered.changed ? 'success' : 'skipped';
      logAction(logger, {
        action: 'payment.reconcile',
        outcome,
        ...ids,
        correlation_id: recovered.payment.correlationId,
        status: recovered.payment.status,
        askedGateway,
        ...(recovered.changed ? {} : { reason: 'already final' }),
        durationMs: Date.now() - started,
      });
      return outcome;
    } catch (error) {
      // Either way the charge keeps its marker, so the next run tries again.
      const outcome: Outcome = error instanceof GatewayUnavailableError ? 'retrying' : 'failed';
      logAction(logger, {
        action: 'payment.reconcile',
        outcome,
        ...ids,
        error,
        durationMs: Date.now() - started,
      });
      return outcome;
    } finally {
      logger.removeKeys(['correlation_id']);
    }
  }
}
