import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import type { EventDeliverer } from '../../lib/outbox/types.js';
import { ChargeReconciler } from '../../lib/payment/charge-reconciler.js';
import {
  DynamoChargeStore,
  UNFINALIZED_ATTRIBUTE,
  unfinalizedMarker,
} from '../../lib/payment/charge-store.js';
import { confirmCallback } from '../../lib/payment/gateway-callback.js';
import { GatewayUnavailableError } from '../../lib/payment/gateway-port.js';
import { DynamoOutboxStore } from '../../lib/payment/outbox/store.js';
import { pay } from '../../lib/payment/pay.js';
import { InjectedCrashError, paymentDeps } from '../../lib/payment/payment-context.js';
import { DynamoPaymentStore } from '../../lib/payment/payment-store.js';
import { recoverCharge } from '../../lib/payment/recover.js';
import { SimulatedGateway } from '../../lib/payment/simulator/gateway.js';
import type { PaymentRequest } from '../../lib/payment/types.js';
import { requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { parseFaults } from '../../lib/shared/fault-injection.js';
import { createLogger } from '../../lib/shared/logger.js';
import { uniqueId } from '../support/http.js';
import { welcomingOrders } from '../support/order-gate.js';
import { tables } from './payment-fixtures.js';

const SECOND = 1000;
const GRACE_MS = 60 * SECOND;

/**
 * The payment service and its reconciler on DynamoDB Local, on a clock set to
 * a random instant of 1995: the reconciler only ever lists charges created
 * before its cutoff, so it sees this file's charges and never those that the
 * other test files write (at the real time, or in 2001) while they run.
 */
/**
 * A payment service, reconciler and gateway on DynamoDB Local, on a clock of
 * their own. `dieBeforeRecording`: the request's function dies after its
 * deliveries, before their outcome is recorded (its payment is written).
 */
function world(options: { dieBeforeRecording?: boolean } = {}) {
  const { doc } = dynamoFromEnv();
  const logger = createLogger('payment');
  const paymentsTable = requireEnv('PAYMENTS_TABLE');
  const chargesTable = requireEnv('CHARGES_TABLE');
  let now = new Date(Date.UTC(1995, 0, 1) + Math.floor(Math.random() * 300 * 86_400) * SECOND);
  const clock = () => now;
  const gateway = new SimulatedGateway();
  const charges = new DynamoChargeStore(doc, chargesTable);
  const outbox = new DynamoOutboxStore(doc, paymentsTable, clock);
  const store = new DynamoPaymentStore(doc, paymentsTable);
  const payments: typeof store = options.dieBeforeRecording
    ? Object.assign(Object.create(store), {
        recordEvents: async () => {
          throw new Error('the function died here');
        },
      })
    : store;
  const deps = paymentDeps({ charges, payments, outbox, gateway, logger, clock });
  const reconciler = new ChargeReconciler({
    charges,
    recover: (charge) => recoverCharge(deps, charge),
    gateway,
    logger,
    clock,
  });
  const delivered: string[] = [];
  const deliverer: EventDeliverer = async (event) => {
    delivered.push(event.eventId);
    return { outcome: 'delivered', status: 200 };
  };
  return {
    logger,
    gateway,
    deps,
    reconciler,
    delivered,
    deliverer,
    /** An order service that lets every payment hold its order. */
    orders: welcomingOrders(),
    /** Moves this world's clock forward. */
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
    now: () => now,
  };
}

function request(amountMinor = 4200): PaymentRequest {
  return {
    transactionId: uniqueId('tx-rec'),
    orderId: uniqueId('order'),
    userId: uniqueId('user'),
    amount: amountMinor / 100,
    currency: 'USD',
    amountMinor,
  };
}

async function stored(transactionId: string) {
  const items = await tables.paymentItems(transactionId);
  return {
    payments: items.filter((i) => i.sk === 'PAYMENT'),
    events: await tables.paymentEvents(transactionId),
  };
}

/** The request dies between the charge and the finalizing transaction, and nobody retries. */
async function crashAfterCharge(w: ReturnType<typeof world>, req: PaymentRequest, corr: string) {
  await expect(
    pay(w.deps, req, {
      correlationId: corr,
      faults: parseFaults({ 'x-fault-inject': 'payment=crash-after-charge' }, true),
      deliverer: w.deliverer,
      orders: w.orders,
    }),
  ).rejects.toBeInstanceOf(InjectedCrashError);
}

describe('Class: ChargeReconciler', () => {
  it('finalizes a charge abandoned after a crash once the grace period is over: one payment, two PENDING events, marker gone', async () => {
    const w = world();
    const req = request();
    const correlationId = uniqueId('corr-crash');
    await crashAfterCharge(w, req, correlationId);
    const abandoned = await tables.charge(req.transactionId);
    // The gateway charged; its answer was to be recorded by the finalizing transaction.
    expect(abandoned).toMatchObject({
      state: 'PENDING',
      correlationId,
      [UNFINALIZED_ATTRIBUTE]: unfinalizedMarker(req.transactionId),
    });
    expect((await stored(req.transactionId)).payments).toHaveLength(0);

    const info = vi.spyOn(w.logger, 'info');
    w.advance(GRACE_MS + SECOND);
    const run = await w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 });

    expect(run.finalized).toBeGreaterThanOrEqual(1);
    const { payments, events } = await stored(req.transactionId);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ status: 'SUCCEEDED', correlationId });
    expect(events).toHaveLength(2);
    // Written for the relay to deliver; nothing was delivered inline.
    expect(events.map((e) => e.status)).toEqual(['PENDING', 'PENDING']);
    expect(events.map((e) => e.correlationId)).toEqual([correlationId, correlationId]);
    expect(w.delivered).toEqual([]);
    const charge = await tables.charge(req.transactionId);
    expect(charge).toMatchObject({ state: 'SUCCEEDED' });
    expect(charge).not.toHaveProperty(UNFINALIZED_ATTRIBUTE);
    expect(w.gateway.calls).toBe(1);
    // The late effect joins the original request's trace.
    expect(info).toHaveBeenCalledWith(
      'payment.reconcile success',
      expect.objectContaining({
        action: 'payment.reconcile',
        outcome: 'success',
        transactionId: req.transactionId,
        correlation_id: correlationId,
      }),
    );

    // A second run finds nothing left to do for it.
    await w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 });
    expect((await stored(req.transactionId)).events).toHaveLength(2);
  });

  it('hands to the outbox the events of a request that died after writing its payment, and delivers none itself', async () => {
    const w = world({ dieBeforeRecording: true });
    const req = request();
    const correlationId = uniqueId('corr-died');
    const paid = await pay(w.deps, req, {
      correlationId,
      faults: [],
      deliverer: w.deliverer,
      orders: w.orders,
    });
    // The client had its answer; the outcome of the deliveries was never recorded.
    expect(paid.statusCode).toBe(201);
    expect(w.delivered).toHaveLength(2);
    const left = await stored(req.transactionId);
    expect(left.payments).toHaveLength(1);
    expect(left.events.map((e) => [e.status, e.inOutbox])).toEqual([
      ['PENDING', false],
      ['PENDING', false],
    ]);
    expect(await tables.charge(req.transactionId)).toMatchObject({
      state: 'SUCCEEDED',
      [UNFINALIZED_ATTRIBUTE]: unfinalizedMarker(req.transactionId),
    });

    // Within the grace nothing happens; after it the reconciler hands both over.
    await w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 });
    expect((await stored(req.transactionId)).events.map((e) => e.inOutbox)).toEqual([false, false]);
    w.advance(GRACE_MS + SECOND);
    const info = vi.spyOn(w.logger, 'info');
    const run = await w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 });

    expect(run.finalized).toBeGreaterThanOrEqual(1);
    const { events } = await stored(req.transactionId);
    expect(events.map((e) => [e.status, e.inOutbox, e.nextAttemptAt])).toEqual([
      ['PENDING', true, w.now().toISOString()],
      ['PENDING', true, w.now().toISOString()],
    ]);
    expect(events.map((e) => e.correlationId)).toEqual([correlationId, correlationId]);
    expect(String(events[0]?.outboxStatus)).toMatch(/^PENDING#\d\d$/);
    expect(await tables.charge(req.transactionId)).not.toHaveProperty(UNFINALIZED_ATTRIBUTE);
    // Nothing delivered inline, the gateway not asked again.
    expect(w.delivered).toHaveLength(2);
    expect(w.gateway.calls).toBe(1);
    expect(info).toHaveBeenCalledWith(
      'payment.reconcile success',
      expect.objectContaining({
        handedOver: 2,
        reason: 'already final',
        correlation_id: correlationId,
      }),
    );
  });

  it('leaves alone a charge younger than the grace period', async () => {
    const w = world();
    const req = request();
    await crashAfterCharge(w, req, uniqueId('corr-young'));

    w.advance(GRACE_MS - 5 * SECOND);
    await w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 });

    expect((await stored(req.transactionId)).payments).toHaveLength(0);
    expect(await tables.charge(req.transactionId)).toMatchObject({
      [UNFINALIZED_ATTRIBUTE]: unfinalizedMarker(req.transactionId),
    });
  });

  it('asks the gateway again with the same key when its answer was lost, then finalizes', async () => {
    const w = world();
    const req = request(1051); // the simulator declines *51
    await expect(
      pay(w.deps, req, {
        correlationId: uniqueId('corr-timeout'),
        // The gateway charged, then the answer was lost: only the gateway knows the result.
        faults: parseFaults({ 'x-fault-inject': 'gateway=timeout' }, true),
        deliverer: w.deliverer,
        orders: w.orders,
      }),
    ).rejects.toMatchObject({ code: 'GATEWAY_UNAVAILABLE' });
    expect(await tables.charge(req.transactionId)).toMatchObject({ state: 'PENDING' });

    w.advance(GRACE_MS + SECOND);
    await w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 });

    expect(w.gateway.charges.get(req.transactionId)).toMatchObject({ outcome: 'declined' });
    const { payments, events } = await stored(req.transactionId);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ status: 'FAILED', failureReason: 'insufficient_funds' });
    expect(events).toHaveLength(2);
    const charge = await tables.charge(req.transactionId);
    expect(charge).toMatchObject({ state: 'DECLINED', resultSource: 'gateway' });
    expect(charge).not.toHaveProperty(UNFINALIZED_ATTRIBUTE);
  });

  it('never charges on its own a payment the gateway never saw; the client retry charges once', async () => {
    const w = world();
    const req = request();
    const ctx = {
      correlationId: uniqueId('corr-refused'),
      deliverer: w.deliverer,
      orders: w.orders,
    };
    await expect(
      pay(w.deps, req, {
        ...ctx,
        faults: parseFaults({ 'x-fault-inject': 'gateway=unavailable' }, true),
      }),
    ).rejects.toMatchObject({ code: 'GATEWAY_UNAVAILABLE', reachedGateway: false });
    const refused = await tables.charge(req.transactionId);
    expect(refused).toMatchObject({ state: 'PENDING' });
    expect(refused).not.toHaveProperty(UNFINALIZED_ATTRIBUTE);

    w.advance(GRACE_MS + SECOND);
    await w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 });
    expect(w.gateway.calls).toBe(1);
    expect((await stored(req.transactionId)).payments).toHaveLength(0);

    // The client follows the 503's Retry-After: one charge, and the payment is final.
    await pay(w.deps, req, { ...ctx, faults: [] });
    expect(w.gateway.charges.size).toBe(1);
    expect((await stored(req.transactionId)).payments).toHaveLength(1);
    expect(await tables.charge(req.transactionId)).not.toHaveProperty(UNFINALIZED_ATTRIBUTE);
  });

  it('keeps a charge listed for the next run when the gateway still does not answer', async () => {
    const w = world();
    const req = request();
    const failing = {
      charge: async () => {
        throw new GatewayUnavailableError('The payment gateway is unavailable');
      },
      retrieve: async () => {
        throw new GatewayUnavailableError('The payment gateway is unavailable');
      },
      void: async () => {
        throw new GatewayUnavailableError('The payment gateway is unavailable');
      },
    };
    const { doc } = dynamoFromEnv();
    const charges = new DynamoChargeStore(doc, requireEnv('CHARGES_TABLE'));
    const deps = paymentDeps({
      charges,
      payments: new DynamoPaymentStore(doc, requireEnv('PAYMENTS_TABLE')),
      outbox: new DynamoOutboxStore(doc, requireEnv('PAYMENTS_TABLE')),
      gateway: failing,
      logger: w.logger,
      clock: w.now,
    });
    await expect(
      pay(deps, req, {
        correlationId: uniqueId('corr-down'),
        faults: [],
        deliverer: w.deliverer,
        orders: w.orders,
      }),
    ).rejects.toMatchObject({ code: 'GATEWAY_UNAVAILABLE' });

    w.advance(GRACE_MS + SECOND);
    const reconciler = new ChargeReconciler({
      charges,
      recover: (charge) => recoverCharge(deps, charge),
      gateway: failing,
      logger: w.logger,
      clock: w.now,
    });
    const run = await reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 });

    expect(run.retrying).toBeGreaterThanOrEqual(1);
    expect((await stored(req.transactionId)).payments).toHaveLength(0);
    expect(await tables.charge(req.transactionId)).toMatchObject({
      state: 'PENDING',
      [UNFINALIZED_ATTRIBUTE]: unfinalizedMarker(req.transactionId),
    });
    // It backs off, the backoff stored on the charge: a run before it ends
    // leaves the charge alone, even with the gateway back.
    const backingOff = await tables.charge(req.transactionId);
    expect(backingOff).toMatchObject({ reconcileAttempts: 1 });
    const until = Date.parse(String(backingOff?.reconcileAfter));
    expect(until).toBeGreaterThan(w.now().getTime());
    expect(await w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 })).toMatchObject({
      finalized: 0,
    });
    expect(await w.gateway.retrieve(req.transactionId)).toBeUndefined();
    // The next run after it, with the gateway back: it never charged that key, so the
    // reconciler voids it (no call still on its way can charge it now) and the
    // payment fails as voided; the client's late retry is answered that, uncharged.
    w.advance(until - w.now().getTime() + SECOND);
    await w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 });
    expect(w.gateway.calls).toBe(0);
    expect(await w.gateway.retrieve(req.transactionId)).toMatchObject({ outcome: 'voided' });
    const { payments } = await stored(req.transactionId);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ status: 'FAILED', failureReason: 'voided' });
    expect(await tables.charge(req.transactionId)).not.toHaveProperty(UNFINALIZED_ATTRIBUTE);
    const retry = await pay(w.deps, req, {
      correlationId: uniqueId('corr-retry'),
      faults: [],
      deliverer: w.deliverer,
      orders: w.orders,
    });
    expect(retry.body).toMatchObject({ status: 'FAILED', failureReason: 'voided' });
    expect(w.gateway.calls).toBe(0);
    expect((await stored(req.transactionId)).payments).toHaveLength(1);
  });

  it.each([1, 2, 3, 4, 5])(
    'writes one payment and one set of events when the reconciler, a client retry and the callback race (round %i)',
    async () => {
      const w = world();
      const req = request();
      const correlationId = uniqueId('corr-race');
      await crashAfterCharge(w, req, correlationId);
      w.advance(GRACE_MS + SECOND);

      const outcomes = await Promise.allSettled([
        w.reconciler.runOnce({ graceMs: GRACE_MS, limit: 25 }),
        pay(w.deps, req, { correlationId, faults: [], deliverer: w.deliverer, orders: w.orders }),
        confirmCallback(
          w.deps,
          {
            transactionId: req.transactionId,
            status: 'succeeded',
            gatewayReference: `sim_${req.transactionId}`,
          },
          {
            correlationId: uniqueId('corr-callback'),
            faults: [],
            deliverer: w.deliverer,
            orders: w.orders,
          },
        ),
      ]);
      // The reconciler never throws, whoever wins.
      expect(outcomes[0].status).toBe('fulfilled');

      const { payments, events } = await stored(req.transactionId);
      expect(payments).toHaveLength(1);
      expect(events).toHaveLength(2);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(2);
      // Only the winner's events were ever delivered inline, each at most once.
      expect(new Set(w.delivered).size).toBe(w.delivered.length);
      expect(w.delivered.length === 0 || w.delivered.length === 2).toBe(true);
      const charge = await tables.charge(req.transactionId);
      expect(charge).not.toHaveProperty(UNFINALIZED_ATTRIBUTE);
      expect(w.gateway.charges.size).toBe(1);
    },
  );
});

describe('Method: DynamoChargeStore.listUnfinalized, over shards (DynamoDB Local)', () => {
  it('lists the oldest unfinalized charges of every shard first, up to the limit', async () => {
    const { doc } = dynamoFromEnv();
    const chargesTable = requireEnv('CHARGES_TABLE');
    const store = new DynamoChargeStore(doc, chargesTable);
    // A random day of 1990: older than any other test's charge, so the oldest are ours.
    const day = Date.UTC(1990, 0, 1) + Math.floor(Math.random() * 300) * 86_400_000;
    const ids = Array.from({ length: 12 }, (_, i) => uniqueId(`tx-shard-${i}`));
    const markers = new Set(ids.map((id) => unfinalizedMarker(id)));
    expect(markers.size).toBeGreaterThanOrEqual(4);
    for (const [i, transactionId] of ids.entries()) {
      await store.begin({
        transactionId,
        orderId: 'o',
        userId: 'u',
        amountMinor: 100,
        currency: 'USD',
        state: 'PENDING',
        createdAt: new Date(day + i * SECOND).toISOString(),
      });
    }
    try {
      const before = new Date(day + 11 * SECOND);
      expect(await store.listUnfinalized(before, 5)).toEqual(ids.slice(0, 5));
      expect(await store.listUnfinalized(before, 50)).toEqual(ids);
      expect(await store.listUnfinalized(new Date(day + 4 * SECOND), 50)).toEqual(ids.slice(0, 5));
      // A run's next page starts where the last ended (inclusive: it dedupes).
      const createdAfter = new Date(day + 7 * SECOND).toISOString();
      expect(await store.listUnfinalized(before, 50, { createdAfter })).toEqual(ids.slice(7));
      // Two slices read disjoint shards and, together, every charge.
      const halves = await Promise.all(
        [0, 1].map((index) => store.listUnfinalized(before, 50, { slice: { index, of: 2 } })),
      );
      expect(halves[0]?.filter((id) => halves[1]?.includes(id))).toEqual([]);
      expect([...(halves[0] ?? []), ...(halves[1] ?? [])].sort()).toEqual([...ids].sort());
    } finally {
      for (const transactionId of ids)
        await doc.send(new DeleteCommand({ TableName: chargesTable, Key: { transactionId } }));
    }
  });
});
