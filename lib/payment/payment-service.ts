import type { Logger } from '@aws-lambda-powertools/logger';
import { NotFoundError, UnprocessableError } from '../shared/errors.js';
import { type Fault, findFault } from '../shared/fault-injection.js';
import { logAction } from '../shared/logger.js';
import type { EventDeliverer, OutboxEvent, OutboxStore } from '../shared/outbox.js';
import type { ChargeStore } from './charge-store.js';
import { outboxEventsFor } from './events.js';
import type { PaymentGateway } from './gateway.js';
import type { PaymentStore } from './payment-store.js';
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
    const charge = await this.chargeOnce(request, ctx.faults);
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
  private async chargeOnce(request: PaymentRequest, faults: Fault[]): Promise<RecordedCharge> {
    const { charge, created } = await this.deps.charges.begin({
      transactionId: request.transactionId,
      orderId: request.orderId,
      userId: request.userId,
      amountMinor: request.amountMinor,
      currency: request.currency,
      state: 'PENDING',
      createdAt: this.clock().toISOString(),
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
    const answer = await this.deps.gateway.charge(
      {
        idempotencyKey: request.transactionId,
        amountMinor: request.amountMinor,
        currency: request.currency,
        userId: request.userId,
      },
      faults,
    );
    const stored = await this.deps.charges.recordResult(
      request.transactionId,
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
      ...ids,
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

  /** Writes the final payment and its events once, then delivers them if this call wrote them. */
  private async finalize(charge: RecordedCharge, ctx: RequestContext) {
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
      correlationId: ctx.correlationId,
      createdAt: charge.createdAt,
      finalizedAt: now.toISOString(),
    };
    const result = await this.deps.payments.finalize(payment, outboxEventsFor(payment, now));
    if (!result.changed) return result;
    logAction(this.deps.logger, {
      action: 'payment.finalize',
      outcome: 'success',
      transactionId: payment.transactionId,
      orderId: payment.orderId,
      userId: payment.userId,
      status: payment.status,
    });
    await this.deliver(result.events, ctx.deliverer);
    return { ...result, events: await this.deps.outbox.listForPayment(payment.transactionId) };
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
