import { describe, expect, it } from 'vitest';
import { MAX_EVENT_MARKERS } from '../../lib/order/event-markers.js';
import type { OrderRepository } from '../../lib/order/order-repository.js';
import {
  createOrder,
  getOrderHistory,
  type OrderServiceDeps,
  updateOrderStatus,
} from '../../lib/order/order-service.js';
import { holdForPayment, releaseHold } from '../../lib/order/payment-hold.js';
import { commandsOf } from '../support/dynamo-commands.js';
import { heldOrderHint } from '../support/order-hint.js';
import { orderStore, uid } from '../support/order-store.js';

// The order's history is written ahead on the order item and then copied to
// the history table (lib/order/order-history.ts). These are the windows
// between the two writes: a function that dies there must leave a history
// that GET .../history still shows complete, and that the next operation
// completes in the history table itself.

const { doc, repository, deps } = orderStore();

/** The same store, in a function that dies after its order write, before copying the row to the history table. */
const dying: OrderServiceDeps = {
  repository: new Proxy(repository, {
    get(target, property: keyof OrderRepository) {
      if (property === 'writeHistory') {
        return async () => {
          throw new Error('the function died before copying the row');
        };
      }
      const value = target[property];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }),
};

const ctx = (correlationId = 'corr-history') => ({ correlationId, caller: 'payment' });
const body = { userId: 'u-1', amountMinor: 1000, currency: 'USD' as const };

/** The seqs the history table itself holds for the order. */
async function tableSeqs(orderId: string) {
  return (await repository.history(orderId, { limit: 1000 })).entries.map((e) => e.seq);
}

/** The history as GET /orders/{orderId}/history shows it. */
async function shown(orderId: string) {
  return (await getOrderHistory(repository, orderId, { limit: 1000 })).entries;
}

describe('A function that dies between the order write and the history copy (DynamoDB Local)', () => {
  it('a create: the history shows its row from the order, and the next create copies it', async () => {
    const orderId = uid('o-crash-create');
    await expect(createOrder(dying, { orderId, ...body }, ctx('corr-first'))).rejects.toThrow(
      'died',
    );
    expect(await tableSeqs(orderId)).toEqual([]);
    expect(await shown(orderId)).toEqual([
      expect.objectContaining({ seq: 1, operation: 'create', correlationId: 'corr-first' }),
    ]);

    const again = await createOrder(deps, { orderId, ...body }, ctx('corr-retry'));

    expect(again.created).toBe(false);
    expect(await tableSeqs(orderId)).toEqual([1, 2]);
    expect((await shown(orderId)).map((e) => [e.seq, e.correlationId, e.outcome])).toEqual([
      [1, 'corr-first', 'applied'],
      [2, 'corr-retry', 'unchanged'],
    ]);
    expect((await repository.get(orderId))?.log).not.toHaveProperty('1');
  });

  it('a one-write hold: the holder asking again copies it and says so, and its result drops it from the order', async () => {
    const orderId = uid('o-crash-hold');
    await createOrder(deps, { orderId, ...body }, ctx());
    const hold = { orderId, transactionId: 'tx-1', ...body };
    await expect(holdForPayment(dying, hold, ctx())).rejects.toThrow('died');
    expect(await tableSeqs(orderId)).toEqual([1]);
    expect((await shown(orderId)).map((e) => [e.seq, e.operation])).toEqual([
      [1, 'create'],
      [2, 'payment-hold'],
    ]);

    const again = await holdForPayment(deps, hold, ctx());
    expect(again).toMatchObject({ acquired: false, heldAt: expect.any(String) });
    expect(await tableSeqs(orderId)).toEqual([1, 2]);

    const paid = await updateOrderStatus(
      deps,
      {
        orderId,
        status: 'PAID',
        eventId: uid('e'),
        transactionId: 'tx-1',
        heldOrder: heldOrderHint(again),
      },
      ctx(),
    );
    expect(paid).toMatchObject({ changed: true, seq: 3 });
    expect(await tableSeqs(orderId)).toEqual([1, 2, 3]);
    expect(await repository.get(orderId)).not.toHaveProperty('pendingHold');
  });

  it('a result applied without a read: the order is PAID, its history says so, and the redelivery copies the row', async () => {
    const orderId = uid('o-crash-paid');
    await createOrder(deps, { orderId, ...body }, ctx());
    const held = await holdForPayment(deps, { orderId, transactionId: 'tx-1', ...body }, ctx());
    const event = {
      orderId,
      status: 'PAID' as const,
      eventId: uid('e'),
      transactionId: 'tx-1',
      heldOrder: heldOrderHint(held),
    };
    await expect(updateOrderStatus(dying, event, ctx())).rejects.toThrow('died');
    expect(await repository.get(orderId)).toMatchObject({ status: 'PAID', version: 2 });
    expect(await tableSeqs(orderId)).toEqual([1, 2]);
    expect((await shown(orderId)).at(-1)).toMatchObject({
      seq: 3,
      outcome: 'applied',
      newStatus: 'PAID',
      eventId: event.eventId,
    });

    const replay = await updateOrderStatus(deps, event, ctx());

    expect(replay).toMatchObject({ changed: false, duplicateEvent: true, originalSeq: 3 });
    expect(await tableSeqs(orderId)).toEqual([1, 2, 3, 4]);
    expect(await repository.get(orderId)).toMatchObject({ status: 'PAID', version: 2 });
  });

  it('an operation decided after a read (a release): asking again copies its row', async () => {
    const orderId = uid('o-crash-release');
    await createOrder(deps, { orderId, ...body }, ctx());
    await holdForPayment(deps, { orderId, transactionId: 'tx-1', ...body }, ctx());
    await expect(releaseHold(dying, { orderId, transactionId: 'tx-1' }, ctx())).rejects.toThrow(
      'died',
    );
    expect(await tableSeqs(orderId)).toEqual([1, 2]);
    expect((await shown(orderId)).at(-1)).toMatchObject({ seq: 3, operation: 'payment-release' });

    const again = await releaseHold(deps, { orderId, transactionId: 'tx-1' }, ctx());

    expect(again.released).toBe(false);
    expect(await tableSeqs(orderId)).toEqual([1, 2, 3]);
  });

  it('pages a history whose newest rows wait on the order: every entry once, in order', async () => {
    const orderId = uid('o-crash-pages');
    await createOrder(deps, { orderId, ...body }, ctx());
    for (let i = 0; i < 3; i++) await createOrder(deps, { orderId, ...body }, ctx());
    await expect(
      holdForPayment(dying, { orderId, transactionId: 'tx-1', ...body }, ctx()),
    ).rejects.toThrow('died');
    const seen: number[] = [];
    let afterSeq: number | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await getOrderHistory(repository, orderId, { limit: 2, afterSeq });
      seen.push(...page.entries.map((e) => e.seq));
      afterSeq = page.lastSeq;
      if (afterSeq === undefined) break;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('What the order item keeps (DynamoDB Local)', () => {
  it('keeps at most two rows in its log through decline after decline taken without a read', async () => {
    const orderId = uid('o-declines');
    await createOrder(deps, { orderId, ...body }, ctx());
    for (let i = 0; i < 4; i++) {
      const held = await holdForPayment(
        deps,
        { orderId, transactionId: `tx-${i}`, ...body },
        ctx(),
      );
      await updateOrderStatus(
        deps,
        {
          orderId,
          status: 'PAYMENT_FAILED',
          eventId: uid('e'),
          transactionId: `tx-${i}`,
          heldOrder: heldOrderHint(held),
        },
        ctx(),
      );
      const order = await repository.get(orderId);
      expect(Object.keys(order?.log ?? {}).length).toBeLessThanOrEqual(2);
    }
    const history = await shown(orderId);
    expect(history.map((e) => e.seq)).toEqual(history.map((_e, i) => i + 1));
    expect(await tableSeqs(orderId)).toEqual(history.map((e) => e.seq));
    expect(history.filter((e) => e.outcome === 'applied' && e.operation === 'status')).toHaveLength(
      4,
    );
  });

  it(`answers an event as before after ${MAX_EVENT_MARKERS} newer ones, and then decides results after a read`, async () => {
    const orderId = uid('o-markers');
    await createOrder(deps, { orderId, ...body }, ctx());
    const events: string[] = [];
    for (let i = 0; i <= MAX_EVENT_MARKERS; i++) {
      const held = await holdForPayment(
        deps,
        { orderId, transactionId: `tx-${i}`, ...body },
        ctx(),
      );
      const eventId = uid(`e-${i}`);
      events.push(eventId);
      await updateOrderStatus(
        deps,
        {
          orderId,
          status: 'PAYMENT_FAILED',
          eventId,
          transactionId: `tx-${i}`,
          heldOrder: heldOrderHint(held),
        },
        ctx(),
      );
    }
    const order = await repository.get(orderId);
    expect(Object.keys(order?.events ?? {})).toHaveLength(MAX_EVENT_MARKERS);
    expect(order?.olderEvents).toBe(true);

    // The first decline, redelivered: its marker is no longer on the order.
    const replay = await updateOrderStatus(
      deps,
      { orderId, status: 'PAYMENT_FAILED', eventId: events[0], transactionId: 'tx-0' },
      ctx(),
    );
    expect(replay).toMatchObject({ changed: false, duplicateEvent: true });

    // A new payment's result: the order can no longer prove in its condition
    // that the eventId is new, so it is read and decided.
    const held = await holdForPayment(deps, { orderId, transactionId: 'tx-new', ...body }, ctx());
    const commands = await commandsOf(doc, () =>
      updateOrderStatus(
        deps,
        {
          orderId,
          status: 'PAID',
          eventId: uid('e-new'),
          transactionId: 'tx-new',
          heldOrder: heldOrderHint(held),
        },
        ctx(),
      ),
    );
    expect(commands).toContain('GetItemCommand');
    expect(await repository.get(orderId)).toMatchObject({ status: 'PAID', paidBy: 'tx-new' });
  });
});
