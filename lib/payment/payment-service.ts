import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DeliveryEngine } from '../outbox/delivery-engine.js';
import { NotFoundError, UnprocessableError } from '../shared/errors.js';
import { type Fault, findFault } from '../shared/fault-injection.js';
import { logAction } from '../shared/logger.js';
import type { EventDeliverer, OutboxEvent, OutboxStore } from '../shared/outbox.js';
import { type ChargeResult, type ChargeStore, chargeResultOf } from './charge-store.js';
import { outboxEventsFor } from './events.js';
import {
  type GatewayChargeResult,
  GatewayUnavailableError,
  type PaymentGateway,
} from './gateway-port.js';
import type { GateContext, HeldOrderHint, OrderGate } from './order-gate.js';
import {
  ChargeResultExistsError,
  type FinalizeResult,
  type NewChargeResult,
  type PaymentStore,
} from './payment-store.js';
import type { Charge, Payment, PaymentRequest, PaymentResult, RecordedCharge } from './types.js';
import { chargeView, paymentView, processingView } from './view.js';

/** The outbox as the payment service needs it: the relay's port, a read of one payment's events, and the marks of several deliveries. */
export type PaymentOutbox = OutboxStore & {
  listForPayment(transactionId: string): Promise<OutboxEvent[]>;
  /** Marks every event delivered, each a plain write (those already moved on are left as they are). */
  markAllDelivered(events: OutboxEvent[], at: Date): Promise<void>;
};

/** Collaborators of {@link PaymentService}. */
export interface PaymentServiceDeps {
  charges: ChargeStore;
  payments: PaymentStore;
  outbox: PaymentOutbox;
  gateway: PaymentGateway;
  logger: Logger;
  clock?: () => Date;
  /**
   * The outbox's delivery engine for the fast path (the same one recovery
   * runs); by default one on `outbox` with its default rules.
   */
  delivery?: DeliveryEngine;
}

/** What one request brings besides its payload (never part of the idempotency hash). */
export interface RequestContext {
  correlationId: string;
  faults: Fault[];
  deliverer: EventDeliverer;
  /** The order service, which decides whether a payment may charge it (step 1b); only `pay` asks it. */
  orders?: OrderGate;
  /** Epoch ms after which no call to the order may still run. */
  deadline?: number;
  /**
   * The charge guard, written ahead by the caller with a write of its own
   * (the idempotency record's first write, lib/payment/idempotency.ts): when
   * it was, the charge makes no write of its own to create it.
   */
  startedGuard?: StartedGuard;
  /**
   * Aborted when the caller stops waiting (middy's signal at the function's
   * deadline): no step starts after it, and the gateway call is cut, so no
   * work of this request outlives its answer.
   */
  signal?: AbortSignal;
}

/** A charge guard written ahead by a caller (see {@link RequestContext.startedGuard}). */
export interface StartedGuard {
  /** The guard, as {@link PaymentService.guardFor} built it. */
  charge: Charge;
  /** True when the caller's write created it. */
  written(): boolean;
  /** Called right before the gateway is asked: from then on the guard stays, whatever happens. */
  gatewayAsked(): void;
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

/** What {@link PaymentService.voidPending} did. */
export interface VoidResult {
  /** True when this call voided the key: it never charged, and never can. */
  voided: boolean;
  /** The charge's recorded state (SUCCEEDED when it had charged: nothing was voided). */
  state: Charge['state'];
  /** The payment's final status, when this call or an earlier one made it final. */
  status?: Payment['status'];
}

/** Thrown by the `payment=crash-after-charge` fault: the function "dies" between charge and transaction. */
export class InjectedCrashError extends Error {
  constructor() {
    super('Injected fault: crash after charge');
    this.name = 'InjectedCrashError';
  }
}

/** The final status of the payment a recorded charge makes. */
function paymentStatusOf(charge: RecordedCharge): Payment['status'] {
  return charge.state === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
}

/** True when a gateway callback says the opposite of the result we recorded first. */
function contradicts(charge: RecordedCharge, callback: GatewayCallback): boolean {
  return (charge.state === 'SUCCEEDED') !== (callback.status === 'succeeded');
}

/** A charge whose result is known: recorded already, or just answered by the gateway (`newResult`, not stored yet). */
interface Charged {
  charge: RecordedCharge;
  newResult?: NewChargeResult;
}

/** A PENDING charge with its answer, to be recorded by the transaction that makes its payment final. */
function answered(charge: Charge, result: ChargeResult, at: Date): Charged {
  return {
    charge: { ...charge, ...result, recordedAt: at.toISOString() },
    newResult: { result, at },
  };
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
  private readonly delivery: DeliveryEngine;

  constructor(private readonly deps: PaymentServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.delivery =
      deps.delivery ??
      new DeliveryEngine({ store: deps.outbox, logger: deps.logger, clock: this.clock });
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
    const earlier = ctx.startedGuard?.written()
      ? undefined
      : await this.deps.charges.get(request.transactionId);
    if (earlier) this.assertSamePayment(earlier, request);
    if (earlier && isRecorded(earlier)) {
      const record = await this.finalize({ charge: earlier }, ctx);
      return { statusCode: 201, body: paymentView(record.payment, record.events) };
    }
    const hold = await this.holdOrder(request, ctx);
    ctx.signal?.throwIfAborted();
    let charged: Charged;
    try {
      charged = await this.chargeOnce(request, ctx, earlier);
    } catch (error) {
      if (error instanceof GatewayUnavailableError && !error.reachedGateway) {
        // Proven uncharged: the order may be paid by another transactionId.
        await this.releaseOrder(request, 'the gateway never saw the charge', ctx);
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
   * Step 1b: asks the order to hold itself for this payment. When another
   * transactionId holds it past its lease, this payment first voids that
   * holder's key at the gateway (the gateway's ledger is the judge: the first
   * of a charge and a void wins), and replaces it only if the holder never
   * charged and now never can (docs/order-arbiter.md).
   */
  private async holdOrder(
    request: PaymentRequest,
    ctx: RequestContext,
  ): Promise<{ acquired: boolean; heldOrder?: HeldOrderHint }> {
    const gate: GateContext = {
      correlationId: ctx.correlationId,
      faults: ctx.faults,
      deadline: ctx.deadline,
    };
    const ids = {
      transactionId: request.transactionId,
      orderId: request.orderId,
      userId: request.userId,
    };
    const orders = ctx.orders;
    if (!orders) throw new Error('pay needs the order service (RequestContext.orders)');
    let answer = await orders.hold(request, gate);
    if (answer.kind === 'held-elsewhere' && answer.leaseOver && answer.holder) {
      const holder = answer.holder;
      if (await this.fenceHolder(holder, ids)) {
        answer = await orders.hold(request, gate, holder);
        if (answer.kind === 'held') {
          logAction(this.deps.logger, {
            action: 'payment.hold',
            outcome: 'success',
            ...ids,
            replaced: holder,
            reason:
              'replaced a holder whose gateway key was voided: it never charged, and never can',
          });
        }
      }
    }
    if (answer.kind === 'held-elsewhere') {
      logAction(this.deps.logger, {
        action: 'payment.hold',
        outcome: 'rejected',
        ...ids,
        reason: 'another transactionId holds the order',
      });
      throw answer.error;
    }
    return { acquired: answer.acquired, heldOrder: answer.heldOrder };
  }

  /**
   * The fence of a takeover: voids `holder`'s key at the gateway unless it
   * charged. True when the holder never charged and now never can. Either
   * way a holder's PENDING charge gets the gateway's final answer recorded,
   * so the reconciler finishes its payment (and its event ends the hold, or
   * says it was voided).
   */
  private async fenceHolder(holder: string, ids: Record<string, string>): Promise<boolean> {
    const charge = await this.deps.charges.get(holder);
    // A holder that charged will be PAID by its own result: never replaced.
    if (charge?.state === 'SUCCEEDED') return false;
    let answer: GatewayChargeResult;
    try {
      answer = await this.deps.gateway.void(holder);
    } catch (error) {
      logAction(this.deps.logger, {
        action: 'payment.void',
        outcome: 'failed',
        ...ids,
        holder,
        error,
      });
      return false;
    }
    if (charge?.state === 'PENDING') {
      await this.deps.charges.recordResult(holder, chargeResultOf(answer), this.clock());
    }
    const fenced = answer.outcome !== 'succeeded';
    logAction(this.deps.logger, {
      action: 'payment.void',
      outcome: fenced ? 'success' : 'rejected',
      ...ids,
      holder,
      gatewayOutcome: answer.outcome,
      ...(fenced ? {} : { reason: 'the holder charged first: its result ends the hold' }),
    });
    return fenced;
  }

  /** Gives the order back; if that fails, the hold's lease and our charge guard let the next payment replace it. */
  private async releaseOrder(
    request: PaymentRequest,
    reason: string,
    ctx: RequestContext,
  ): Promise<void> {
    try {
      await ctx.orders?.release(request, reason, {
        correlationId: ctx.correlationId,
        faults: ctx.faults,
        deadline: ctx.deadline,
      });
      logAction(this.deps.logger, {
        action: 'payment.release',
        outcome: 'success',
        transactionId: request.transactionId,
        orderId: request.orderId,
        reason,
      });
    } catch (error) {
      logAction(this.deps.logger, {
        action: 'payment.release',
        outcome: 'failed',
        transactionId: request.transactionId,
        orderId: request.orderId,
        reason,
        error,
      });
    }
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

  /** The charge guard of `request`, PENDING, as {@link chargeOnce} writes it. */
  guardFor(request: PaymentRequest, ctx: Pick<RequestContext, 'correlationId'>): Charge {
    return {
      transactionId: request.transactionId,
      orderId: request.orderId,
      userId: request.userId,
      amountMinor: request.amountMinor,
      currency: request.currency,
      state: 'PENDING',
      createdAt: this.clock().toISOString(),
      // Kept so that a later recovery (the reconciler) joins this request's trace.
      correlationId: ctx.correlationId,
    };
  }

  /**
   * The charge guard: the PENDING charge is written before the gateway is
   * called, so a transactionId reaches the gateway under one key only. A
   * recorded result is reused, never charged again; a PENDING one asks the
   * (idempotent) gateway again with the same key.
   */
  private async chargeOnce(
    request: PaymentRequest,
    ctx: Pick<RequestContext, 'correlationId' | 'faults' | 'startedGuard' | 'signal'>,
    earlier?: Charge,
  ): Promise<Charged> {
    const started = ctx.startedGuard;
    const { charge, created } = started?.written()
      ? { charge: started.charge, created: true }
      : earlier
        ? { charge: earlier, created: false }
        : await this.deps.charges.begin(started?.charge ?? this.guardFor(request, ctx));
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
      return { charge };
    }
    // A retry of a charge the gateway never saw puts it back on the reconciler's list first.
    if (!created) await this.deps.charges.setReconcilable(charge.transactionId, true, this.clock());
    started?.gatewayAsked();
    try {
      return await this.askGateway(charge, ctx.faults, ctx.signal);
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
   * transactionId. The answer is recorded by the transaction that makes the
   * payment final (one write, not two); until then the charge stays PENDING
   * and on the reconciler's list, which asks the gateway again under the same
   * key if this function dies first. The first recorded result wins.
   */
  private async askGateway(
    charge: Charge,
    faults: Fault[],
    signal?: AbortSignal,
  ): Promise<Charged> {
    const answer = await this.deps.gateway.charge(
      {
        idempotencyKey: charge.transactionId,
        amountMinor: charge.amountMinor,
        currency: charge.currency,
        userId: charge.userId,
      },
      faults,
      signal,
    );
    const result = chargeResultOf(answer);
    logAction(this.deps.logger, {
      action: 'payment.charge',
      outcome: result.state === 'SUCCEEDED' ? 'success' : 'rejected',
      transactionId: charge.transactionId,
      orderId: charge.orderId,
      userId: charge.userId,
      state: result.state,
    });
    return answered(charge, result, this.clock());
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
    const charged = isRecorded(found) ? { charge: found } : await this.askGateway(found, []);
    // A charge written before correlation ids were stored gets a new one for its late effects.
    const correlationId = found.correlationId ?? randomUUID();
    // Nobody delivers these now: the relay may take them at once.
    const result = await this.writeFinal(charged, correlationId, 0);
    return {
      changed: result.changed,
      askedGateway,
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
    const result = await this.writeFinal(
      charged,
      ctx.correlationId,
      FAST_PATH_WINDOW_MS,
      heldOrder,
    );
    if (!result.changed) return result;
    return {
      ...result,
      events: await this.deliver(result.events, ctx.deliverer),
    };
  }

  /**
   * The one conditional transaction that makes a payment final with its
   * events (first writer wins), recording a new gateway answer on the way.
   * If another result was recorded first (a callback), that one stands and
   * the payment is made final from it.
   */
  private async writeFinal(
    charged: Charged,
    correlationId: string,
    relayAfterMs: number,
    heldOrder?: HeldOrderHint,
  ): Promise<FinalizeResult & { charge: RecordedCharge }> {
    try {
      return await this.writeFinalOnce(charged, correlationId, relayAfterMs, heldOrder);
    } catch (error) {
      if (!(error instanceof ChargeResultExistsError)) throw error;
      const stored = await this.deps.charges.get(charged.charge.transactionId);
      if (!stored || !isRecorded(stored)) throw error;
      return this.writeFinalOnce({ charge: stored }, correlationId, relayAfterMs, heldOrder);
    }
  }

  private async writeFinalOnce(
    { charge, newResult }: Charged,
    correlationId: string,
    relayAfterMs: number,
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
    const firstRelayAt = new Date(now.getTime() + relayAfterMs);
    const result = await this.deps.payments.finalize(
      payment,
      outboxEventsFor(payment, now, firstRelayAt, heldOrder),
      newResult,
    );
    if (!result.changed) {
      // Someone else made it final: the result that stands is the one stored.
      const stored = newResult ? await this.deps.charges.get(charge.transactionId) : charge;
      return { ...result, charge: stored && isRecorded(stored) ? stored : charge };
    }
    logAction(this.deps.logger, {
      action: 'payment.finalize',
      outcome: 'success',
      transactionId: payment.transactionId,
      orderId: payment.orderId,
      userId: payment.userId,
      status: payment.status,
    });
    return { ...result, charge };
  }

  /**
   * The fast path, on the outbox's one delivery engine: one attempt per
   * event, in parallel (bounded); what fails stays PENDING for recovery,
   * rescheduled by the same rules. The delivered events are marked with
   * plain writes (1 write unit each; no other item must change with them),
   * and the events are returned as they now stand (no re-read).
   */
  private async deliver(events: OutboxEvent[], deliverer: EventDeliverer): Promise<OutboxEvent[]> {
    return this.delivery.deliverOwned(events, deliverer, {
      recordDelivered: async (delivered, at) => {
        await this.deps.outbox.markAllDelivered(delivered, at);
        return true;
      },
    });
  }
}
