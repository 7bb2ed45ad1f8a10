import { AppError } from '../shared/errors.js';
import type { Fault } from '../shared/fault-injection.js';
import type { Currency } from '../shared/money.js';

// The payment gateway as the payment service sees it: the port its use cases
// call, its answers and its one error. The simulator (gateway.ts) and a real
// gateway's adapter implement it.

/** One charge request to the payment gateway. */
export interface GatewayChargeRequest {
  /** The gateway deduplicates on it: the same key never charges twice. */
  idempotencyKey: string;
  amountMinor: number;
  currency: Currency;
  userId: string;
}

/**
 * The gateway's final answer under one key. `voided`: the key was voided
 * before anything was charged under it (as a cancelled Stripe PaymentIntent),
 * so no charge under it can ever succeed.
 */
export type GatewayChargeResult =
  | { outcome: 'succeeded'; gatewayReference: string }
  | { outcome: 'declined'; gatewayReference: string; reason: string }
  | { outcome: 'voided'; gatewayReference: string };

/**
 * The payment gateway port. Implementations must be idempotent on
 * `idempotencyKey`: a repeated charge gets the first answer (as Stripe
 * replays the first response to a key), and `retrieve` tells what a key was
 * charged with, or undefined if the gateway never charged under it. `void`
 * fences a key: the first of a charge and a void under one key wins, at the
 * gateway, so a key voided before its charge arrived can never charge (the
 * charge is answered `voided`), and a void after a charge returns that charge.
 */
export interface PaymentGateway {
  /** `signal` aborts a call whose caller has given up (the function's deadline). */
  charge(
    request: GatewayChargeRequest,
    faults?: Fault[],
    signal?: AbortSignal,
  ): Promise<GatewayChargeResult>;
  retrieve(idempotencyKey: string): Promise<GatewayChargeResult | undefined>;
  /** Voids `idempotencyKey` unless something was charged under it; returns the key's final answer. */
  void(idempotencyKey: string): Promise<GatewayChargeResult>;
}

/** 503: the gateway did not answer; the charge stays PENDING and a retry asks again with the same key. */
export class GatewayUnavailableError extends AppError {
  override name = 'GatewayUnavailableError';
  /**
   * False only when the request certainly never reached the gateway (the
   * connection was refused): then nothing was charged. A timeout is unknown.
   */
  readonly reachedGateway: boolean;

  constructor(message: string, options: { cause?: unknown; reachedGateway?: boolean } = {}) {
    super(503, 'GATEWAY_UNAVAILABLE', message, {
      cause: options.cause,
      expose: true,
      headers: { 'Retry-After': '1' },
    });
    this.reachedGateway = options.reachedGateway ?? true;
  }
}
