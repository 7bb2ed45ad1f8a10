import { afterAll, describe, expect, it } from 'vitest';
import { DynamoOrderRepository } from '../../lib/order/order-repository.js';
import { createOrder, getOrderHistory, updateOrderStatus } from '../../lib/order/order-service.js';
import { holdForPayment, releaseHold } from '../../lib/order/payment-hold.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { isAppError } from '../../lib/shared/errors.js';
import { commandsOf } from '../support/dynamo-commands.js';
import { heldOrderHint } from '../support/order-hint.js';

const { client, doc } = dynamoFromEnv();
afterAll(() => client.destroy());

const repository = new DynamoOrderRepository({
  doc,
  ordersTable: process.env.ORDERS_TABLE ?? '',
  auditTable: process.env.ORDER_AUDIT_TABLE ?? '',
});
const deps = { repository };
const ctx = (n = 0) => ({
  correlationId: `corr-it-${n.toString().padStart(4, '0')}`,
  caller: 'payment',
});
const uid = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

const orderBody = { userId: 'u-1', amountMinor: 1000, currency: 'USD' as const };

/** A new PENDING order, held by `holder` (step 1b) unless it is null. */
async function newOrder(holder: string | null = 'tx-1') {
  const orderId = uid('o');
  await createOrder(deps, { orderId, ...orderBody }, ctx());
  if (holder) await holdForPayment(deps, { orderId, transactionId: holder, ...orderBody }, ctx());
  return orderId;
}

/** The whole history of an order (it fits one page in these tests), as GET .../history shows it. */
async function historyOf(orderId: string) {
  return (await getOrderHistory(repository, orderId, { limit: 1000 })).entries;
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (isAppError(error)) return error.status;
    throw error;
  }
}

describe('Order use cases on DynamoDB Local', () => {
  it('applies one change when 20 identical status updates arrive at once, recording the rest as unchanged', async () => {
    const orderId = await newOrder();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        updateOrderStatus(deps, { orderId, status: 'PAID', transactionId: 'tx-1' }, ctx(i)),
      ),
    );
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(results.filter((r) => !r.changed)).toHaveLength(19);
    expect(await repository.get(orderId)).toMatchObject({
      status: 'PAID',
      version: 2,
      auditSeq: 22,
    });
    const history = await historyOf(orderId);
    expect(history.map((h) => h.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(history.filter((h) => h.outcome === 'applied' && h.operation === 'status')).toHaveLength(
      1,
    );
    expect(history.filter((h) => h.outcome === 'unchanged')).toHaveLength(19);
  });

  it('has one effect when the same eventId is delivered 10 times at once', async () => {
    const orderId = await newOrder();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        updateOrderStatus(
          deps,
          { orderId, status: 'PAID', eventId: 'evt-1', transactionId: 'tx-1' },
          ctx(i),
        ),
      ),
    );
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(results.filter((r) => r.duplicateEvent)).toHaveLength(9);
    expect((await repository.get(orderId))?.version).toBe(2);
  });

  it('creates the order once when the same create arrives 10 times at once', async () => {
    const orderId = uid('o');
    const body = { orderId, userId: 'u-1', amountMinor: 500, currency: 'EUR' as const };
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => createOrder(deps, body, ctx(i))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const history = await historyOf(orderId);
    expect(history.map((h) => h.outcome).sort()).toEqual(
      ['applied', ...Array(9).fill('unchanged')].sort(),
    );
  });

  it('keeps a complete, gap-free, ordered history after a burst of mixed operations', async () => {
    const orderId = await newOrder();
    const operations = [
      ...Array.from({ length: 6 }, (_, i) =>
        updateOrderStatus(
          deps,
          { orderId, status: 'PAID', eventId: `pay-${i % 2}`, transactionId: 'tx-1' },
          ctx(i),
        ),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        updateOrderStatus(deps, { orderId, status: 'PENDING' }, ctx(10 + i)),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        updateOrderStatus(deps, { orderId, status: 'SHIPPED' }, ctx(20 + i)),
      ),
      ...Array.from({ length: 3 }, (_, i) =>
        createOrder(
          deps,
          { orderId, userId: 'u-1', amountMinor: 1000, currency: 'USD' },
          ctx(30 + i),
        ),
      ),
    ];
    const statuses = await Promise.all(operations.map(statusOf));
    const history = await historyOf(orderId);
    // Every call is in the trail exactly once (+2: the original create and the hold), numbered 1..n with no gaps.
    expect(history).toHaveLength(operations.length + 2);
    expect(history.map((h) => h.seq)).toEqual(
      Array.from({ length: history.length }, (_, i) => i + 1),
    );
    const recorded = new Set(history.map((h) => h.correlationId));
    for (const n of [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32]) {
      expect(recorded).toContain(ctx(n).correlationId);
    }
    // The status walked forward only, and each applied record starts where the previous one ended.
    const applied = history.filter((h) => h.outcome === 'applied' && h.operation === 'status');
    let status = 'PENDING';
    for (const entry of applied) {
      expect(entry.previousStatus).toBe(status);
      status = entry.newStatus ?? status;
    }
    const order = await repository.get(orderId);
    expect(order?.status).toBe(status);
    expect(order?.version).toBe(applied.length + 1);
    expect(history.filter((h) => h.outcome === 'rejected')).toHaveLength(
      statuses.filter((s) => s === 409).length,
    );
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
  });

  it('rejects PENDING after PAID with a 409 that leaves the order as it was', async () => {
    const orderId = await newOrder();
    await updateOrderStatus(deps, { orderId, status: 'PAID', transactionId: 'tx-1' }, ctx());
    const before = await repository.get(orderId);
    expect(
      await statusOf(
        updateOrderStatus(deps, { orderId, status: 'PENDING', eventId: 'late' }, ctx()),
      ),
    ).toBe(409);
    const after = await repository.get(orderId);
    expect({ status: after?.status, version: after?.version, updatedAt: after?.updatedAt }).toEqual(
      {
        status: before?.status,
        version: before?.version,
        updatedAt: before?.updatedAt,
      },
    );
    expect((await historyOf(orderId)).at(-1)).toMatchObject({
      outcome: 'rejected',
      requestedStatus: 'PENDING',
    });
  });

  it('is a 404 for an unknown order and writes no audit record', async () => {
    const orderId = uid('missing');
    expect(await statusOf(updateOrderStatus(deps, { orderId, status: 'PAID' }, ctx()))).toBe(404);
    expect((await repository.history(orderId, { limit: 10 })).entries).toEqual([]);
  });

  it('lets exactly one of 10 transactionIds racing for one order hold it; the rest are told to wait', async () => {
    const orderId = await newOrder(null);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        holdForPayment(deps, { orderId, transactionId: `race-${i}`, ...orderBody }, ctx(i)).then(
          (r) => r.acquired,
          (error) => (isAppError(error) ? error.code : String(error)),
        ),
      ),
    );
    expect(results.filter((r) => r === true)).toHaveLength(1);
    expect(results.filter((r) => r === 'ORDER_PAYMENT_IN_PROGRESS')).toHaveLength(9);
    const holds = (await historyOf(orderId)).filter((h) => h.operation === 'payment-hold');
    expect(holds).toHaveLength(1);
    expect((await repository.get(orderId))?.paymentHolder).toBe(holds[0]?.transactionId);
  });

  it('keeps the hold through release by anyone but the holder, and frees it for the holder', async () => {
    const orderId = await newOrder('tx-a');
    expect((await releaseHold(deps, { orderId, transactionId: 'tx-b' }, ctx())).released).toBe(
      false,
    );
    expect((await repository.get(orderId))?.paymentHolder).toBe('tx-a');
    expect((await releaseHold(deps, { orderId, transactionId: 'tx-a' }, ctx())).released).toBe(
      true,
    );
    const order = await repository.get(orderId);
    expect(order?.paymentHolder).toBeUndefined();
    expect(order?.holdUntil).toBeUndefined();
  });

  it('counts 20 conflicting creates on the order without one history row each', async () => {
    const orderId = await newOrder(null);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        statusOf(createOrder(deps, { orderId, ...orderBody, amountMinor: 2000 + i }, ctx(i))),
      ),
    );
    expect(statuses.every((s) => s === 409)).toBe(true);
    const page = await getOrderHistory(repository, orderId, { limit: 100 });
    expect(page.entries).toHaveLength(1);
    expect(page.refusedCreates).toBe(20);
  });

  it('pages the history in seq order with a cursor, every entry once', async () => {
    const orderId = await newOrder();
    for (let i = 0; i < 3; i++) await createOrder(deps, { orderId, ...orderBody }, ctx(i));
    const seen: number[] = [];
    let afterSeq: number | undefined;
    let pages = 0;
    do {
      const page = await getOrderHistory(repository, orderId, { limit: 2, afterSeq });
      seen.push(...page.entries.map((e) => e.seq));
      afterSeq = page.lastSeq;
      pages++;
    } while (afterSeq !== undefined && pages < 10);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(pages).toBe(3);
  });
});

describe("A payment's result with the order as its hold left it (heldOrder)", () => {
  /** A held order and the hint its hold answered with. */
  async function held(transactionId: string) {
    const orderId = uid('o');
    await createOrder(deps, { orderId, ...orderBody }, ctx());
    const held = await holdForPayment(deps, { orderId, transactionId, ...orderBody }, ctx());
    return { orderId, heldOrder: heldOrderHint(held) };
  }

  it('applies PAID in one write of the order, without reading it, when nothing happened since the hold', async () => {
    const { orderId, heldOrder } = await held('tx-fast');
    let result: Awaited<ReturnType<typeof updateOrderStatus>> | undefined;
    const commands = await commandsOf(doc, async () => {
      result = await updateOrderStatus(
        deps,
        { orderId, status: 'PAID', eventId: uid('e'), transactionId: 'tx-fast', heldOrder },
        ctx(),
      );
    });

    expect(heldOrder.heldAt).toBeDefined();
    // The order's write (the result, its row written ahead, the hold's row dropped), then its row's copy.
    expect(commands).toEqual(['UpdateItemCommand', 'PutItemCommand']);
    expect(result).toMatchObject({ changed: true, outcome: 'applied', previousStatus: 'PENDING' });
    // The hold's row went to the history table before the hold answered; the result's row after its write.
    const rows = (await repository.history(orderId, { limit: 10 })).entries;
    expect(rows.map((r) => [r.seq, r.operation])).toEqual([
      [1, 'create'],
      [2, 'payment-hold'],
      [3, 'status'],
    ]);
    expect(rows[1]).toMatchObject({
      transactionId: 'tx-fast',
      at: heldOrder.heldAt,
      correlationId: ctx().correlationId,
      previousStatus: 'PENDING',
      version: 1,
    });
    const stored = await repository.get(orderId);
    expect(stored).toMatchObject({ status: 'PAID', paidBy: 'tx-fast', version: 2 });
    expect(stored?.paymentHolder).toBeUndefined();
    expect(result?.order).toEqual(stored);
    const last = (await historyOf(orderId)).at(-1);
    expect(last).toMatchObject({
      operation: 'status',
      outcome: 'applied',
      previousStatus: 'PENDING',
      newStatus: 'PAID',
      seq: heldOrder.seq + 1,
      version: 2,
    });
  });

  it('reads the order and decides as usual when something happened since the hold', async () => {
    const { orderId, heldOrder } = await held('tx-stale');
    // A refused cancel lands in the history: the hint's seq is stale now.
    await expect(
      updateOrderStatus(deps, { orderId, status: 'CANCELLED' }, ctx()),
    ).rejects.toMatchObject({ code: 'ORDER_PAYMENT_IN_PROGRESS' });

    const commands = await commandsOf(doc, () =>
      updateOrderStatus(
        deps,
        { orderId, status: 'PAID', eventId: uid('e'), transactionId: 'tx-stale', heldOrder },
        ctx(),
      ),
    );

    // The refused write, the read, the check that the history table has the
    // rows the order still keeps, the write, and its row's copy.
    expect(commands).toEqual([
      'UpdateItemCommand',
      'GetItemCommand',
      'QueryCommand',
      'UpdateItemCommand',
      'PutItemCommand',
    ]);
    expect(await repository.get(orderId)).toMatchObject({ status: 'PAID', paidBy: 'tx-stale' });
    const seqs = (await historyOf(orderId)).map((h) => h.seq);
    expect(seqs).toEqual(seqs.map((_s, i) => i + 1));
  });

  it('gives nothing to a hint that lies: a transactionId that does not hold the order is refused', async () => {
    const { orderId, heldOrder } = await held('tx-holder');

    await expect(
      updateOrderStatus(
        deps,
        { orderId, status: 'PAID', eventId: uid('e'), transactionId: 'tx-other', heldOrder },
        ctx(),
      ),
    ).rejects.toMatchObject({ code: 'NOT_PAYMENT_HOLDER' });
    await expect(
      updateOrderStatus(
        deps,
        {
          orderId,
          status: 'PAID',
          eventId: uid('e'),
          transactionId: 'tx-holder',
          heldOrder: { ...heldOrder, status: 'PAYMENT_FAILED', version: heldOrder.version + 5 },
        },
        ctx(),
      ),
    ).resolves.toMatchObject({ changed: true, previousStatus: 'PENDING' });
    expect(await repository.get(orderId)).toMatchObject({ status: 'PAID', version: 2 });
  });

  it('answers a redelivered event as a duplicate, with one effect', async () => {
    const { orderId, heldOrder } = await held('tx-dup');
    const input = {
      orderId,
      status: 'PAID' as const,
      eventId: uid('e'),
      transactionId: 'tx-dup',
      heldOrder,
    };
    await updateOrderStatus(deps, input, ctx());

    const again = await updateOrderStatus(deps, input, ctx());

    expect(again).toMatchObject({ changed: false, duplicateEvent: true });
    expect(await repository.get(orderId)).toMatchObject({ status: 'PAID', version: 2 });
  });
});
