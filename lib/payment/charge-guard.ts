import type { Logger } from '@aws-lambda-powertools/logger';
import { UnprocessableError } from '../shared/errors.js';
import type { Fault } from '../shared/fault-injection.js';
import { logAction } from '../shared/logger.js';
import { type ChargeStore, chargeResultOf } from './charge-store.js';
import { GatewayUnavailableError, type PaymentGateway } from './gateway-port.js';
import { answered, type Charged, isRecorded, type RequestContext } from './payment-context.js';
import type { Charge, PaymentRequest } from './types.js';

/** Collaborators of {@link ChargeGuard}. */
export interface ChargeGuardDeps {
  charges: ChargeStore;
  gateway: PaymentGateway;
  logger: Logger;
  clock: () => Date;
}

/**
 * A transactionId is charged at most once: its PENDING charge (the guard) is
 * written before the gateway is asked, under the transactionId as the
 * gateway's idempotency key; a recorded result is reused, never charged again,
 * and a transactionId reused for another payment is refused.
 */
export class ChargeGuard {
  private readonly clock: () => Date;

  constructor(private readonly deps: ChargeGuardDeps) {
    this.clock = deps.clock;
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
  async chargeOnce(
    request: PaymentRequest,
    ctx: Pick<RequestContext, 'correlationId' | 'faults' | 'signal'>,
    earlier?: Charge,
  ): Promise<Charged> {
    const { charge, created } = earlier
      ? { charge: earlier, created: false }
      : await this.deps.charges.begin(this.guardFor(request, ctx));
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
  async askGateway(charge: Charge, faults: Fault[], signal?: AbortSignal): Promise<Charged> {
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
  assertSamePayment(charge: Charge, request: PaymentRequest): void {
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
}
