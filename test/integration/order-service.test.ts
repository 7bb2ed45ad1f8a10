import { afterAll, describe, expect, it } from 'vitest';
import { DynamoOrderRepository } from '../../lib/order/order-repository.js';
import { createOrder, updateOrderStatus } from '../../lib/order/order-service.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { isAppError } from '../../lib/shared/errors.js';

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

async function newOrder() {
  const orderId = uid('o');
  await createOrder(deps, { orderId, userId: 'u-1', amountMinor: 1000, currency: 'USD' }, ctx());
  return orderId;
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
        updateOrderStatus(deps, { orderId, status: 'PAID' }, ctx(i)),
      ),
    );
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(results.filter((r) => !r.changed)).toHaveLength(19);
    expect(await repository.get(orderId)).toMatchObject({
      status: 'PAID',
      version: 2,
      auditSeq: 21,
    });
    const history = await repository.history(orderId);
    expect(history.map((h) => h.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(history.filter((h) => h.outcome === 'applied' && h.operation === 'status')).toHaveLength(
      1,
    );
    expect(history.filter((h) => h.outcome === 'unchanged')).toHaveLength(19);
  });

  it('has one effect when the same eventId is delivered 10 times at once', async () => {
    const orderId = await newOrder();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        updateOrderStatus(deps, { orderId, status: 'PAID', eventId: 'evt-1' }, ctx(i)),
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
    const history = await repository.history(orderId);
    expect(history.map((h) => h.outcome).sort()).toEqual(
      ['applied', ...Array(9).fill('unchanged')].sort(),
    );
  });

  it('keeps a complete, gap-free, ordered history after a burst of mixed operations', async () => {
    const orderId = await newOrder();
    const operations = [
      ...Array.from({ length: 6 }, (_, i) =>
        updateOrderStatus(deps, { orderId, status: 'PAID', eventId: `pay-${i % 2}` }, ctx(i)),
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
    const history = await repository.history(orderId);
    // Every call is in the trail exactly once (+1 for the original create), numbered 1..n with no gaps.
    expect(history).toHaveLength(operations.length + 1);
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
    await updateOrderStatus(deps, { orderId, status: 'PAID' }, ctx());
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
    expect((await repository.history(orderId)).at(-1)).toMatchObject({
      outcome: 'rejected',
      requestedStatus: 'PENDING',
    });
  });

  it('is a 404 for an unknown order and writes no audit record', async () => {
    const orderId = uid('missing');
    expect(await statusOf(updateOrderStatus(deps, { orderId, status: 'PAID' }, ctx()))).toBe(404);
    expect(await repository.history(orderId)).toEqual([]);
  });
});
