import { describe, expect, it } from 'vitest';
import { DynamoOrderRepository } from '../../lib/order/order-repository.js';
import {
  createOrder,
  type OrderServiceDeps,
  type UpdateStatusInput,
  updateOrderStatus,
} from '../../lib/order/order-service.js';
import { holdForPayment, releaseHold } from '../../lib/order/payment-hold.js';
import type { EventDeliverer } from '../../lib/outbox/types.js';
import { ChargeReconciler } from '../../lib/payment/charge-reconciler.js';
import { DynamoChargeStore } from '../../lib/payment/charge-store.js';
import {
  type GatewayChargeRequest,
  GatewayUnavailableError,
} from '../../lib/payment/gateway-port.js';
import type { HoldAnswer, OrderGate } from '../../lib/payment/order-gate.js';
import { DynamoOutboxStore } from '../../lib/payment/outbox/store.js';
import { pay } from '../../lib/payment/pay.js';
import {
  InjectedCrashError,
  paymentDeps,
  type RequestContext,
} from '../../lib/payment/payment-context.js';
import { DynamoPaymentStore } from '../../lib/payment/payment-store.js';
import { recoverCharge } from '../../lib/payment/recover.js';
import { DynamoGatewayLedger } from '../../lib/payment/simulator/dynamo-gateway-ledger.js';
import { SimulatedGateway } from '../../lib/payment/simulator/gateway.js';
import type { PaymentRequest } from '../../lib/payment/types.js';
import { requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { isAppError } from '../../lib/shared/errors.js';
import { type Fault, parseFaults } from '../../lib/shared/fault-injection.js';
import { createLogger } from '../../lib/shared/logger.js';
import { uniqueId } from '../support/http.js';
import { tables } from './payment-fixtures.js';

const SECOND = 1000;
const LEASE_MS = 60 * SECOND;

/** A promise and the function that settles it: a step of an interleaving that the test releases. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/**
 * The order service in this process (its use cases on DynamoDB Local, behind
 * the payment's OrderGate port) and the payment service with the simulator's
 * ledger table, on one clock the test moves. The gateway's charge calls can be
 * held in flight (`hold`) to place them exactly between other steps.
 */
function world() {
  const { doc } = dynamoFromEnv();
  const logger = createLogger('payment');
  // A random instant of 1996: this file's charges are the only ones the reconciler lists.
  let now = new Date(Date.UTC(1996, 0, 1) + Math.floor(Math.random() * 300 * 86_400) * SECOND);
  const clock = () => now;
  const orderDeps: OrderServiceDeps = {
    repository: new DynamoOrderRepository({
      doc,
      ordersTable: requireEnv('ORDERS_TABLE'),
      auditTable: requireEnv('ORDER_AUDIT_TABLE'),
    }),
    now: clock,
  };
  const opCtx = (correlationId: string) => ({ correlationId, caller: 'payment' });
  const orders: OrderGate & { holds: string[] } = {
    holds: [],
    async hold(request, ctx, replaces): Promise<HoldAnswer> {
      orders.holds.push(request.transactionId);
      try {
        const held = await holdForPayment(
          { ...orderDeps, leaseMs: LEASE_MS },
          { ...request, ...(replaces ? { replaces } : {}) },
          opCtx(ctx.correlationId),
        );
        return { kind: 'held', orderStatus: held.order.status, acquired: held.acquired };
      } catch (error) {
        if (isAppError(error) && error.code === 'ORDER_PAYMENT_IN_PROGRESS') {
          const detail = (error.details?.[0] ?? {}) as { holder?: string; leaseOver?: boolean };
          return {
            kind: 'held-elsewhere',
            holder: String(detail.holder),
            leaseOver: detail.leaseOver === true,
            error,
          };
        }
        throw error;
      }
    },
    async release(request, reason, ctx) {
      await releaseHold(orderDeps, { ...request, reason }, opCtx(ctx.correlationId));
    },
  };
  // Order events go to the order's own use case; what it refuses is DEAD, as the relay would park it.
  const dead: { eventId: string; error: string }[] = [];
  const deliverer: EventDeliverer = async (event) => {
    if (event.type !== 'order.status') return { outcome: 'delivered', status: 200 };
    const { heldOrder: _hint, ...input } = event.payload as unknown as UpdateStatusInput;
    try {
      await updateOrderStatus(orderDeps, input, opCtx(event.correlationId));
      return { outcome: 'delivered', status: 200 };
    } catch (error) {
      const code = isAppError(error) ? error.code : String(error);
      dead.push({ eventId: event.eventId, error: code });
      return { outcome: 'dead', error: code };
    }
  };

  const ledger = new DynamoGatewayLedger(doc, requireEnv('GATEWAY_LEDGER_TABLE'));
  const simulator = new SimulatedGateway({ ledger, clock });
  const inFlight = new Map<string, Promise<void>>();
  const lost = new Set<string>();
  // Keys whose charge reached the gateway port: the hold and the guard are written by then.
  const asked: string[] = [];
  const gateway = {
    async charge(request: GatewayChargeRequest, faults: Fault[] = [], signal?: AbortSignal) {
      asked.push(request.idempotencyKey);
      const held = inFlight.get(request.idempotencyKey);
      if (held) {
        inFlight.delete(request.idempotencyKey);
        await held;
      }
      if (lost.delete(request.idempotencyKey)) {
        // The call timed out on our side before the gateway got it: unknown to the caller.
        throw new GatewayUnavailableError('The payment gateway did not answer in time');
      }
      return simulator.charge(request, faults, signal);
    },
    retrieve: (key: string) => simulator.retrieve(key),
    void: (key: string) => simulator.void(key),
  };
  const charges = new DynamoChargeStore(doc, requireEnv('CHARGES_TABLE'));
  const paymentsTable = requireEnv('PAYMENTS_TABLE');
  const outbox = new DynamoOutboxStore(doc, paymentsTable, clock);
  const payments = new DynamoPaymentStore(doc, paymentsTable);
  const deps = paymentDeps({ charges, payments, outbox, gateway, logger, clock });
  // The reconciler sees only this file's charges (other files list by their own clocks).
  const mine: typeof charges = Object.assign(Object.create(charges), {
    listUnfinalized: async (before: Date, limit: number) =>
      (await charges.listUnfinalized(before, limit)).filter((id) => id.startsWith('tx-take')),
  });
  const reconciler = new ChargeReconciler({
    charges: mine,
    recover: (charge) => recoverCharge(deps, charge),
    gateway,
    logger,
    clock,
  });

  return {
    deps,
    reconciler,
    orders,
    dead,
    ledger,
    async createOrder(orderId: string, userId: string, amountMinor: number) {
      await createOrder(
        orderDeps,
        { orderId, userId, amountMinor, currency: 'USD' },
        opCtx('corr-create'),
      );
    },
    order: (orderId: string) => orderDeps.repository.get(orderId),
    /** How many charge calls under `key` reached the gateway port (each after its hold and guard). */
    askedGateway: (key: string) => asked.filter((k) => k === key).length,
    /** Delivers a payment's order event as the relay would (the reconciler leaves them PENDING). */
    async relayOrderEvent(transactionId: string) {
      const events = await outbox.listForPayment(transactionId);
      for (const event of events.filter((e) => e.type === 'order.status')) await deliverer(event);
    },
    history: async (orderId: string) =>
      (await orderDeps.repository.history(orderId, { limit: 100 })).entries,
    /** The next charge under `key` waits until the returned gate opens. */
    holdCharge(key: string) {
      const g = gate();
      inFlight.set(key, g.opened);
      return g;
    },
    /** The next charge under `key` times out before reaching the gateway (the caller cannot know). */
    loseCharge(key: string) {
      lost.add(key);
    },
    ctx(correlationId: string, extra: Partial<RequestContext> = {}): RequestContext {
      return { correlationId, faults: [], deliverer, orders, ...extra };
    },
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
}

type World = ReturnType<typeof world>;

function paymentFor(orderId: string, userId: string, amountMinor = 2500): PaymentRequest {
  return {
    transactionId: uniqueId('tx-take'),
    orderId,
    userId,
    amount: amountMinor / 100,
    currency: 'USD',
    amountMinor,
  };
}

async function newOrder(w: World) {
  const orderId = uniqueId('order-take');
  const userId = uniqueId('user-take');
  await w.createOrder(orderId, userId, 2500);
  return { orderId, userId };
}

/** What the gateway's own ledger says about the keys: the judge of "charged once". */
async function ledgerOutcomes(keys: string[]) {
  const entries = await Promise.all(keys.map((k) => tables.gatewayLedger(k)));
  return entries.map((e) => (e ? (e.result as { outcome: string }).outcome : 'none'));
}

/** A holds the order and its charge answer is lost (the gateway never got it): its lease then runs out. */
async function holderWhoseChargeWasLost(w: World, orderId: string, userId: string) {
  const a = paymentFor(orderId, userId);
  w.loseCharge(a.transactionId);
  await expect(pay(w.deps, a, w.ctx('corr-a'))).rejects.toMatchObject({
    code: 'GATEWAY_UNAVAILABLE',
  });
  expect((await w.order(orderId))?.paymentHolder).toBe(a.transactionId);
  w.advance(LEASE_MS + SECOND);
  return a;
}

/**
 * B took the order over from A: A's answer is FAILED `voided`, the gateway's
 * ledger voided A and charged B only, the order is PAID by B, and A's voided
 * result reached the order without parking anything DEAD.
 */
async function expectReplacedByB(
  w: World,
  orderId: string,
  a: PaymentRequest,
  b: PaymentRequest,
  aAnswer: { body: unknown },
) {
  expect(aAnswer.body).toMatchObject({ status: 'FAILED', failureReason: 'voided' });
  expect(await ledgerOutcomes([a.transactionId, b.transactionId])).toEqual(['voided', 'succeeded']);
  expect(await w.order(orderId)).toMatchObject({ status: 'PAID', paidBy: b.transactionId });
  expect(w.dead).toEqual([]);
}

/** A holds the order and its charge is on its way to the gateway, held there until the test opens it. */
async function holderInFlight(w: World) {
  const { orderId, userId } = await newOrder(w);
  const a = paymentFor(orderId, userId);
  const aAtGateway = w.holdCharge(a.transactionId);
  const aFirst = pay(w.deps, a, w.ctx('corr-a'));
  await expect.poll(() => w.askedGateway(a.transactionId)).toBe(1);
  return { orderId, userId, a, aAtGateway, aFirst };
}

describe('A payment that takes over an order hold (docs/order-arbiter.md), against DynamoDB Local', () => {
  it("charges once when B's void reaches the gateway before A's retry: A's retry is refused as voided", async () => {
    const w = world();
    const { orderId, userId } = await newOrder(w);
    const a = await holderWhoseChargeWasLost(w, orderId, userId);
    const b = paymentFor(orderId, userId);

    // A's retry reaches the gateway only after B has voided A and taken the order.
    const aAtGateway = w.holdCharge(a.transactionId);
    const aRetry = pay(w.deps, a, w.ctx('corr-a-retry'));
    const bPaid = await pay(w.deps, b, w.ctx('corr-b'));
    aAtGateway.open();
    const aAnswer = await aRetry;

    expect(bPaid.body).toMatchObject({ status: 'SUCCEEDED' });
    await expectReplacedByB(w, orderId, a, b, aAnswer);
    const history = await w.history(orderId);
    expect(history.map((e) => e.detail).join('\n')).toMatch(
      new RegExp(`replaces ${a.transactionId}.*voided`),
    );
    expect(history.at(-1)).toMatchObject({ outcome: 'unchanged', transactionId: a.transactionId });
  });

  it("charges once when A's retry reaches the gateway before B's void: B is told to retry later", async () => {
    const w = world();
    const { orderId, userId } = await newOrder(w);
    const a = await holderWhoseChargeWasLost(w, orderId, userId);
    const b = paymentFor(orderId, userId);

    const aPaid = await pay(w.deps, a, w.ctx('corr-a-retry'));
    // B comes while the order still shows A's hold (A's PAID not delivered yet).
    const bTries = pay(w.deps, b, w.ctx('corr-b'));

    expect(aPaid.body).toMatchObject({ status: 'SUCCEEDED' });
    await expect(bTries).rejects.toMatchObject({ code: 'ORDER_NOT_PAYABLE' });
    expect(await ledgerOutcomes([a.transactionId, b.transactionId])).toEqual(['succeeded', 'none']);
    expect(await w.order(orderId)).toMatchObject({ status: 'PAID', paidBy: a.transactionId });
  });

  it('never replaces a holder whose charge landed at the gateway though its payment is not final: its result ends the hold', async () => {
    const w = world();
    const { orderId, userId } = await newOrder(w);
    const a = paymentFor(orderId, userId);
    // A charges, then dies before its payment is final: our record of it is PENDING.
    await expect(
      pay(
        w.deps,
        a,
        w.ctx('corr-a', {
          faults: parseFaults({ 'x-fault-inject': 'payment=crash-after-charge' }, true),
        }),
      ),
    ).rejects.toBeInstanceOf(InjectedCrashError);
    w.advance(LEASE_MS + SECOND);

    const b = paymentFor(orderId, userId);
    await expect(pay(w.deps, b, w.ctx('corr-b'))).rejects.toMatchObject({
      code: 'ORDER_PAYMENT_IN_PROGRESS',
    });
    // The void found A's charge: nothing of B's was charged, A keeps the order.
    expect(await ledgerOutcomes([a.transactionId, b.transactionId])).toEqual(['succeeded', 'none']);
    expect(await tables.charge(a.transactionId)).toMatchObject({ state: 'SUCCEEDED' });
    // The reconciler finishes A: the order is PAID by A.
    await w.reconciler.runOnce({ graceMs: LEASE_MS, limit: 1000 });
    await w.relayOrderEvent(a.transactionId);
    expect(await w.order(orderId)).toMatchObject({ status: 'PAID', paidBy: a.transactionId });
  });

  it("charges once when A's call is still in flight as B takes over: A's late charge is refused at the gateway", async () => {
    const w = world();
    const { orderId, userId, a, aAtGateway, aFirst } = await holderInFlight(w);

    // A's call hangs past its lease; the reconciler has not run; B pays.
    w.advance(LEASE_MS + SECOND);
    const b = paymentFor(orderId, userId);
    const bPaid = await pay(w.deps, b, w.ctx('corr-b'));
    expect(bPaid.body).toMatchObject({ status: 'SUCCEEDED' });

    // Then A's call lands at the gateway: its key was voided first.
    aAtGateway.open();
    const aAnswer = await aFirst;
    await expectReplacedByB(w, orderId, a, b, aAnswer);
  });

  it('never calls a charge "never charged" while its call may still land: the reconciler voids it first', async () => {
    const w = world();
    const { orderId, userId, a, aAtGateway, aFirst } = await holderInFlight(w);

    w.advance(LEASE_MS + SECOND);
    const run = await w.reconciler.runOnce({ graceMs: LEASE_MS, limit: 1000 });
    expect(run.finalized).toBeGreaterThanOrEqual(1);
    await w.relayOrderEvent(a.transactionId);
    aAtGateway.open();
    await expect(aFirst).resolves.toMatchObject({
      body: { status: 'FAILED', failureReason: 'voided' },
    });
    expect(await ledgerOutcomes([a.transactionId])).toEqual(['voided']);
    // A still held the order: its voided result frees it for the next payer.
    const order = await w.order(orderId);
    expect(order?.paymentHolder).toBeUndefined();
    const b = paymentFor(orderId, userId);
    await expect(pay(w.deps, b, w.ctx('corr-b'))).resolves.toMatchObject({
      body: { status: 'SUCCEEDED' },
    });
  });

  it('at most one of several payments racing a stale hold and its holder retry charges (5 rounds)', async () => {
    for (let round = 0; round < 5; round++) {
      const w = world();
      const { orderId, userId } = await newOrder(w);
      const a = await holderWhoseChargeWasLost(w, orderId, userId);
      const others = [paymentFor(orderId, userId), paymentFor(orderId, userId)];
      await Promise.allSettled([
        pay(w.deps, a, w.ctx('corr-a-retry')),
        ...others.map((p, i) => pay(w.deps, p, w.ctx(`corr-other-${i}`))),
      ]);
      const outcomes = await ledgerOutcomes([a, ...others].map((p) => p.transactionId));
      expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
      expect(w.dead).toEqual([]);
    }
  });
});

describe('Nothing freezes an order, against DynamoDB Local', () => {
  it('refuses an old transactionId sent with another order before that order is asked: the order stays free', async () => {
    const w = world();
    const x = await newOrder(w);
    const t = paymentFor(x.orderId, x.userId);
    await pay(w.deps, t, w.ctx('corr-t'));
    expect(await w.order(x.orderId)).toMatchObject({ status: 'PAID', paidBy: t.transactionId });

    // A stranger reuses t's public id with order Y's public details (no idempotency record left).
    const y = await newOrder(w);
    const holdsBefore = w.orders.holds.length;
    await expect(
      pay(w.deps, { ...t, orderId: y.orderId, userId: y.userId }, w.ctx('corr-stranger')),
    ).rejects.toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(w.orders.holds.length).toBe(holdsBefore);
    expect((await w.order(y.orderId))?.paymentHolder).toBeUndefined();
    await expect(
      pay(w.deps, paymentFor(y.orderId, y.userId), w.ctx('corr-owner')),
    ).resolves.toMatchObject({ body: { status: 'SUCCEEDED' } });
  });

  it('answers a declined payment asked again from its record, without taking the freed order back', async () => {
    const w = world();
    const orderId = uniqueId('order-take');
    const userId = uniqueId('user-take');
    // An amount ending in 51 minor units is declined by the simulator.
    await w.createOrder(orderId, userId, 2551);
    const d = paymentFor(orderId, userId, 2551);
    await expect(pay(w.deps, d, w.ctx('corr-d'))).resolves.toMatchObject({
      body: { status: 'FAILED' },
    });
    expect(await w.order(d.orderId)).toMatchObject({ status: 'PAYMENT_FAILED' });
    const holds = w.orders.holds.length;

    // Its idempotency record is gone; the client asks again.
    await expect(pay(w.deps, d, w.ctx('corr-d-again'))).resolves.toMatchObject({
      body: { status: 'FAILED' },
    });
    expect(w.orders.holds.length).toBe(holds);
    expect((await w.order(d.orderId))?.paymentHolder).toBeUndefined();
  });

  it('cuts the gateway call when the caller gives up at the deadline: nothing is charged, and the reconciler voids the key', async () => {
    const w = world();
    const { orderId, userId } = await newOrder(w);
    const a = paymentFor(orderId, userId);
    const controller = new AbortController();
    const faults: Fault[] = [{ target: 'gateway', kind: 'delay', value: 60_000 }];
    const paying = pay(w.deps, a, w.ctx('corr-a', { faults, signal: controller.signal }));
    await expect.poll(() => w.askedGateway(a.transactionId)).toBe(1);
    controller.abort();
    await expect(paying).rejects.toMatchObject({ name: 'AbortError' });
    expect(await ledgerOutcomes([a.transactionId])).toEqual(['none']);

    w.advance(LEASE_MS + SECOND);
    await w.reconciler.runOnce({ graceMs: LEASE_MS, limit: 1000 });
    await w.relayOrderEvent(a.transactionId);
    expect(await ledgerOutcomes([a.transactionId])).toEqual(['voided']);
    expect((await w.order(orderId))?.paymentHolder).toBeUndefined();
  });
});
