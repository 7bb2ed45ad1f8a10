import { describe, expect, it } from 'vitest';
import { MAX_EVENT_MARKERS } from '../../lib/order/event-markers.js';
import type {
  CommitResult,
  FreeHold,
  HistoryPage,
  HistoryPageRequest,
  OrderCommit,
  OrderRepository,
} from '../../lib/order/order-repository.js';
import { createOrder, getOrderHistory, updateOrderStatus } from '../../lib/order/order-service.js';
import { holdForPayment, releaseHold } from '../../lib/order/payment-hold.js';
import type { AuditEntry, Order } from '../../lib/order/types.js';
import { isAppError } from '../../lib/shared/errors.js';
import { CONFLICT, retryOnConflict } from '../../lib/shared/retry-on-conflict.js';

/** A stored copy, as DynamoDB keeps it (undefined attributes dropped). */
const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** An in-memory OrderRepository with the same conditional semantics as the DynamoDB one. */
class FakeOrderRepository implements OrderRepository {
  orders = new Map<string, Order>();
  /** The history table. */
  audit: AuditEntry[] = [];
  /** Number of upcoming commits to fail as if another writer got there first. */
  conflicts = 0;
  /** While true, copies to the history table fail (the function dies between its two writes). */
  historyDown = false;

  async get(orderId: string) {
    const order = this.orders.get(orderId);
    return order && stored(order);
  }
  async create(order: Order): Promise<CommitResult> {
    if (this.orders.has(order.orderId)) return 'conflict';
    this.orders.set(order.orderId, stored(order));
    return 'committed';
  }
  async commit(commit: OrderCommit): Promise<Order | 'conflict'> {
    const order = this.orders.get(commit.orderId);
    if (this.conflicts > 0) {
      this.conflicts--;
      return 'conflict';
    }
    if (!order || order.auditSeq !== commit.expectedSeq) return 'conflict';
    if (commit.marker && order.events?.[commit.marker.eventId] !== undefined) return 'conflict';
    const x = commit.expected;
    if (x) {
      const row = order.pendingHold;
      const held = x.heldRow
        ? order.holdSeq === x.heldRow.seq &&
          row?.at === x.heldRow.at &&
          row.correlationId === x.heldRow.correlationId &&
          row.caller === x.heldRow.caller &&
          row.transactionId === x.heldRow.transactionId
        : order.holdSeq === undefined;
      const room =
        x.markerRoom === undefined ||
        (!order.olderEvents && Object.keys(order.events ?? {}).length < x.markerRoom);
      if (
        order.status !== x.status ||
        order.version !== x.version ||
        order.paymentHolder !== x.paymentHolder ||
        !held ||
        !room
      ) {
        return 'conflict';
      }
    }
    const { orderId: _id, seq, ...row } = stored(commit.audit);
    const log = { ...order.log };
    for (const s of commit.settled?.log ?? []) delete log[s];
    log[seq] = row;
    Object.assign(order, stored(commit.set ?? {}), { auditSeq: seq, log });
    for (const key of commit.remove ?? []) delete order[key];
    if (commit.settled?.hold) {
      delete order.holdSeq;
      delete order.pendingHold;
    }
    if (commit.marker) {
      const events = { ...order.events, [commit.marker.eventId]: seq };
      for (const id of commit.marker.evict) delete events[id];
      order.events = events;
      if (commit.marker.evict.length > 0) order.olderEvents = true;
    }
    return stored(order);
  }
  async holdIfFree(hold: FreeHold): Promise<Order | undefined> {
    const order = this.orders.get(hold.orderId);
    const free =
      order &&
      order.userId === hold.userId &&
      order.amountMinor === hold.amountMinor &&
      order.currency === hold.currency &&
      hold.payableStatuses.includes(order.status) &&
      !order.paymentHolder &&
      order.holdSeq === undefined &&
      Object.keys(order.log ?? {}).length < hold.logRoom;
    if (!order || !free || this.conflicts > 0) return undefined;
    order.auditSeq += 1;
    Object.assign(order, {
      paymentHolder: hold.transactionId,
      holdUntil: hold.holdUntil,
      holdSeq: order.auditSeq,
      pendingHold: stored(hold.row),
    });
    return stored(order);
  }
  async countRefusedCreate(orderId: string) {
    const order = this.orders.get(orderId);
    if (order) order.refusedCreates = (order.refusedCreates ?? 0) + 1;
  }
  async writeHistory(rows: AuditEntry[]) {
    if (this.historyDown) throw new Error('the function died before the history write');
    for (const row of rows) {
      this.audit = this.audit.filter((a) => a.orderId !== row.orderId || a.seq !== row.seq);
      this.audit.push(stored(row));
    }
  }
  async historySeqs(orderId: string, from: number, to: number) {
    return new Set(
      this.audit
        .filter((a) => a.orderId === orderId && a.seq >= from && a.seq <= to)
        .map((a) => a.seq),
    );
  }
  async historyRow(orderId: string, seq: number) {
    return this.audit.find((a) => a.orderId === orderId && a.seq === seq);
  }
  async findEventMarker(orderId: string, eventId: string) {
    return this.audit
      .filter((a) => a.orderId === orderId && a.eventId === eventId && a.eventMarker)
      .sort((a, b) => a.seq - b.seq)[0];
  }
  async history(orderId: string, page: HistoryPageRequest = { limit: 100 }): Promise<HistoryPage> {
    const all = this.audit
      .filter((a) => a.orderId === orderId && a.seq > (page.afterSeq ?? 0))
      .sort((a, b) => a.seq - b.seq);
    const entries = all.slice(0, page.limit);
    const last = entries.at(-1);
    return { entries, ...(all.length > page.limit && last ? { lastSeq: last.seq } : {}) };
  }
  /** The seqs of the history table for `orderId`, in order. */
  seqs(orderId = 'o-1') {
    return this.audit
      .filter((a) => a.orderId === orderId)
      .map((a) => a.seq)
      .sort((a, b) => a - b);
  }
}

const ctx = { correlationId: 'corr-0001', caller: 'payment' };
const input = { orderId: 'o-1', userId: 'u-1', amountMinor: 12550, currency: 'USD' as const };

function setup() {
  const repository = new FakeOrderRepository();
  const written: string[] = [];
  const deps = {
    repository,
    now: () => new Date('2026-01-01T00:00:00.000Z'),
    sleep: async () => undefined,
    onWrite: (orderId: string) => written.push(orderId),
  };
  return { repository, deps, written };
}

/** tx-1 holds order o-1 for its payment (step 1b). */
function hold(deps: ReturnType<typeof setup>['deps'], transactionId = 'tx-1') {
  return holdForPayment(deps, { ...input, transactionId }, ctx);
}

/** Order o-1 created, held by tx-1, and PAID by its event e-1. */
async function createdHeldAndPaid(deps: ReturnType<typeof setup>['deps']) {
  await createOrder(deps, input, ctx);
  await hold(deps);
  await updateOrderStatus(
    deps,
    { orderId: 'o-1', status: 'PAID', eventId: 'e-1', transactionId: 'tx-1' },
    ctx,
  );
}

async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('Function: createOrder', () => {
  it('creates a PENDING order at version 1 with an applied audit record', async () => {
    const { repository, deps, written } = setup();
    const result = await createOrder(deps, input, ctx);
    expect(result).toMatchObject({ created: true, order: { status: 'PENDING', version: 1 } });
    expect(repository.audit).toEqual([
      expect.objectContaining({
        seq: 1,
        operation: 'create',
        outcome: 'applied',
        newStatus: 'PENDING',
        correlationId: 'corr-0001',
        caller: 'payment',
      }),
    ]);
    expect(written).toEqual(['o-1']);
  });

  it('returns the existing order when the same body arrives again, recorded as unchanged', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    const again = await createOrder(deps, input, ctx);
    expect(again).toMatchObject({ created: false, order: { status: 'PENDING', version: 1 } });
    expect(repository.audit.map((a) => [a.seq, a.outcome])).toEqual([
      [1, 'applied'],
      [2, 'unchanged'],
    ]);
  });

  it('refuses another body for the same orderId with 409 naming each differing field', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    const error = await rejection(
      createOrder(deps, { ...input, userId: 'u-2', amountMinor: 1 }, ctx),
    );
    expect(error.status).toBe(409);
    expect(error.code).toBe('ORDER_ALREADY_EXISTS');
    expect(error.details.map((d) => d.field)).toEqual(['userId', 'amount']);
    expect(repository.orders.get('o-1')).toMatchObject({
      userId: 'u-1',
      amountMinor: 12550,
      refusedCreates: 1,
    });
  });

  it('counts refused creates on the order instead of appending them to its history', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    for (let i = 0; i < 5; i++) {
      await rejection(createOrder(deps, { ...input, amountMinor: i + 1 }, ctx));
    }
    expect(repository.audit).toHaveLength(1);
    const history = await getOrderHistory(repository, 'o-1');
    expect(history).toMatchObject({ refusedCreates: 5 });
    expect(history.entries).toHaveLength(1);
  });
});

describe('Function: updateOrderStatus', () => {
  it('applies a legal transition, bumps the version and records it', async () => {
    const { repository, deps, written } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    const result = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAID', eventId: 'e-1', transactionId: 'tx-1' },
      ctx,
    );
    expect(result).toMatchObject({
      changed: true,
      outcome: 'applied',
      previousStatus: 'PENDING',
      duplicateEvent: false,
    });
    expect(result.order).toMatchObject({ status: 'PAID', version: 2 });
    expect(repository.audit.at(-1)).toMatchObject({
      seq: 3,
      outcome: 'applied',
      previousStatus: 'PENDING',
      newStatus: 'PAID',
      eventId: 'e-1',
      transactionId: 'tx-1',
      version: 2,
    });
    expect(result.order).toMatchObject({ paidBy: 'tx-1' });
    expect(result.order.paymentHolder).toBeUndefined();
    expect(written).toEqual(['o-1', 'o-1', 'o-1']);
  });

  it('answers the same status with changed: false and records it as unchanged', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID', transactionId: 'tx-1' }, ctx);
    const again = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAID', transactionId: 'tx-1' },
      ctx,
    );
    expect(again).toMatchObject({ changed: false, outcome: 'unchanged' });
    expect(again.order.version).toBe(2);
    expect(repository.audit.at(-1)).toMatchObject({
      outcome: 'unchanged',
      previousStatus: 'PAID',
      newStatus: 'PAID',
    });
  });

  it('answers a repeated eventId as a duplicate without a second effect', async () => {
    const { repository, deps } = setup();
    await createdHeldAndPaid(deps);
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'SHIPPED', eventId: 'e-2' }, ctx);
    const replay = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAID', eventId: 'e-1', transactionId: 'tx-1' },
      ctx,
    );
    expect(replay).toMatchObject({ changed: false, duplicateEvent: true, originalSeq: 3 });
    expect(repository.orders.get('o-1')).toMatchObject({ status: 'SHIPPED', version: 3 });
    expect(repository.audit.at(-1)).toMatchObject({
      outcome: 'unchanged',
      duplicateEvent: true,
      eventId: 'e-1',
    });
  });

  it('refuses an eventId reused for another status with 422, recorded as rejected', async () => {
    const { repository, deps } = setup();
    await createdHeldAndPaid(deps);
    const error = await rejection(
      updateOrderStatus(deps, { orderId: 'o-1', status: 'REFUNDED', eventId: 'e-1' }, ctx),
    );
    expect(error.status).toBe(422);
    expect(repository.orders.get('o-1')?.status).toBe('PAID');
    expect(repository.audit.at(-1)).toMatchObject({ outcome: 'rejected', duplicateEvent: true });
  });

  it('rejects a stale transition (PAID after REFUNDED) with 409, leaves the order and records it', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID', transactionId: 'tx-1' }, ctx);
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'REFUNDED' }, ctx);
    const before = { ...repository.orders.get('o-1') };
    const error = await rejection(
      updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID', eventId: 'late' }, ctx),
    );
    expect(error.status).toBe(409);
    expect(error.code).toBe('ILLEGAL_STATUS_TRANSITION');
    expect(error.details[0]).toMatchObject({ field: 'status', currentStatus: 'REFUNDED' });
    const after = repository.orders.get('o-1');
    expect({ status: after?.status, version: after?.version }).toEqual({
      status: before.status,
      version: before.version,
    });
    expect(repository.audit.at(-1)).toMatchObject({
      outcome: 'rejected',
      requestedStatus: 'PAID',
      previousStatus: 'REFUNDED',
      eventId: 'late',
    });
  });

  it('judges an early event again on redelivery, so it applies once it becomes legal', async () => {
    const { deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    await rejection(
      updateOrderStatus(deps, { orderId: 'o-1', status: 'SHIPPED', eventId: 'ship' }, ctx),
    );
    await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAID', eventId: 'pay', transactionId: 'tx-1' },
      ctx,
    );
    const result = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'SHIPPED', eventId: 'ship' },
      ctx,
    );
    expect(result).toMatchObject({ changed: true, duplicateEvent: false });
  });

  it('is a 404 for an unknown order, and writes nothing', async () => {
    const { repository, deps } = setup();
    const error = await rejection(
      updateOrderStatus(deps, { orderId: 'nope', status: 'PAID' }, ctx),
    );
    expect(error.status).toBe(404);
    expect(error.code).toBe('ORDER_NOT_FOUND');
    expect(repository.audit).toEqual([]);
  });

  it('re-reads and retries when another writer commits first', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    repository.conflicts = 3;
    const result = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAID', transactionId: 'tx-1' },
      ctx,
    );
    expect(result.changed).toBe(true);
    expect(repository.audit.map((a) => a.seq)).toEqual([1, 2, 3]);
  });

  it('gives up with a retryable 503 after maxAttempts conflicts', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    repository.conflicts = 100;
    const error = await rejection(
      updateOrderStatus(
        { ...deps, maxAttempts: 4 },
        { orderId: 'o-1', status: 'PAID', transactionId: 'tx-1' },
        ctx,
      ),
    );
    expect(error.status).toBe(503);
    expect(error.headers['Retry-After']).toBe('1');
    expect(repository.orders.get('o-1')?.status).toBe('PENDING');
  });
});

describe('Function: holdForPayment', () => {
  const at = (iso: string) => () => new Date(iso);

  it('lets a matching payment hold a PENDING order, recorded in the history', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    const result = await hold(deps);
    expect(result).toMatchObject({ acquired: true, order: { paymentHolder: 'tx-1' } });
    expect(repository.orders.get('o-1')).toMatchObject({
      paymentHolder: 'tx-1',
      holdUntil: '2026-01-01T00:01:00.000Z',
      status: 'PENDING',
      version: 1,
    });
    // One write of the order, its history row kept on it and copied to the history table.
    expect(repository.orders.get('o-1')).toMatchObject({ holdSeq: 2 });
    expect(repository.seqs()).toEqual([1, 2]);
    const { entries } = await getOrderHistory(repository, 'o-1');
    expect(entries.at(-1)).toMatchObject({
      seq: 2,
      operation: 'payment-hold',
      outcome: 'applied',
      transactionId: 'tx-1',
      previousStatus: 'PENDING',
      newStatus: 'PENDING',
      version: 1,
    });
  });

  it('drops the hold row from the order with the next operation, the history table holding every row in seq order', async () => {
    const { repository, deps } = setup();
    await createdHeldAndPaid(deps);
    expect(repository.audit.map((a) => [a.seq, a.operation])).toEqual([
      [1, 'create'],
      [2, 'payment-hold'],
      [3, 'status'],
    ]);
    expect(repository.orders.get('o-1')).not.toHaveProperty('pendingHold');
    expect((await getOrderHistory(repository, 'o-1')).entries).toHaveLength(3);
  });

  it('answers the holder again without a write', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    const before = stored(repository.orders.get('o-1'));
    const again = await hold(deps);
    expect(again.acquired).toBe(false);
    expect(repository.orders.get('o-1')).toEqual(before);
    expect(repository.seqs()).toEqual([1, 2]);
    expect((await getOrderHistory(repository, 'o-1')).entries).toHaveLength(2);
  });

  it('is a 404 for a missing order and writes nothing', async () => {
    const { repository, deps } = setup();
    const error = await rejection(hold(deps));
    expect(error).toMatchObject({ status: 404, code: 'ORDER_NOT_FOUND' });
    expect(repository.audit).toEqual([]);
  });

  it('refuses a payment that does not match the order with 422 naming each field, writing nothing', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    const error = await rejection(
      holdForPayment(
        deps,
        { ...input, transactionId: 'tx-x', userId: 'u-2', amountMinor: 1, currency: 'JPY' },
        ctx,
      ),
    );
    expect(error).toMatchObject({ status: 422, code: 'ORDER_MISMATCH' });
    expect(error.details.map((d) => d.field)).toEqual(['userId', 'amount', 'currency']);
    expect(JSON.stringify(error.details)).not.toContain('12550');
    expect(repository.audit).toHaveLength(1);
    expect(repository.orders.get('o-1')?.paymentHolder).toBeUndefined();
  });

  it.each(['CANCELLED', 'PAID'] as const)(
    'refuses an order in %s with 409 ORDER_NOT_PAYABLE',
    async (status) => {
      const { repository, deps } = setup();
      await createOrder(deps, input, ctx);
      if (status === 'PAID') {
        await hold(deps);
        await updateOrderStatus(deps, { orderId: 'o-1', status, transactionId: 'tx-1' }, ctx);
      } else {
        await updateOrderStatus(deps, { orderId: 'o-1', status }, ctx);
      }
      const before = repository.audit.length;
      const error = await rejection(hold(deps, 'tx-2'));
      expect(error).toMatchObject({ status: 409, code: 'ORDER_NOT_PAYABLE' });
      expect(repository.audit).toHaveLength(before);
    },
  );

  it('lets the payer of a PAID order through again (a replay), and nobody else', async () => {
    const { deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID', transactionId: 'tx-1' }, ctx);
    expect(await hold(deps)).toMatchObject({ acquired: false, order: { status: 'PAID' } });
  });

  it('refuses a second transactionId while the first holds the order, with Retry-After', async () => {
    const { deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    const error = await rejection(hold(deps, 'tx-2'));
    expect(error).toMatchObject({ status: 409, code: 'ORDER_PAYMENT_IN_PROGRESS' });
    expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(error.details[0]).toMatchObject({ holder: 'tx-1', leaseOver: false });
  });

  it('lets a payment replace a holder only when asked to and its lease is over', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    const early = await rejection(
      holdForPayment(deps, { ...input, transactionId: 'tx-2', replaces: 'tx-1' }, ctx),
    );
    expect(early.code).toBe('ORDER_PAYMENT_IN_PROGRESS');
    const later = { ...deps, now: at('2026-01-01T00:02:00.000Z') };
    const unasked = await rejection(
      holdForPayment(later, { ...input, transactionId: 'tx-2' }, ctx),
    );
    expect(unasked.details[0]).toMatchObject({ holder: 'tx-1', leaseOver: true });
    const wrong = await rejection(
      holdForPayment(later, { ...input, transactionId: 'tx-2', replaces: 'tx-9' }, ctx),
    );
    expect(wrong.code).toBe('ORDER_PAYMENT_IN_PROGRESS');
    const replaced = await holdForPayment(
      later,
      { ...input, transactionId: 'tx-2', replaces: 'tx-1' },
      ctx,
    );
    expect(replaced.acquired).toBe(true);
    expect(repository.orders.get('o-1')?.paymentHolder).toBe('tx-2');
    expect(repository.audit.at(-1)?.detail).toContain('replaces tx-1');
  });

  it('holds a declined order for a new payment, which may then pay it', async () => {
    const { deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    const declined = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAYMENT_FAILED', transactionId: 'tx-1' },
      ctx,
    );
    expect(declined.order.paymentHolder).toBeUndefined();
    await hold(deps, 'tx-2');
    const paid = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAID', transactionId: 'tx-2' },
      ctx,
    );
    expect(paid.order).toMatchObject({ status: 'PAID', paidBy: 'tx-2', version: 3 });
  });
});

describe('Function: releaseHold', () => {
  it('gives the order back when its holder asks, once', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    expect(await releaseHold(deps, { orderId: 'o-1', transactionId: 'tx-1' }, ctx)).toMatchObject({
      released: true,
    });
    expect(repository.orders.get('o-1')?.paymentHolder).toBeUndefined();
    expect(repository.audit.at(-1)).toMatchObject({ operation: 'payment-release' });
    const again = await releaseHold(deps, { orderId: 'o-1', transactionId: 'tx-1' }, ctx);
    expect(again.released).toBe(false);
    expect(repository.audit).toHaveLength(3);
  });

  it('changes nothing for a transactionId that does not hold the order', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    const result = await releaseHold(deps, { orderId: 'o-1', transactionId: 'tx-2' }, ctx);
    expect(result.released).toBe(false);
    expect(repository.orders.get('o-1')?.paymentHolder).toBe('tx-1');
  });
});

describe('Function: updateOrderStatus, the payment holder rule', () => {
  it('refuses PAID from a transactionId that does not hold the order, and changes nothing', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    for (const transactionId of ['tx-2', undefined]) {
      const error = await rejection(
        updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID', transactionId }, ctx),
      );
      expect(error).toMatchObject({ status: 409, code: 'NOT_PAYMENT_HOLDER' });
    }
    expect(repository.orders.get('o-1')).toMatchObject({
      status: 'PENDING',
      paymentHolder: 'tx-1',
    });
  });

  it("ignores a stranger's decline: the order stays payable by its holder", async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    const error = await rejection(
      updateOrderStatus(
        deps,
        { orderId: 'o-1', status: 'PAYMENT_FAILED', transactionId: 'tx-x' },
        ctx,
      ),
    );
    expect(error.code).toBe('NOT_PAYMENT_HOLDER');
    expect(repository.orders.get('o-1')).toMatchObject({
      status: 'PENDING',
      paymentHolder: 'tx-1',
    });
  });

  it('refuses to cancel an order while a payment holds it', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    const error = await rejection(
      updateOrderStatus(deps, { orderId: 'o-1', status: 'CANCELLED' }, ctx),
    );
    expect(error).toMatchObject({ status: 409, code: 'ORDER_PAYMENT_IN_PROGRESS' });
    expect(repository.orders.get('o-1')?.status).toBe('PENDING');
  });
});

describe('Function: getOrderHistory', () => {
  it('is a 404 for an unknown order', async () => {
    const { repository } = setup();
    const error = await rejection(getOrderHistory(repository, 'nope'));
    expect(error.status).toBe(404);
  });

  it("shows a hold's waiting row last, on the next page when the last page is full", async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);

    const first = await getOrderHistory(repository, 'o-1', { limit: 1 });
    expect(first.entries.map((e) => e.operation)).toEqual(['create']);
    expect(first.lastSeq).toBe(1);
    const next = await getOrderHistory(repository, 'o-1', { limit: 1, afterSeq: 1 });
    expect(next.entries.map((e) => [e.seq, e.operation])).toEqual([[2, 'payment-hold']]);
    expect(next.lastSeq).toBeUndefined();
    const all = await getOrderHistory(repository, 'o-1', { limit: 10 });
    expect(all.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(all.lastSeq).toBeUndefined();
  });
});

describe('The history, written ahead on the order, when a function dies between its two writes', () => {
  it('shows the creation row from the order, and the next operation copies it to the history table', async () => {
    const { repository, deps } = setup();
    repository.historyDown = true;
    await expect(createOrder(deps, input, ctx)).rejects.toThrow('died');
    repository.historyDown = false;
    expect(repository.seqs()).toEqual([]);
    expect((await getOrderHistory(repository, 'o-1')).entries).toEqual([
      expect.objectContaining({ seq: 1, operation: 'create', correlationId: 'corr-0001' }),
    ]);

    await createOrder(deps, input, { ...ctx, correlationId: 'corr-0002' });

    expect(repository.seqs()).toEqual([1, 2]);
    expect(repository.orders.get('o-1')?.log).not.toHaveProperty('1');
  });

  it("keeps a PAID result's row when the function died after the order's write; the redelivery copies it", async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await hold(deps);
    const event = {
      orderId: 'o-1',
      status: 'PAID' as const,
      eventId: 'e-1',
      transactionId: 'tx-1',
    };
    repository.historyDown = true;
    await expect(updateOrderStatus(deps, event, ctx)).rejects.toThrow('died');
    repository.historyDown = false;
    expect(repository.orders.get('o-1')).toMatchObject({ status: 'PAID', version: 2 });
    expect(repository.seqs()).toEqual([1, 2]);
    const shown = (await getOrderHistory(repository, 'o-1')).entries;
    expect(shown.map((e) => [e.seq, e.outcome])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
      [3, 'applied'],
    ]);

    const replay = await updateOrderStatus(deps, event, ctx);

    expect(replay).toMatchObject({ duplicateEvent: true, originalSeq: 3, changed: false });
    expect(repository.seqs()).toEqual([1, 2, 3, 4]);
    expect((await getOrderHistory(repository, 'o-1')).entries).toHaveLength(4);
  });

  it('copies a one-write hold whose copy was lost when the holder asks again, and says so (heldAt)', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    repository.historyDown = true;
    await expect(hold(deps)).rejects.toThrow('died');
    repository.historyDown = false;
    expect(repository.seqs()).toEqual([1]);

    const again = await hold(deps);

    expect(again).toMatchObject({ acquired: false, heldAt: '2026-01-01T00:00:00.000Z' });
    expect(repository.seqs()).toEqual([1, 2]);
  });
});

describe('Event markers, kept on the order for the newest events only', () => {
  it(`answers a redelivered event as before after more than ${MAX_EVENT_MARKERS} newer ones`, async () => {
    const { repository, deps } = setup();
    await createdHeldAndPaid(deps);
    for (let i = 0; i < MAX_EVENT_MARKERS + 2; i++) {
      await updateOrderStatus(deps, { orderId: 'o-1', status: 'SHIPPED', eventId: `s-${i}` }, ctx);
    }
    const order = repository.orders.get('o-1');
    expect(Object.keys(order?.events ?? {})).toHaveLength(MAX_EVENT_MARKERS);
    expect(order?.events).not.toHaveProperty('e-1');
    expect(order?.olderEvents).toBe(true);

    const replay = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAID', eventId: 'e-1', transactionId: 'tx-1' },
      ctx,
    );
    expect(replay).toMatchObject({ duplicateEvent: true, originalSeq: 3, changed: false });
    const reused = await rejection(
      updateOrderStatus(deps, { orderId: 'o-1', status: 'REFUNDED', eventId: 's-0' }, ctx),
    );
    expect(reused.code).toBe('EVENT_ID_REUSED');
    expect(repository.orders.get('o-1')).toMatchObject({ status: 'SHIPPED', version: 3 });
  });
});

describe('Function: retryOnConflict', () => {
  it('stops retrying before the deadline instead of running past it', async () => {
    let attempts = 0;
    let clock = 0;
    const error = await retryOnConflict(
      async () => {
        attempts++;
        clock += 400;
        return CONFLICT;
      },
      {
        maxAttempts: 50,
        sleep: async (ms) => {
          clock += ms;
        },
        random: () => 0.5,
        now: () => clock,
        deadline: 1000,
        onExhausted: () => new Error('busy'),
      },
    ).catch((e: Error) => e);
    expect((error as Error).message).toBe('busy');
    expect(attempts).toBe(3);
    expect(clock).toBeLessThan(1300);
  });
});
