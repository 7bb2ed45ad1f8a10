import { describe, expect, it } from 'vitest';
import type {
  CommitResult,
  OrderCommit,
  OrderRepository,
} from '../../lib/order/order-repository.js';
import { createOrder, getOrderHistory, updateOrderStatus } from '../../lib/order/order-service.js';
import type { AuditEntry, EventMarker, Order } from '../../lib/order/types.js';
import { isAppError } from '../../lib/shared/errors.js';
import { CONFLICT, retryOnConflict } from '../../lib/shared/retry-on-conflict.js';

/** An in-memory OrderRepository with the same conditional semantics as the DynamoDB one. */
class FakeOrderRepository implements OrderRepository {
  orders = new Map<string, Order>();
  audit: AuditEntry[] = [];
  markers = new Map<string, EventMarker>();
  /** Number of upcoming commits to fail as if another writer got there first. */
  conflicts = 0;

  async get(orderId: string) {
    const order = this.orders.get(orderId);
    return order && { ...order };
  }
  async getEventMarker(orderId: string, eventId: string) {
    return this.markers.get(`${orderId}#${eventId}`);
  }
  async create(order: Order, audit: AuditEntry): Promise<CommitResult> {
    if (this.orders.has(order.orderId)) return 'conflict';
    this.orders.set(order.orderId, { ...order });
    this.audit.push(audit);
    return 'committed';
  }
  async commit(commit: OrderCommit): Promise<CommitResult> {
    const order = this.orders.get(commit.orderId);
    if (this.conflicts > 0) {
      this.conflicts--;
      return 'conflict';
    }
    if (!order || order.auditSeq !== commit.expectedSeq) return 'conflict';
    const markerKey = commit.marker && `${commit.orderId}#${commit.marker.eventId}`;
    if (markerKey && this.markers.has(markerKey)) return 'conflict';
    order.auditSeq = commit.audit.seq;
    if (commit.change) Object.assign(order, commit.change);
    this.audit.push(commit.audit);
    if (markerKey && commit.marker) this.markers.set(markerKey, commit.marker);
    return 'committed';
  }
  async history(orderId: string) {
    return this.audit.filter((a) => a.orderId === orderId).sort((a, b) => a.seq - b.seq);
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
    expect(repository.orders.get('o-1')).toMatchObject({ userId: 'u-1', amountMinor: 12550 });
    expect(repository.audit.at(-1)).toMatchObject({
      outcome: 'rejected',
      detail: 'ORDER_ALREADY_EXISTS',
    });
  });
});

describe('Function: updateOrderStatus', () => {
  it('applies a legal transition, bumps the version and records it', async () => {
    const { repository, deps, written } = setup();
    await createOrder(deps, input, ctx);
    const result = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAID', eventId: 'e-1' },
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
      seq: 2,
      outcome: 'applied',
      previousStatus: 'PENDING',
      newStatus: 'PAID',
      eventId: 'e-1',
      version: 2,
    });
    expect(written).toEqual(['o-1', 'o-1']);
  });

  it('answers the same status with changed: false and records it as unchanged', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID' }, ctx);
    const again = await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID' }, ctx);
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
    await createOrder(deps, input, ctx);
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID', eventId: 'e-1' }, ctx);
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'SHIPPED', eventId: 'e-2' }, ctx);
    const replay = await updateOrderStatus(
      deps,
      { orderId: 'o-1', status: 'PAID', eventId: 'e-1' },
      ctx,
    );
    expect(replay).toMatchObject({ changed: false, duplicateEvent: true, originalSeq: 2 });
    expect(repository.orders.get('o-1')).toMatchObject({ status: 'SHIPPED', version: 3 });
    expect(repository.audit.at(-1)).toMatchObject({
      outcome: 'unchanged',
      duplicateEvent: true,
      eventId: 'e-1',
    });
  });

  it('refuses an eventId reused for another status with 422, recorded as rejected', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID', eventId: 'e-1' }, ctx);
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
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID' }, ctx);
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
    await rejection(
      updateOrderStatus(deps, { orderId: 'o-1', status: 'SHIPPED', eventId: 'ship' }, ctx),
    );
    await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID', eventId: 'pay' }, ctx);
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
    repository.conflicts = 3;
    const result = await updateOrderStatus(deps, { orderId: 'o-1', status: 'PAID' }, ctx);
    expect(result.changed).toBe(true);
    expect(repository.audit.map((a) => a.seq)).toEqual([1, 2]);
  });

  it('gives up with a retryable 503 after maxAttempts conflicts', async () => {
    const { repository, deps } = setup();
    await createOrder(deps, input, ctx);
    repository.conflicts = 100;
    const error = await rejection(
      updateOrderStatus({ ...deps, maxAttempts: 4 }, { orderId: 'o-1', status: 'PAID' }, ctx),
    );
    expect(error.status).toBe(503);
    expect(error.headers['Retry-After']).toBe('1');
    expect(repository.orders.get('o-1')?.status).toBe('PENDING');
  });
});

describe('Function: getOrderHistory', () => {
  it('is a 404 for an unknown order', async () => {
    const { repository } = setup();
    const error = await rejection(getOrderHistory(repository, 'nope'));
    expect(error.status).toBe(404);
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
