import type { Logger } from '@aws-lambda-powertools/logger';
import { DeliveryEngine } from '../outbox/delivery-engine.js';
import type { EventDeliverer, OutboxStore } from '../outbox/types.js';
import type { Fault } from '../shared/fault-injection.js';
import type { ChargeResult, ChargeStore } from './charge-store.js';
import type { PaymentGateway } from './gateway-port.js';
import type { OrderGate } from './order-gate.js';
import type { PaymentStore } from './payment-store.js';
import type { Charge, Payment, RecordedCharge } from './types.js';

// What the payment use cases share: their collaborators, what a request
// brings besides its payload, and the small facts about a charge they all
// use. The use cases themselves, each a function taking these deps (as the
// order's and the notification's do): pay.ts (POST /payments),
// gateway-callback.ts (its callback), recover.ts (the reconciler's and the
// operator's way to finish a charge), view.ts (GET /payments/{id}); with
// their parts order-takeover.ts (step 1b: the hold and its fenced
// takeover), charge-guard.ts (a transactionId charged at most once) and
// finalize.ts (the payment made final with its events, then delivered).

/** Collaborators of the payment use cases, built once at the edge (compose.ts). */
export interface PaymentDeps {
  charges: ChargeStore;
  payments: PaymentStore;
  /** The outbox items: the delivery engine's store, and a delivered event marked where a reconciler put it. */
  outbox: OutboxStore;
  gateway: PaymentGateway;
  logger: Logger;
  clock: () => Date;
  /** The outbox's delivery engine for the fast path (the same one recovery runs). */
  delivery: DeliveryEngine;
}

/**
 * {@link PaymentDeps} with the defaults filled in: the system clock, and a
 * delivery engine on `outbox` with its default rules.
 */
export function paymentDeps(
  parts: Omit<PaymentDeps, 'clock' | 'delivery'> & Partial<Pick<PaymentDeps, 'clock' | 'delivery'>>,
): PaymentDeps {
  const clock = parts.clock ?? (() => new Date());
  return {
    ...parts,
    clock,
    delivery:
      parts.delivery ?? new DeliveryEngine({ store: parts.outbox, logger: parts.logger, clock }),
  };
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
   * Aborted when the caller stops waiting (middy's signal at the function's
   * deadline): no step starts after it, and the gateway call is cut, so no
   * work of this request outlives its answer.
   */
  signal?: AbortSignal;
}

/** A gateway callback, validated. */
export interface GatewayCallback {
  transactionId: string;
  status: 'succeeded' | 'failed';
  gatewayReference: string;
  failureReason?: string;
}

/** What `recoverCharge` (recover.ts) did with one charge. */
export interface RecoverResult {
  /** True only when this call wrote the final payment and its events. */
  changed: boolean;
  /** How many of its events this call handed to the outbox (the relay delivers them). */
  handedOver: number;
  /** True when the result was unknown and the gateway was asked again. */
  askedGateway: boolean;
  /** The charge with its result recorded. */
  charge: RecordedCharge;
  /** The final payment, as this call wrote it or as someone else did. */
  payment: Payment;
}

/** What `voidPending` (recover.ts) did. */
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
export function paymentStatusOf(charge: RecordedCharge): Payment['status'] {
  return charge.state === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
}

/** A gateway's answer to a PENDING charge, not stored yet. */
export interface NewChargeResult {
  result: ChargeResult;
  at: Date;
}

/** A charge whose result is known: recorded already, or just answered by the gateway (`newResult`, not stored yet). */
export interface Charged {
  charge: RecordedCharge;
  newResult?: NewChargeResult;
}

/** A PENDING charge with its answer, to be recorded before its payment is made final. */
export function answered(charge: Charge, result: ChargeResult, at: Date): Charged {
  return {
    charge: { ...charge, ...result, recordedAt: at.toISOString() },
    newResult: { result, at },
  };
}

/** True once a charge's result is recorded (SUCCEEDED or DECLINED). */
export function isRecorded(charge: Charge): charge is RecordedCharge {
  return charge.state !== 'PENDING';
}
