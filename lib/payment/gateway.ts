import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../shared/errors.js';
import { type Fault, findFault } from '../shared/fault-injection.js';
import type { Currency } from '../shared/money.js';

/** One charge request to the payment gateway. */
export interface GatewayChargeRequest {
  /** The gateway deduplicates on it: the same key never charges twice. */
  idempotencyKey: string;
  amountMinor: number;
  currency: Currency;
  userId: string;
}

/** The gateway's final answer for a charge. */
export type GatewayChargeResult =
  | { outcome: 'succeeded'; gatewayReference: string }
  | { outcome: 'declined'; gatewayReference: string; reason: string };

/** The payment gateway port. Implementations must be idempotent on `idempotencyKey`. */
export interface PaymentGateway {
  charge(request: GatewayChargeRequest, faults?: Fault[]): Promise<GatewayChargeResult>;
}

/** 503: the gateway did not answer; the charge stays PENDING and a retry asks again with the same key. */
export class GatewayUnavailableError extends AppError {
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

/**
 * The decline rule of the simulator: an amount whose last two minor-unit
 * digits are 51 (e.g. 10.51 USD, 151 JPY) is declined with `insufficient_funds`.
 */
export function simulatedDecline(amountMinor: number): string | undefined {
  return amountMinor % 100 === 51 ? 'insufficient_funds' : undefined;
}

/**
 * Deterministic local gateway. The same key always gets the same answer and
 * reference (so it is idempotent across processes, like a real gateway), and
 * `charges` counts distinct keys charged in this process, for tests.
 *
 * Faults (local/test only): `gateway=delay:<ms>` answers slowly;
 * `gateway=unavailable` fails before charging; `gateway=timeout` charges and
 * then loses the answer (the case a callback later repairs);
 * `gateway=decline` declines whatever the amount (`card_declined`).
 */
export class SimulatedGateway implements PaymentGateway {
  /** Keys charged by this instance, with their answer. */
  readonly charges = new Map<string, GatewayChargeResult>();
  /** Every call, including replays of a key. */
  calls = 0;

  async charge(request: GatewayChargeRequest, faults: Fault[] = []): Promise<GatewayChargeResult> {
    this.calls += 1;
    const delay = findFault(faults, 'gateway', 'delay');
    if (delay?.value) await sleep(delay.value);
    if (findFault(faults, 'gateway', 'unavailable')) {
      throw new GatewayUnavailableError('The payment gateway is unavailable', {
        reachedGateway: false,
      });
    }
    const gatewayReference = `sim_${request.idempotencyKey}`;
    const reason = findFault(faults, 'gateway', 'decline')
      ? 'card_declined'
      : simulatedDecline(request.amountMinor);
    const result: GatewayChargeResult = reason
      ? { outcome: 'declined', gatewayReference, reason }
      : { outcome: 'succeeded', gatewayReference };
    if (!this.charges.has(request.idempotencyKey)) this.charges.set(request.idempotencyKey, result);
    if (findFault(faults, 'gateway', 'timeout')) {
      throw new GatewayUnavailableError('The payment gateway did not answer in time');
    }
    return this.charges.get(request.idempotencyKey) ?? result;
  }
}
