import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { NotFoundError, UnprocessableError } from '../shared/errors.js';
import { type Fault, findFault } from '../shared/fault-injection.js';
import { logAction } from '../shared/logger.js';
import type { EventDeliverer, OutboxEvent, OutboxStore } from '../shared/outbox.js';
import type { ChargeStore } from './charge-store.js';
import { outboxEventsFor } from './events.js';
import { GatewayUnavailableError, type PaymentGateway } from './gateway.js';
import type { FinalizeResult, PaymentStore } from './payment-store.js';
import type { Charge, Payment, PaymentRequest, PaymentResult, RecordedCharge } from './types.js';
import { chargeView, paymentView, processingView } from './view.js';

/** The outbox as the payment service needs it: the relay's port plus a read of one payment's events. */
export type PaymentOutbox = OutboxStore & {
  listForPayment(transactionId: string): Promise<OutboxEvent[]>;
};

/** Collaborators of {@link PaymentService}. */
export interface PaymentServiceDeps {
  charges: ChargeStore;
  payments: PaymentStore;
  outbox: PaymentOutbox;
  gateway: PaymentGateway;
  logger: Logger;
  clock?: () => Date;
  /** Delay before the relay retries what the fast path could not deliver. */
  retryDelayMs?: number;
}

/** What one request brings besides its payload (never part of the idempotency hash). */
export interface RequestContext {
  correlationId: string;
  faults: Fault[];
  deliverer: EventDeliverer;
}

/** A gateway callback, validated. */
export interface GatewayCallback {
  transactionId: string;
  status: 'succeeded' | 'failed';
  gatewayReference: string;
  failureReason?: string;
}

/** What {@link PaymentService.recover} did with one charge. */
export interface RecoverResult {
  /** True only when this call wrote the final payment and its events. */
  changed: boolean;
  /** True when the result was unknown and the gateway was asked again. */
  askedGateway: boolean;
  /** The charge with its result recorded. */
  charge: RecordedCharge;
  /** The final payment, as this call wrote it or as someone else did. */
  payment: Payment;
}

/** Thrown by the `payment=crash-after-charge` fault: the function "dies" between charge and transaction. */
export class InjectedCrashError extends Error {
  constructor() {
    super('Injected fault: crash after charge');
    this.name = 'InjectedCrashError';
  }
}

function isRecorded(charge: Charge): charge is RecordedCharge {
  return charge.state !== 'PENDING';
}

/**
 * How long the relay leaves a new event to the request that wrote it (its
 * fast path): longer than the payment functions' 15 s timeout. A fast-path
 * failure reschedules the event sooner; a crash leaves it to the relay then.
 */
export const FAST_PATH_WINDOW_MS = 20_000;

/**
 * The payment use cases: charge at most once (the charge guard), finalize the
 * payment and its outbox events exactly once (one conditional transaction),
 * then deliver the events on the fast path.
 */
export class PaymentService {
  private readonly clock: () => Date;

  constructor(private readonly deps: PaymentServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /** POST /payments: the result is final (201 SUCCEEDED or FAILED) and safe to replay. */
  async pay(request: PaymentRequest, ctx: RequestContext): Promise<PaymentResult> {
    const charge = await this.chargeOnce(request, ctx);
    if (findFault(ctx.faults, 'payment', 'crash-after-charge')) throw new InjectedCrashError();
    const record = await this.finalize(charge, ctx);
    return { statusCode: 201, body: paymentView(record.payment, record.events) };
  }

  /**
   * POST /payments/callback: records the gateway's result if ours is not
   * recorded yet (first result wins), confirms the charge once, and finalizes
   * the payment if nothing has. `changed` is true only for the callback that
   * changed something.
   */
  async confirm(callback: GatewayCallback, ctx: RequestContext): Promise<PaymentResult> {
    const { transactionId } = callback;
    const existing = await this.deps.charges.get(transactionId);
    if (!existing)
      throw new NotFoundError(`No charge for transaction ${transactionId}`, 'CHARGE_NOT_FOUND');
    ctx = this.joinOriginalRequest(existing, ctx);
    const now = this.clock();
    const charge = await this.deps.charges.recordResult(
      transactionId,
      {
        state: callback.status === 'succeeded' ? 'SUCCEEDED' : 'DECLINED',
        gatewayReference: callback.gatewayReference,
        declineReason:
          callback.status === 'failed' ? (callback.failureReason ?? 'declined') : undefined,
        resultSource: 'callback',
      },
      now,
    );
    const confirmed = await this.deps.charges.confirm(transactionId, now);
    const recorded = charge as RecordedCharge;
    const disagrees = (recorded.state === 'SUCCEEDED') !== (callback.status === 'succeeded');
    if (disagrees) {
      // The first recorded result stands; a contradicting callback is a gateway problem to look at.
      logAction(this.deps.logger, {
        action: 'payment.callback',
        outcome: 'rejected',
        transactionId,
        recorded: recorded.state,
        received: callback.status,
      });
    }
    const record = await this.finalize(recorded, ctx);
    const changed = confirmed || record.changed;
    logAction(this.deps.logger, {
      action: 'payment.callback',
      outcome: changed ? 'success' : 'skipped',
      transactionId,
      orderId: charge.orderId,
      userId: charge.userId,
    });
    return {
      statusCode: 200,
      body: { transactionId, status: record.payment.status, changed, confirmed },
    };
  }

  /**
   * A callback continues the story of the request that charged: from here on
   * its log lines and the events it writes carry that request's correlation
   * id (stored with the charge), and one line links the callback's own id to it.
   */
  private joinOriginalRequest(charge: Charge, ctx: RequestContext): RequestContext {
    const original = charge.correlationId;
    if (!original || original === ctx.correlationId) return ctx;
    this.deps.logger.appendKeys({ correlation_id: original });
    logAction(this.deps.logger, {
      action: 'payment.callback.join',
      outcome: 'success',
      transactionId: charge.transactionId,
      orderId: charge.orderId,
      userId: charge.userId,
      callbackCorrelationId: ctx.correlationId,
    });
    return { ...ctx, correlationId: original };
  }

  /** GET /payments/{id}: the payment, its charge and its events; 404 when there is no trace of it. */
  async view(transactionId: string): Promise<Record<string, unknown>> {
    const [record, charge] = await Promise.all([
      this.deps.payments.get(transactionId),
      this.deps.charges.get(transactionId),
    ]);
    if (record) {
      return {
        ...paymentView(record.payment, record.events),
        ...(charge ? { charge: chargeView(charge) } : {}),
      };
    }
    if (charge) return { ...processingView(charge), charge: chargeView(charge) };
    throw new NotFoundError(`No payment for transaction ${transactionId}`, 'PAYMENT_NOT_FOUND');
  }

  /**
   * The charge guard: the PENDING charge is written before the gateway is
   * called, so a transactionId reaches the gateway under one key only. A
   * recorded result is reused, never charged again; a PENDING one asks the
   * (idempotent) gateway again with the same key.
   */
  private async chargeOnce(
    request: PaymentRequest,
    ctx: Pick<RequestContext, 'correlationId' | 'faults'>,
  ): Promise<RecordedCharge> {
    const { charge, created } = await this.deps.charges.begin({
      transactionId: request.transactionId,
      orderId: request.orderId,
      userId: request.userId,
      amountMinor: request.amountMinor,
      currency: request.currency,
      state: 'PENDING',
      createdAt: this.clock().toISOString(),
      // Kept so that a later recovery (the reconciler) joins this request's trace.
      correlationId: ctx.correlationId,
    });
    const ids = {
      transactionId: request.transactionId,
      orderId: request.orderId,
      userId: request.userId,
    };
    if (!created) this.assertSamePayment(charge, request);
    if (isRecorded(charge)) {
      logAction(this.deps.logger, {
        action: 'payment.charge',
        outcome: 'skipped',
        ...ids,
        reason: 'already recorded',
      });
      return charge;
    }
    // A retry of a charge the gateway never saw puts it back on the reconciler's list first.
    if (!created) await this.deps.charges.setReconcilable(charge.transactionId, true);
    try {
      return await this.askGateway(charge, ctx.faults);
    } catch (error) {
      // Nothing was charged: the reconciler must not charge it later on its own.
      // The client was told to retry (503); its retry charges, or nothing does.
      if (error instanceof GatewayUnavailableError && !error.reachedGateway) {
        await this.deps.charges.setReconcilable(charge.transactionId, false);
      }
      throw error;
    }
  }

  /**
   * Asks the (idempotent) gateway about a PENDING charge under its
   * transactionId and records the answer; the first recorded result wins.
   */
  private async askGateway(charge: Charge, faults: Fault[]): Promise<RecordedCharge> {
    const answer = await this.deps.gateway.charge(
      {
        idempotencyKey: charge.transactionId,
        amountMinor: charge.amountMinor,
        currency: charge.currency,
        userId: charge.userId,
      },
      faults,
    );
    const stored = await this.deps.charges.recordResult(
      charge.transactionId,
      {
        state: answer.outcome === 'succeeded' ? 'SUCCEEDED' : 'DECLINED',
        gatewayReference: answer.gatewayReference,
        declineReason: answer.outcome === 'declined' ? answer.reason : undefined,
        resultSource: 'gateway',
      },
      this.clock(),
    );
    logAction(this.deps.logger, {
      action: 'payment.charge',
      outcome: stored.state === 'SUCCEEDED' ? 'success' : 'rejected',
      transactionId: charge.transactionId,
      orderId: charge.orderId,
      userId: charge.userId,
      state: stored.state,
    });
    return stored as RecordedCharge;
  }

  /** A transactionId reused for another payment (after its idempotency record is gone) is refused. */
  private assertSamePayment(charge: Charge, request: PaymentRequest): void {
    const same =
      charge.orderId === request.orderId &&
      charge.userId === request.userId &&
      charge.amountMinor === request.amountMinor &&
      charge.currency === request.currency;
    if (!same) {
      throw new UnprocessableError(
        'IDEMPOTENCY_KEY_REUSED',
        `transactionId ${request.transactionId} was already used for a different payment`,
      );
    }
  }

  /**
   * Recovers a charge whose request died before its payment was final (the
   * reconciler's use case): asks the gateway again if the result is still
   * unknown, then finalizes through the same conditional transaction as a
   * request would. The events stay PENDING for the relay; nothing is
   * delivered here. `changed` is false when someone else finalized first.
   */
  async recover(found: Charge): Promise<RecoverResult> {
    const askedGateway = !isRecorded(found);
    const charge = isRecorded(found) ? found : await this.askGateway(found, []);
    // A charge written before correlation ids were stored gets a new one for its late effects.
    const correlationId = found.correlationId ?? randomUUID();
    // Nobody delivers these now: the relay may take them at once.
    const result = await this.writeFinal(charge, correlationId, 0);
    return { changed: result.changed, askedGateway, charge, payment: result.payment };
  }

  /** Writes the final payment and its events once, then delivers them if this call wrote them. */
  private async finalize(charge: RecordedCharge, ctx: RequestContext) {
    const result = await this.writeFinal(charge, ctx.correlationId, FAST_PATH_WINDOW_MS);
    if (!result.changed) return result;
    await this.deliver(result.events, ctx.deliverer);
    return {
      ...result,
      events: await this.deps.outbox.listForPayment(result.payment.transactionId),
    };
  }

  /** The one conditional transaction that makes a payment final with its events (first writer wins). */
  private async writeFinal(
    charge: RecordedCharge,
    correlationId: string,
    relayAfterMs: number,
  ): Promise<FinalizeResult> {
    const now = this.clock();
    const payment: Payment = {
      transactionId: charge.transactionId,
      orderId: charge.orderId,
      userId: charge.userId,
      amountMinor: charge.amountMinor,
      currency: charge.currency,
      status: charge.state === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
      failureReason: charge.declineReason,
      gatewayReference: charge.gatewayReference,
      correlationId,
      createdAt: charge.createdAt,
      finalizedAt: now.toISOString(),
    };
    const firstRelayAt = new Date(now.getTime() + relayAfterMs);
    const result = await this.deps.payments.finalize(
      payment,
      outboxEventsFor(payment, now, firstRelayAt),
    );
    if (!result.changed) return result;
    logAction(this.deps.logger, {
      action: 'payment.finalize',
      outcome: 'success',
      transactionId: payment.transactionId,
      orderId: payment.orderId,
      userId: payment.userId,
      status: payment.status,
    });
    return result;
  }

  /** The fast path: one attempt per event; what fails stays PENDING for the relay. */
  private async deliver(events: OutboxEvent[], deliverer: EventDeliverer): Promise<void> {
    await Promise.all(
      events.map(async (event) => {
        const ids = {
          transactionId: event.transactionId,
          eventId: event.eventId,
          eventType: event.type,
        };
        try {
          const result = await deliverer(event);
          if (result.outcome === 'delivered') {
            await this.deps.outbox.markDelivered(event, this.clock());
            logAction(this.deps.logger, { action: 'outbox.deliver', outcome: 'success', ...ids });
          } else if (result.outcome === 'retry') {
            const delay = Math.max(this.deps.retryDelayMs ?? 1000, result.retryAfterMs ?? 0);
            await this.deps.outbox.markFailed(event, {
              error: result.error,
              nextAttemptAt: new Date(this.clock().getTime() + delay),
            });
            logAction(this.deps.logger, {
              action: 'outbox.deliver',
              outcome: 'retrying',
              ...ids,
              error: result.error,
            });
          } else {
            await this.deps.outbox.markDead(event, result.error);
            logAction(this.deps.logger, {
              action: 'outbox.deliver',
              outcome: 'failed',
              ...ids,
              error: result.error,
            });
          }
        } catch (error) {
          // The event is safely PENDING in the outbox; the relay owns it from here.
          logAction(this.deps.logger, {
            action: 'outbox.deliver',
            outcome: 'failed',
            ...ids,
            error,
          });
        }
      }),
    );
  }
}
