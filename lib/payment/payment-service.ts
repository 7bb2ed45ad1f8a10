import { randomUUID } from 'node:crypto';
import { DeliveryEngine } from '../outbox/delivery-engine.js';
import type { EventDeliverer, OutboxEvent } from '../outbox/types.js';
import { NotFoundError } from '../shared/errors.js';
import { findFault } from '../shared/fault-injection.js';
import { logAction } from '../shared/logger.js';
import { ChargeGuard } from './charge-guard.js';
import { chargeResultOf } from './charge-store.js';
import { GatewayUnavailableError } from './gateway-port.js';
import type { HeldOrderHint } from './order-gate.js';
import { OrderTakeover } from './order-takeover.js';
import { outboxEventsFor } from './outbox/events.js';
import {
  answered,
  type Charged,
  type GatewayCallback,
  InjectedCrashError,
  isRecorded,
  type PaymentServiceDeps,
  paymentStatusOf,
  type RecoverResult,
  type RequestContext,
  type VoidResult,
} from './payment-context.js';
import type { FinalizeResult } from './payment-store.js';
import type { Charge, Payment, PaymentRequest, PaymentResult, RecordedCharge } from './types.js';
import { chargeView, paymentView, processingView } from './view.js';

// The shared types live in payment-context.ts; their callers import them from here too.
export {
  type GatewayCallback,
  InjectedCrashError,
  type PaymentOutbox,
  type PaymentServiceDeps,
  type RecoverResult,
  type RequestContext,
  type VoidResult,
} from './payment-context.js';

/** True when a gateway callback says the opposite of the result we recorded first. */
function contradicts(charge: RecordedCharge, callback: GatewayCallback): boolean {
  return (charge.state === 'SUCCEEDED') !== (callback.status === 'succeeded');
}

/**
 * The payment use cases: charge at most once (the charge guard), finalize the
 * payment with its outbox events exactly once (one conditional write), then
 * deliver the events on the fast path. The charge stays on the reconciler's
 * list until each event is delivered or handed to the outbox, so a request
 * that dies on the way leaves its events to the reconciler, then the relay.
 */
export class PaymentService {
  private readonly clock: () => Date;
  private readonly delivery: DeliveryEngine;
  private readonly guard: ChargeGuard;
  private readonly takeover: OrderTakeover;

  constructor(private readonly deps: PaymentServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.delivery =
      deps.delivery ??
      new DeliveryEngine({ store: deps.outbox, logger: deps.logger, clock: this.clock });
    const parts = { ...deps, clock: this.clock };
    this.guard = new ChargeGuard(parts);
    this.takeover = new OrderTakeover(parts);
  }

  /**
   * POST /payments: the order decides first (it must exist, match and be
   * payable, and this transactionId then holds it), then the charge at most
   * once, then the payment and its events. The result is final (201
   * SUCCEEDED or FAILED) and safe to replay; every refusal before the charge
   * throws, so the idempotency key is released.
   */
  async pay(request: PaymentRequest, ctx: RequestContext): Promise<PaymentResult> {
    ctx.signal?.throwIfAborted();
    // Whatever record of this transactionId exists is checked before the
    // order is asked: a transactionId reused with another payload can never
    // hold an order, and one whose result is known never takes a hold again.
    const earlier = await this.deps.charges.get(request.transactionId);
    if (earlier) this.guard.assertSamePayment(earlier, request);
    if (earlier && isRecorded(earlier)) {
      const record = await this.finalize({ charge: earlier }, ctx);
      return { statusCode: 201, body: paymentView(record.payment, record.events) };
    }
    const hold = await this.takeover.hold(request, ctx);
    ctx.signal?.throwIfAborted();
    let charged: Charged;
    try {
      charged = await this.guard.chargeOnce(request, ctx, earlier);
    } catch (error) {
      if (error instanceof GatewayUnavailableError && !error.reachedGateway) {
        // Proven uncharged: the order may be paid by another transactionId.
        await this.takeover.release(request, 'the gateway never saw the charge', ctx);
      }
      throw error;
    }
    if (findFault(ctx.faults, 'payment', 'crash-after-charge')) throw new InjectedCrashError();
    // Past the deadline the charge stays PENDING and listed: the reconciler finishes it.
    ctx.signal?.throwIfAborted();
    const record = await this.finalize(charged, ctx, hold.heldOrder);
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
    if (existing.state !== 'PENDING' && existing.finalized) {
      // A gateway sends its callback many times: once the charge is recorded
      // and its payment final, nothing is left to record or finalize; only the
      // first confirmation is written (a repeat is answered from this one read).
      const confirmed =
        !existing.confirmedAt && (await this.deps.charges.confirm(transactionId, this.clock()));
      return this.finalCallback(existing as RecordedCharge, callback, confirmed);
    }
    const now = this.clock();
    // A PENDING charge gets this result in the transaction that makes its payment final.
    const charged: Charged =
      existing.state === 'PENDING'
        ? answered(
            existing,
            {
              state: callback.status === 'succeeded' ? 'SUCCEEDED' : 'DECLINED',
              gatewayReference: callback.gatewayReference,
              declineReason:
                callback.status === 'failed' ? (callback.failureReason ?? 'declined') : undefined,
              resultSource: 'callback',
            },
            now,
          )
        : { charge: existing as RecordedCharge };
    const confirmed = await this.deps.charges.confirm(transactionId, now);
    const record = await this.finalize(charged, ctx);
    const recorded = record.charge;
    const disagrees = contradicts(recorded, callback);
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
    const changed = confirmed || record.changed;
    logAction(this.deps.logger, {
      action: 'payment.callback',
      outcome: changed ? 'success' : 'skipped',
      transactionId,
      orderId: existing.orderId,
      userId: existing.userId,
    });
    return {
      statusCode: 200,
      body: {
        transactionId,
        status: record.payment.status,
        changed,
        confirmed,
        // The first recorded result stands; the gateway is told it said otherwise.
        ...(disagrees ? { contradicted: true } : {}),
      },
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

  /** The answer to a callback for a payment already final: the recorded result stands (a contradiction is flagged). */
  private finalCallback(
    charge: RecordedCharge,
    callback: GatewayCallback,
    confirmed: boolean,
  ): PaymentResult {
    const disagrees = contradicts(charge, callback);
    logAction(this.deps.logger, {
      action: 'payment.callback',
      outcome: disagrees ? 'rejected' : confirmed ? 'success' : 'skipped',
      transactionId: charge.transactionId,
      orderId: charge.orderId,
      userId: charge.userId,
      ...(disagrees ? { recorded: charge.state, received: callback.status } : {}),
      reason: confirmed ? 'confirmed a final payment' : 'already confirmed and final',
    });
    return {
      statusCode: 200,
      body: {
        transactionId: charge.transactionId,
        status: paymentStatusOf(charge),
        changed: confirmed,
        confirmed,
        ...(disagrees ? { contradicted: true } : {}),
      },
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
   * Recovers a charge whose request died before its payment's events were
   * delivered or in the outbox (the reconciler's use case): asks the gateway
   * again if the result is still unknown, makes the payment final as a
   * request would (unless it is), hands its undelivered events to the
   * outbox for the relay, and takes the charge off the reconciler's list.
   * Nothing is delivered here. `changed` is false when the payment was
   * final already.
   */
  async recover(found: Charge): Promise<RecoverResult> {
    const askedGateway = !isRecorded(found);
    const charged = isRecorded(found) ? { charge: found } : await this.guard.askGateway(found, []);
    // A charge written before correlation ids were stored gets a new one for its late effects.
    const correlationId = found.correlationId ?? randomUUID();
    const result = await this.writeFinal(charged, correlationId);
    const handedOver = await this.deps.payments.handOver(found.transactionId, this.clock());
    await this.deps.charges.unlist(found.transactionId);
    return {
      changed: result.changed,
      askedGateway,
      handedOver: handedOver.length,
      charge: result.charge,
      payment: result.payment,
    };
  }

  /**
   * An operator's way out for a payment stuck PENDING that holds its order
   * (the console's "Void"): voids its key at the gateway, records the
   * gateway's final answer and finishes the payment as the reconciler would
   * (its order event frees the order, recorded in the order's history). A
   * key that charged cannot be voided: the result is recorded and stands.
   */
  async voidPending(transactionId: string): Promise<VoidResult> {
    const charge = await this.deps.charges.get(transactionId);
    if (!charge)
      throw new NotFoundError(`No charge for transaction ${transactionId}`, 'CHARGE_NOT_FOUND');
    if (isRecorded(charge)) {
      const recovered = charge.finalized ? undefined : await this.recover(charge);
      return {
        voided: false,
        state: charge.state,
        status: recovered?.payment.status ?? paymentStatusOf(charge),
      };
    }
    const answer = await this.deps.gateway.void(transactionId);
    const recorded = await this.deps.charges.recordResult(
      transactionId,
      chargeResultOf(answer),
      this.clock(),
    );
    const recovered = await this.recover(recorded);
    return {
      voided: answer.outcome === 'voided',
      state: recovered.charge.state,
      status: recovered.payment.status,
    };
  }

  /** Writes the final payment and its events once, then delivers them if this call wrote them. */
  private async finalize(charged: Charged, ctx: RequestContext, heldOrder?: HeldOrderHint) {
    const result = await this.writeFinal(charged, ctx.correlationId, heldOrder);
    if (!result.changed) return result;
    return {
      ...result,
      events: await this.deliver(result.payment.transactionId, result.events, ctx.deliverer),
    };
  }

  /**
   * Makes a payment final with its events, once (first writer wins): a new
   * gateway answer is recorded on the charge first (first result wins: if a
   * callback's was recorded before, that one stands), then the payment item,
   * with its events, in one conditional write. A function that dies between
   * the two leaves a recorded charge on the reconciler's list, which makes
   * the payment final from it.
   */
  private async writeFinal(
    { charge, newResult }: Charged,
    correlationId: string,
    heldOrder?: HeldOrderHint,
  ): Promise<FinalizeResult & { charge: RecordedCharge }> {
    if (newResult) {
      const stored = await this.deps.charges.recordResult(
        charge.transactionId,
        newResult.result,
        newResult.at,
      );
      if (!isRecorded(stored)) throw new Error(`Charge ${charge.transactionId} has no result`);
      charge = stored;
    }
    return this.writeFinalOnce(charge, correlationId, heldOrder);
  }

  private async writeFinalOnce(
    charge: RecordedCharge,
    correlationId: string,
    heldOrder?: HeldOrderHint,
  ): Promise<FinalizeResult & { charge: RecordedCharge }> {
    const now = this.clock();
    const payment: Payment = {
      transactionId: charge.transactionId,
      orderId: charge.orderId,
      userId: charge.userId,
      amountMinor: charge.amountMinor,
      currency: charge.currency,
      status: paymentStatusOf(charge),
      failureReason: charge.declineReason,
      gatewayReference: charge.gatewayReference,
      correlationId,
      createdAt: charge.createdAt,
      finalizedAt: now.toISOString(),
    };
    const result = await this.deps.payments.finalize(
      payment,
      outboxEventsFor(payment, now, heldOrder),
    );
    // Someone else made it final: from the same recorded result.
    if (!result.changed) return { ...result, charge };
    logAction(this.deps.logger, {
      action: 'payment.finalize',
      outcome: 'success',
      // Named on the line itself: the reconciler finalizes several charges at
      // once on one logger, each under its own request's correlation id.
      correlation_id: correlationId,
      transactionId: payment.transactionId,
      orderId: payment.orderId,
      userId: payment.userId,
      status: payment.status,
    });
    return { ...result, charge };
  }

  /**
   * The fast path, on the outbox's one delivery engine: one attempt per
   * event, in parallel (bounded), decided by the same rules as recovery.
   * Then one write records the delivered ones on the payment item (no
   * outbox item, no index entry), any other becomes an outbox item for the
   * relay, and the charge leaves the reconciler's list (if a reconciler
   * took it off first, the delivered events are marked in the outbox too).
   * Returns the events
   * as they now stand (no re-read); if the record fails, as they were: the
   * charge is still listed, and the reconciler hands them to the outbox.
   */
  private async deliver(
    transactionId: string,
    events: OutboxEvent[],
    deliverer: EventDeliverer,
  ): Promise<OutboxEvent[]> {
    return this.delivery.deliverOwned(events, deliverer, {
      record: async (settled, at) => {
        await this.deps.payments.recordEvents(transactionId, settled);
        if (await this.deps.charges.unlist(transactionId)) return;
        // Off the list already: a reconciler took the payment for abandoned and
        // handed its events to the outbox meanwhile. Mark the delivered ones there
        // too, so that the relay does not deliver them again.
        const delivered = settled.filter((e) => e.status === 'DELIVERED');
        await Promise.all(delivered.map((event) => this.deps.outbox.markDelivered(event, at)));
      },
    });
  }
}
