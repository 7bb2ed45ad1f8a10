import { afterAll, describe, expect, it } from 'vitest';
import { ReadThroughCache } from '../../lib/cache/read-through-cache.js';
import { DynamoOrderRepository } from '../../lib/order/order-repository.js';
import { createOrder, updateOrderStatus } from '../../lib/order/order-service.js';
import type { Order } from '../../lib/order/types.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';

const { client, doc } = dynamoFromEnv();
afterAll(() => client.destroy());

// Counts every request the document client actually sends to DynamoDB Local.
let getItems = 0;
client.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'GetItemCommand') getItems++;
    return next(args);
  },
  { step: 'initialize', name: 'countGets' },
);

const repository = new DynamoOrderRepository({
  doc,
  ordersTable: process.env.ORDERS_TABLE ?? '',
  auditTable: process.env.ORDER_AUDIT_TABLE ?? '',
});
const ctx = { correlationId: 'corr-cache-0001', caller: 'test' };

describe('Class: ReadThroughCache over DynamoDB Local', () => {
  it('sends one GetItem to DynamoDB when 100 concurrent reads miss the same order', async () => {
    const orderId = `o-cache-${Date.now().toString(36)}`;
    await createOrder(
      { repository },
      { orderId, userId: 'u-1', amountMinor: 100, currency: 'USD' },
      ctx,
    );
    const cache = new ReadThroughCache<Order>({ ttlMs: 60_000 });
    getItems = 0;
    const orders = await Promise.all(
      Array.from({ length: 100 }, () => cache.get(orderId, (id) => repository.get(id))),
    );
    expect(getItems).toBe(1);
    expect(orders.every((o) => o?.orderId === orderId && o.status === 'PENDING')).toBe(true);
  });

  it('shows a status change at once when the write happens in the same container', async () => {
    const orderId = `o-cache-w-${Date.now().toString(36)}`;
    const cache = new ReadThroughCache<Order>({ ttlMs: 60_000 });
    const deps = { repository, onWrite: (id: string) => cache.invalidate(id) };
    await createOrder(deps, { orderId, userId: 'u-1', amountMinor: 100, currency: 'USD' }, ctx);
    expect((await cache.get(orderId, (id) => repository.get(id)))?.status).toBe('PENDING');
    await updateOrderStatus(deps, { orderId, status: 'CANCELLED' }, ctx);
    expect((await cache.get(orderId, (id) => repository.get(id)))?.status).toBe('CANCELLED');
  });
});
