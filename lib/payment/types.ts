import type { OutboxEvent } from '../outbox/types.js';
import type { Currency } from '../shared/money.js';

/** A validated `POST /payments` request; amounts are integer minor units from here on. */
export interface PaymentRequest {
  transactionId: string;
  orderId: string;
  userId: string;
  amount: number;
  currency: Currency;
  amountMinor: number;
}

/** Where a charge is: PENDING until the gateway's answer is recorded, then final. */
export type ChargeState = 'PENDING' | 'SUCCEEDED' | 'DECLINED';

/** The charge guard: one per transactionId, written before the gateway is called. */
export interface Charge {
  transactionId: string;
  orderId: string;
  userId: string;
  amountMinor: number;
  currency: Currency;
  state: ChargeState;
  /** The gateway's id for the charge, once known. */
  gatewayReference?: string;
  declineReason?: string;
  /** How the result became known: the gateway's answer or its callback. */
  resultSource?: 'gateway' | 'callback';
  createdAt: string;
  recordedAt?: string;
  /** When a retry last asked the gateway under this key (the reconciler leaves it its grace). */
  retriedAt?: string;
  /** Set once, by the first valid callback for this charge. */
  confirmedAt?: string;
  /** The correlation id of the request that created the charge: late effects join its trace. */
  correlationId?: string;
  /**
   * True for a PENDING charge that the gateway is known never to have seen
   * (its request was refused before reaching it): nothing to finish, and its
   * hold on the order may be given to another payment.
   */
  gatewayNeverSaw?: boolean;
  /** True once its payment is final and its events delivered or in the outbox: off the reconciler's list. */
  finalized?: boolean;
  /** Reconciliations of this charge that failed in a row (the reconciler's backoff). */
  reconcileAttempts?: number;
  /** ISO time before which the reconciler leaves this charge alone (after a failure). */
  reconcileAfter?: string;
  /** Why the last reconciliation failed. */
  reconcileError?: string;
}

/**
 * The decline reason of a charge whose key was voided at the gateway before
 * anything was charged under it (docs/order-arbiter.md): it failed, and can
 * never charge.
 */
export const VOIDED_REASON = 'voided';

/** A charge whose result is known. */
export type RecordedCharge = Charge & { state: 'SUCCEEDED' | 'DECLINED' };

/** A payment's final status. */
export type PaymentStatus = 'SUCCEEDED' | 'FAILED';

/** The payment item: written once, with its outbox events' record, when the charge's result is known. */
export interface Payment {
  transactionId: string;
  orderId: string;
  userId: string;
  amountMinor: number;
  currency: Currency;
  status: PaymentStatus;
  failureReason?: string;
  gatewayReference?: string;
  correlationId: string;
  createdAt: string;
  finalizedAt: string;
}

/** A payment with its outbox events, as stored. */
export interface PaymentRecord {
  payment: Payment;
  events: OutboxEvent[];
}

/** What a use case returns for HTTP: status and body (what the idempotency layer stores and replays). */
export interface PaymentResult {
  statusCode: number;
  body: Record<string, unknown>;
  /** Set by the idempotency layer's response hook when the result is a replay. */
  replayed?: boolean;
}
