import { describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../lib/outbox/relay.js';
import { relayHandler } from '../../lib/outbox/relay-handler.js';
import type { OutboxStore } from '../../lib/outbox/types.js';
import { ChargeReconciler, reconcileBackoffMs } from '../../lib/payment/charge-reconciler.js';
import type { ChargeStore, UnfinalizedListing } from '../../lib/payment/charge-store.js';
import {
  type GatewayChargeResult,
  GatewayUnavailableError,
} from '../../lib/payment/gateway-port.js';
import type { RecoverResult } from '../../lib/payment/payment-context.js';
import type { Charge, RecordedCharge } from '../../lib/payment/types.js';
import { createLogger } from '../../lib/shared/logger.js';
import { fakeContext } from '../support/lambda.js';

const logger = createLogger('payment');
const NOW = new Date('2026-03-01T12:00:00.000Z');

function charge(transactionId: string): Charge {
  return {
    transactionId,
    orderId: `order-${transactionId}`,
    userId: 'user-1',
    amountMinor: 1000,
    currency: 'USD',
    state: 'SUCCEEDED',
    gatewayReference: `sim_${transactionId}`,
    createdAt: '2026-03-01T11:00:00.000Z',
    correlationId: `corr-${transactionId}`,
  };
}

type ReconcilerCharges = Pick<
  ChargeStore,
  'listUnfinalized' | 'get' | 'recordResult' | 'setReconcilable' | 'backOff'
>;

/**
 * A charge store listing `ids` (each recorded, or PENDING if in `pending`),
 * recording the cutoff it was asked for and what was taken off the list.
 */
function chargeStore(
  ids: string[],
  options: {
    unreachable?: boolean;
    pending?: string[];
    /** What differs in a charge from the default (its createdAt, its backoff). */
    overrides?: Record<string, Partial<Charge>>;
  } = {},
) {
  const asked: Date[] = [];
  const listings: (UnfinalizedListing | undefined)[] = [];
  const unlisted: string[] = [];
  const recorded = new Map<string, Charge>();
  const backedOff = new Map<string, { attempts: number; until: Date; error: string }>();
  const chargeOf = (transactionId: string): Charge => ({
    ...(options.pending?.includes(transactionId)
      ? { ...charge(transactionId), state: 'PENDING', gatewayReference: undefined }
      : charge(transactionId)),
    ...options.overrides?.[transactionId],
  });
  const store: ReconcilerCharges = {
    listUnfinalized: async (before, limit, listing) => {
      if (options.unreachable) throw new Error('connect ECONNREFUSED 127.0.0.1:8000');
      asked.push(before);
      listings.push(listing);
      const after = listing?.createdAfter;
      return ids
        .filter((id) => after === undefined || chargeOf(id).createdAt >= after)
        .slice(0, limit);
    },
    get: async (transactionId) => chargeOf(transactionId),
    recordResult: async (transactionId, result) => {
      const stored = { ...charge(transactionId), ...result };
      recorded.set(transactionId, stored);
      return stored;
    },
    setReconcilable: async (transactionId, reconcilable) => {
      if (!reconcilable) unlisted.push(transactionId);
    },
    backOff: async (transactionId, backoff) => {
      backedOff.set(transactionId, backoff);
    },
  };
  return { store, asked, listings, unlisted, recorded, backedOff };
}

/**
 * A gateway that remembers the keys in `charged` and counts voids; it has no
 * charge method. A void of a key it never charged voids it (first answer wins).
 */
function ledgerGateway(charged: Record<string, 'succeeded' | 'declined' | 'voided'> = {}) {
  const voided: string[] = [];
  return {
    voided,
    charged,
    gateway: {
      void: async (key: string): Promise<GatewayChargeResult> => {
        voided.push(key);
        charged[key] ??= 'voided';
        const outcome = charged[key];
        return outcome === 'declined'
          ? { outcome, gatewayReference: `sim_${key}`, reason: 'insufficient_funds' }
          : { outcome, gatewayReference: `sim_${key}` };
      },
    },
  };
}

/** A recover that answers per transactionId: finalized, already final, or throws. */
function recoverer(behaviour: Record<string, 'finalized' | 'final' | Error>) {
  const recovered: string[] = [];
  return {
    recovered,
    service: {
      recover: async (found: Charge): Promise<RecoverResult> => {
        recovered.push(found.transactionId);
        const what = behaviour[found.transactionId] ?? 'finalized';
        if (what instanceof Error) throw what;
        return {
          changed: what === 'finalized',
          askedGateway: false,
          handedOver: 0,
          charge: found as RecordedCharge,
          payment: {
            ...found,
            status: 'SUCCEEDED',
            correlationId: found.correlationId ?? 'x',
            finalizedAt: NOW.toISOString(),
          },
        };
      },
    },
  };
}

describe('Class: ChargeReconciler', () => {
  it('lists only charges older than the grace period, and recovers each', async () => {
    const { store, asked } = chargeStore(['tx-1', 'tx-2']);
    const { service, recovered } = recoverer({ 'tx-2': 'final' });
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway: ledgerGateway().gateway,
    });

    const run = await reconciler.runOnce({ now: NOW, graceMs: 60_000, limit: 10 });

    // Every listing of the run (the second finds nothing new) asks for the same cutoff.
    expect(asked).toEqual([
      new Date('2026-03-01T11:59:00.000Z'),
      new Date('2026-03-01T11:59:00.000Z'),
    ]);
    expect(recovered).toEqual(['tx-1', 'tx-2']);
    expect(run).toEqual({ found: 2, finalized: 1, skipped: 1, retrying: 0, failed: 0 });
  });

  it('keeps going after one charge fails, and counts a silent gateway as retrying', async () => {
    const { store } = chargeStore(['tx-1', 'tx-2', 'tx-3']);
    const { service, recovered } = recoverer({
      'tx-1': new GatewayUnavailableError('The payment gateway is unavailable'),
      'tx-2': new Error('TransactionConflict'),
    });
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway: ledgerGateway().gateway,
    });

    const run = await reconciler.runOnce({ now: NOW });

    expect(recovered).toEqual(['tx-1', 'tx-2', 'tx-3']);
    expect(run).toEqual({ found: 3, finalized: 1, skipped: 0, retrying: 1, failed: 1 });
  });

  it('starts no charge when less than its reserve is left of the invocation', async () => {
    const { store } = chargeStore(['tx-1', 'tx-2']);
    const { service, recovered } = recoverer({});
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway: ledgerGateway().gateway,
      reserveMs: 20_000,
    });

    const run = await reconciler.runOnce({ now: NOW, remainingTimeMs: () => 5_000 });

    expect(recovered).toEqual([]);
    expect(run).toMatchObject({ found: 2, finalized: 0, skipped: 2 });
  });

  it('asks the gateway for a lost answer instead of charging, and records what it says', async () => {
    const { store, recorded, unlisted } = chargeStore(['tx-lost'], { pending: ['tx-lost'] });
    const { service, recovered } = recoverer({});
    const { gateway, voided } = ledgerGateway({ 'tx-lost': 'declined' });
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway,
    });

    const run = await reconciler.runOnce({ now: NOW });

    expect(voided).toEqual(['tx-lost']);
    expect(recorded.get('tx-lost')).toMatchObject({ state: 'DECLINED', resultSource: 'gateway' });
    expect(recovered).toEqual(['tx-lost']);
    expect(unlisted).toEqual([]);
    expect(run).toMatchObject({ found: 1, finalized: 1 });
  });

  it('voids a charge the gateway never saw before it calls it never charged, and finishes it as voided', async () => {
    const { store, recorded, unlisted } = chargeStore(['tx-never'], { pending: ['tx-never'] });
    const { service, recovered } = recoverer({});
    const { gateway, charged } = ledgerGateway();
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway,
    });

    const run = await reconciler.runOnce({ now: NOW });

    // The gateway's ledger now refuses any charge under that key.
    expect(charged).toEqual({ 'tx-never': 'voided' });
    expect(recorded.get('tx-never')).toMatchObject({
      state: 'DECLINED',
      declineReason: 'voided',
      resultSource: 'gateway',
    });
    expect(unlisted).toEqual([]);
    expect(recovered).toEqual(['tx-never']);
    expect(run).toMatchObject({ found: 1, finalized: 1 });
  });

  it('leaves a PENDING charge alone while a retry asked the gateway within the grace', async () => {
    const { store, recorded } = chargeStore(['tx-retried'], { pending: ['tx-retried'] });
    const retried = {
      ...store,
      get: async (id: string) =>
        ({
          ...(await store.get(id)),
          retriedAt: new Date(NOW.getTime() - 10_000).toISOString(),
        }) as Charge,
    };
    const { service, recovered } = recoverer({});
    const { gateway, voided } = ledgerGateway();
    const reconciler = new ChargeReconciler({
      charges: retried,
      recover: service.recover,
      logger,
      gateway,
    });

    const run = await reconciler.runOnce({ now: NOW, graceMs: 60_000 });

    expect(voided).toEqual([]);
    expect(recorded.size).toBe(0);
    expect(recovered).toEqual([]);
    expect(run).toMatchObject({ found: 1, finalized: 0, skipped: 1 });
  });

  it('does not throw when the charges table is unreachable, and says so', async () => {
    const { store } = chargeStore([], { unreachable: true });
    const { service } = recoverer({});
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway: ledgerGateway().gateway,
    });

    await expect(reconciler.runOnce({ now: NOW })).resolves.toMatchObject({ failed: 1 });
  });

  it('reconciles charges concurrently, never more at once than its concurrency', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `tx-${i}`);
    const { store } = chargeStore(ids);
    let inFlight = 0;
    let maxInFlight = 0;
    const recovered: string[] = [];
    const service = {
      recover: async (found: Charge): Promise<RecoverResult> => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        recovered.push(found.transactionId);
        return {
          changed: true,
          askedGateway: false,
          handedOver: 0,
          charge: found as RecordedCharge,
          payment: {
            ...found,
            status: 'SUCCEEDED',
            correlationId: 'c',
            finalizedAt: NOW.toISOString(),
          },
        };
      },
    };
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway: ledgerGateway().gateway,
      concurrency: 3,
    });

    const run = await reconciler.runOnce({ now: NOW, limit: 25 });

    expect(maxInFlight).toBe(3);
    expect(recovered.sort()).toEqual(ids);
    expect(run).toMatchObject({ found: 10, finalized: 10 });
  });

  it('backs off a charge that fails, stored on the charge, and finishes the others', async () => {
    const { store, backedOff } = chargeStore(['tx-down', 'tx-2', 'tx-3'], {
      overrides: { 'tx-down': { reconcileAttempts: 2 } },
    });
    const { service, recovered } = recoverer({
      'tx-down': new GatewayUnavailableError('The payment gateway is unavailable'),
    });
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway: ledgerGateway().gateway,
      clock: () => NOW,
      backoff: { baseMs: 60_000, capMs: 15 * 60_000 },
      random: () => 0.5,
    });

    const run = await reconciler.runOnce({ now: NOW });

    expect(recovered.sort()).toEqual(['tx-2', 'tx-3', 'tx-down']);
    expect(run).toMatchObject({ finalized: 2, retrying: 1 });
    // Its third failure in a row: a ceiling of 4 min, half of it plus half of the rest.
    expect(backedOff.get('tx-down')).toMatchObject({
      attempts: 3,
      until: new Date(NOW.getTime() + 180_000),
      error: 'The payment gateway is unavailable',
    });
    expect(backedOff.size).toBe(1);
  });

  it('passes over a charge that is backing off, without asking the gateway, while it reconciles the rest', async () => {
    const { store } = chargeStore(['tx-waiting', 'tx-2'], {
      pending: ['tx-waiting', 'tx-2'],
      overrides: {
        'tx-waiting': {
          reconcileAttempts: 4,
          reconcileAfter: new Date(NOW.getTime() + 60_000).toISOString(),
        },
      },
    });
    const { service, recovered } = recoverer({});
    const { gateway, voided } = ledgerGateway();
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway,
    });

    const run = await reconciler.runOnce({ now: NOW });

    expect(voided).toEqual(['tx-2']);
    expect(recovered).toEqual(['tx-2']);
    expect(run).toMatchObject({ found: 2, finalized: 1, skipped: 1 });
  });

  it('pages through its slice of the index, oldest first, each charge once, until none is new', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `tx-${i}`);
    const overrides = Object.fromEntries(
      ids.map((id, i) => [
        id,
        { createdAt: new Date(Date.UTC(2026, 2, 1, 11, 0, i)).toISOString() },
      ]),
    );
    const { store, listings } = chargeStore(ids, { overrides });
    const { service, recovered } = recoverer({});
    const reconciler = new ChargeReconciler({
      charges: store,
      recover: service.recover,
      logger,
      gateway: ledgerGateway().gateway,
    });

    const run = await reconciler.runOnce({ now: NOW, limit: 3, slice: { index: 1, of: 4 } });

    expect(recovered).toEqual(ids);
    expect(run).toMatchObject({ found: 7, finalized: 7 });
    expect(listings.map((l) => l?.createdAfter)).toEqual([
      undefined,
      overrides['tx-2']?.createdAt,
      overrides['tx-4']?.createdAt,
      overrides['tx-6']?.createdAt,
    ]);
    expect(listings.every((l) => l?.slice?.index === 1 && l.slice.of === 4)).toBe(true);
  });
});

describe('Function: relayHandler with a reconciler', () => {
  const emptyOutbox: OutboxStore = {
    listDue: async () => [],
    claim: async () => true,
    markDelivered: async () => undefined,
    markFailed: async () => undefined,
    markDead: async () => undefined,
    redrive: async () => [],
  };
  const relay = () =>
    new OutboxRelay({
      store: emptyOutbox,
      deliver: async () => ({ outcome: 'delivered', status: 200 }),
      logger,
    });

  it('reconciles before the relay pass, within the same invocation time', async () => {
    const seen: number[] = [];
    const handler = relayHandler(relay(), logger, {
      beforeRun: async ({ remainingTimeMs }) => {
        seen.push(remainingTimeMs());
      },
    });
    const result = await handler({}, fakeContext(50_000));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThan(40_000);
    expect(result).toMatchObject({ failed: false });
  });

  it('still runs the relay pass when the reconciler throws, then fails the invocation', async () => {
    let passRan = false;
    const handler = relayHandler(relay(), logger, {
      beforeRun: async () => {
        throw new Error('boom');
      },
      onRun: () => {
        passRan = true;
      },
    });
    await expect(handler({}, fakeContext())).rejects.toThrow(
      'the work before the relay pass failed',
    );
    expect(passRan).toBe(true);
  });

  it('does not reconcile on an operator re-drive', async () => {
    let ran = false;
    const handler = relayHandler(relay(), logger, {
      beforeRun: async () => {
        ran = true;
      },
    });
    await handler({ redrive: { transactionId: 'tx-1' } }, fakeContext());
    expect(ran).toBe(false);
  });
});

describe('Function: reconcileBackoffMs', () => {
  it('doubles from its base to its cap, and always waits at least half of its ceiling', () => {
    const options = { baseMs: 60_000, capMs: 15 * 60_000 };
    expect(reconcileBackoffMs(1, options, () => 0)).toBe(30_000);
    expect(reconcileBackoffMs(1, options, () => 0.999_999)).toBeLessThan(60_000);
    expect(reconcileBackoffMs(3, options, () => 0)).toBe(120_000);
    expect(reconcileBackoffMs(50, options, () => 0)).toBe(450_000);
    expect(reconcileBackoffMs(50, options, () => 0.999_999)).toBeLessThan(900_000);
  });
});
