import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { backfillOrders, eventsOf } from '../../lib/order/order-backfill.js';
import { createOrder, getOrderHistory, updateOrderStatus } from '../../lib/order/order-service.js';
import { holdForPayment } from '../../lib/order/payment-hold.js';
import { orderStore, uid } from '../support/order-store.js';

// Orders as the previous order code left them (history rows only in the
// history table, a marker item per eventId, a one-write hold's row only on
// the order), moved onto today's shape by the backfill, on DynamoDB Local.
// The table is shared with other tests: assertions are about these orders.

const { doc, ordersTable, auditTable, repository, deps } = orderStore();
const ctx = { correlationId: 'corr-backfill', caller: 'payment' };
const body = { userId: 'u-1', amountMinor: 1000, currency: 'USD' as const };

const orderItem = async (orderId: string) =>
  (
    await doc.send(
      new GetCommand({ TableName: ordersTable, Key: { orderId }, ConsistentRead: true }),
    )
  ).Item;
const row = async (orderId: string, seq: number) =>
  (
    await doc.send(
      new GetCommand({ TableName: auditTable, Key: { orderId, seq }, ConsistentRead: true }),
    )
  ).Item;

/** Today's order, then turned into the previous code's shape. */
async function oldPaidOrder() {
  const orderId = uid('o-old-paid');
  const eventId = uid('e');
  await createOrder(deps, { orderId, ...body }, ctx);
  await holdForPayment(deps, { orderId, transactionId: 'tx-1', ...body }, ctx);
  const paid = await updateOrderStatus(
    deps,
    { orderId, status: 'PAID', eventId, transactionId: 'tx-1' },
    ctx,
  );
  expect(paid).toMatchObject({ changed: true, seq: 3 });
  await doc.send(
    new UpdateCommand({
      TableName: ordersTable,
      Key: { orderId },
      UpdateExpression: 'REMOVE #log, events, olderEvents, holdSeq, pendingHold',
      ExpressionAttributeNames: { '#log': 'log' },
    }),
  );
  await doc.send(
    new UpdateCommand({
      TableName: auditTable,
      Key: { orderId, seq: 3 },
      UpdateExpression: 'REMOVE eventMarker',
    }),
  );
  await doc.send(
    new PutCommand({
      TableName: ordersTable,
      Item: {
        orderId: `EVENT#${orderId}#${eventId}`,
        targetOrderId: orderId,
        eventId,
        seq: 3,
        outcome: 'applied',
        requestedStatus: 'PAID',
        at: new Date().toISOString(),
      },
    }),
  );
  return { orderId, eventId };
}

/** An order held in one write whose row the previous code never copied. */
async function oldHeldOrder() {
  const orderId = uid('o-old-held');
  await createOrder(deps, { orderId, ...body }, ctx);
  await holdForPayment(deps, { orderId, transactionId: 'tx-1', ...body }, ctx);
  const held = await orderItem(orderId);
  expect(held).toMatchObject({ holdSeq: 2, pendingHold: expect.any(Object) });
  await doc.send(
    new UpdateCommand({
      TableName: ordersTable,
      Key: { orderId },
      UpdateExpression: 'REMOVE #log, events',
      ExpressionAttributeNames: { '#log': 'log' },
    }),
  );
  await doc.send(new DeleteCommand({ TableName: auditTable, Key: { orderId, seq: 2 } }));
  return { orderId };
}

describe('Function: backfillOrders (DynamoDB Local)', () => {
  it('moves old orders onto the history written ahead: markers folded into the order and flagged on their rows, a hold row copied; a second run finds nothing', async () => {
    const paid = await oldPaidOrder();
    const held = await oldHeldOrder();

    const dry = await backfillOrders({ doc, ordersTable, auditTable, dryRun: true });
    expect(dry.orders).toBeGreaterThanOrEqual(2);
    expect(dry.markers).toBeGreaterThanOrEqual(1);
    expect(dry.holdRows).toBeGreaterThanOrEqual(1);
    expect(await orderItem(paid.orderId)).not.toHaveProperty('log');

    await backfillOrders({ doc, ordersTable, auditTable, segments: 3 });

    expect(await orderItem(paid.orderId)).toMatchObject({
      log: {},
      events: { [paid.eventId]: 3 },
    });
    expect(await orderItem(`EVENT#${paid.orderId}#${paid.eventId}`)).toBeUndefined();
    expect(await row(paid.orderId, 3)).toMatchObject({ eventMarker: true });
    expect(await row(held.orderId, 2)).toMatchObject({
      operation: 'payment-hold',
      previousStatus: 'PENDING',
      newStatus: 'PENDING',
    });

    // The old event, delivered again, is the duplicate it is; the held order takes writes again.
    const again = await updateOrderStatus(
      deps,
      { orderId: paid.orderId, status: 'PAID', eventId: paid.eventId, transactionId: 'tx-1' },
      ctx,
    );
    expect(again).toMatchObject({ changed: false, duplicateEvent: true, originalSeq: 3 });
    const result = await updateOrderStatus(
      deps,
      { orderId: held.orderId, status: 'PAID', eventId: uid('e'), transactionId: 'tx-1' },
      ctx,
    );
    expect(result).toMatchObject({ changed: true, seq: 3 });
    expect(
      (await getOrderHistory(repository, held.orderId, { limit: 10 })).entries.map((e) => e.seq),
    ).toEqual([1, 2, 3]);

    const before = await orderItem(paid.orderId);
    const second = await backfillOrders({ doc, ordersTable, auditTable });
    expect(await orderItem(paid.orderId)).toEqual(before);
    expect(second.moved).toBe(0);
  });

  it('folds a marker left beside an order already moved: its row flagged, the order told to look in its history', async () => {
    const paid = await oldPaidOrder();
    // The order moved, but the run stopped before its marker went.
    await doc.send(
      new UpdateCommand({
        TableName: ordersTable,
        Key: { orderId: paid.orderId },
        UpdateExpression: 'SET #log = :empty',
        ExpressionAttributeNames: { '#log': 'log' },
        ExpressionAttributeValues: { ':empty': {} },
      }),
    );
    await backfillOrders({ doc, ordersTable, auditTable });
    expect(await orderItem(`EVENT#${paid.orderId}#${paid.eventId}`)).toBeUndefined();
    expect(await orderItem(paid.orderId)).toMatchObject({ olderEvents: true });
    expect(await row(paid.orderId, 3)).toMatchObject({ eventMarker: true });
    const again = await updateOrderStatus(
      deps,
      { orderId: paid.orderId, status: 'PAID', eventId: paid.eventId, transactionId: 'tx-1' },
      ctx,
    );
    expect(again).toMatchObject({ changed: false, duplicateEvent: true, originalSeq: 3 });
  });

  it('keeps the newest markers on the order and sends older lookups to the history', () => {
    const markers = [1, 2, 3, 4, 5, 6].map((seq) => ({
      key: `EVENT#o#e${seq}`,
      orderId: 'o',
      eventId: `e${seq}`,
      seq,
    }));
    expect(eventsOf(markers)).toEqual({
      events: { e6: 6, e5: 5, e4: 4, e3: 3 },
      olderEvents: true,
    });
    expect(eventsOf(markers.slice(0, 2))).toEqual({ events: { e2: 2, e1: 1 }, olderEvents: false });
  });
});
