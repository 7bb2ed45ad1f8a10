import { setTimeout as sleep } from 'node:timers/promises';
import { type Fault, findFault } from '../../shared/fault-injection.js';
import {
  type GatewayChargeRequest,
  type GatewayChargeResult,
  GatewayUnavailableError,
  type PaymentGateway,
} from '../gateway-port.js';
import { type GatewayLedger, InMemoryGatewayLedger } from './gateway-ledger.js';

/** `work`, or a rejection as soon as `signal` aborts (the work itself goes on). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The decline rule of the simulator: an amount whose last two minor-unit
 * digits are 51 (e.g. 10.51 USD, 151 JPY) is declined with `insufficient_funds`.
 */
export function simulatedDecline(amountMinor: number): string | undefined {
  return amountMinor % 100 === 51 ? 'insufficient_funds' : undefined;
}

/**
 * The local gateway. Its ledger (a DynamoDB table of its own in every stage,
 * GatewayLedgerTable; this process's memory in unit tests) keeps the first answer per key and
 * outlives the function that called it: a repeated charge under one key gets
 * that answer, and {@link SimulatedGateway.retrieve} reads it back. `charges`
 * holds the keys this instance charged, for tests.
 *
 * Faults (local/test only): `gateway=delay:<ms>` answers slowly;
 * `gateway=unavailable` fails before charging; `gateway=timeout` charges and
 * then loses the answer (the case a callback or the reconciler later repairs);
 * `gateway=decline` declines whatever the amount (`card_declined`);
 * `gateway=lag:<ms>` processes the charge after `ms` even if the caller has
 * given up meanwhile (a request in flight that lands late).
 */
export class SimulatedGateway implements PaymentGateway {
  /** Keys charged by this instance, with their answer. */
  readonly charges = new Map<string, GatewayChargeResult>();
  /** Every call, including replays of a key. */
  calls = 0;
  private readonly ledger: GatewayLedger;
  private readonly clock: () => Date;

  constructor(options: { ledger?: GatewayLedger; clock?: () => Date } = {}) {
    this.ledger = options.ledger ?? new InMemoryGatewayLedger();
    this.clock = options.clock ?? (() => new Date());
  }

  async charge(
    request: GatewayChargeRequest,
    faults: Fault[] = [],
    signal?: AbortSignal,
  ): Promise<GatewayChargeResult> {
    this.calls += 1;
    const delay = findFault(faults, 'gateway', 'delay');
    // A caller that gave up aborts the call (as a socket closed mid-request):
    // nothing is charged then; a real gateway may still charge, which the void fences.
    if (delay?.value) await sleep(delay.value, undefined, { signal });
    signal?.throwIfAborted();
    const lag = findFault(faults, 'gateway', 'lag');
    if (lag?.value) {
      // The request reached the gateway, which processes it late whatever the
      // caller does (the case a real gateway makes and the void must fence).
      const late = sleep(lag.value).then(() => this.process(request, faults));
      late.catch(() => undefined);
      return signal ? abortable(late, signal) : late;
    }
    return this.process(request, faults);
  }

  /** The gateway's side of a charge: the first answer under the key is recorded and returned. */
  private async process(
    request: GatewayChargeRequest,
    faults: Fault[],
  ): Promise<GatewayChargeResult> {
    if (findFault(faults, 'gateway', 'unavailable')) {
      throw new GatewayUnavailableError('The payment gateway is unavailable', {
        reachedGateway: false,
      });
    }
    const gatewayReference = `sim_${request.idempotencyKey}`;
    const reason = findFault(faults, 'gateway', 'decline')
      ? 'card_declined'
      : simulatedDecline(request.amountMinor);
    const answer: GatewayChargeResult = reason
      ? { outcome: 'declined', gatewayReference, reason }
      : { outcome: 'succeeded', gatewayReference };
    const { result } = await this.ledger.record({
      idempotencyKey: request.idempotencyKey,
      result: answer,
      amountMinor: request.amountMinor,
      currency: request.currency,
      userId: request.userId,
      chargedAt: this.clock().toISOString(),
    });
    if (!this.charges.has(request.idempotencyKey)) this.charges.set(request.idempotencyKey, result);
    if (findFault(faults, 'gateway', 'timeout')) {
      throw new GatewayUnavailableError('The payment gateway did not answer in time');
    }
    return result;
  }

  async retrieve(idempotencyKey: string): Promise<GatewayChargeResult | undefined> {
    return (await this.ledger.find(idempotencyKey))?.result;
  }

  async void(idempotencyKey: string): Promise<GatewayChargeResult> {
    // The same conditional write as a charge's: whichever reaches the ledger first wins.
    const { result } = await this.ledger.record({
      idempotencyKey,
      result: { outcome: 'voided', gatewayReference: `sim_${idempotencyKey}` },
      chargedAt: this.clock().toISOString(),
    });
    return result;
  }
}
