import { beforeAll, describe, expect, it } from 'vitest';
import { api, expectErrorFormat, uniqueId } from '../support/http.js';
import { paymentCallHeaders } from '../support/service-tokens.js';

// A valid payment-service token, checked by the real authorizer.
let internal: Record<string, string> = {};
beforeAll(async () => {
  internal = await paymentCallHeaders('order');
});

async function newOrder(overrides: Record<string, unknown> = {}) {
  const orderId = uniqueId('o');
  const body = { orderId, userId: 'u-1', amount: 125.5, currency: 'USD', ...overrides };
  const response = await api('POST', '/orders', { body });
  expect(response.status).toBe(201);
  return { orderId, body, response };
}

function putStatus(orderId: string, body: unknown, headers: Record<string, string> = {}) {
  return api('PUT', `/orders/${orderId}/status`, { body, headers: { ...internal, ...headers } });
}

/** Asks to hold the order for a payment (step 1b), as the payment service does. */
function putHold(orderId: string, body: Record<string, unknown>) {
  return api('PUT', `/orders/${orderId}/payment`, { body, headers: internal });
}

/** A new order held by a payment: its PAID and PAYMENT_FAILED must carry `transactionId`. */
async function heldOrder() {
  const created = await newOrder();
  const transactionId = uniqueId('tx');
  const { orderId, body } = created;
  const held = await putHold(orderId, {
    transactionId,
    userId: body.userId,
    amount: body.amount,
    currency: body.currency,
  });
  expect(held.status).toBe(200);
  return { ...created, transactionId };
}

describe('Order service over serverless-offline', () => {
  describe('POST /orders', () => {
    it('creates a PENDING order at version 1 with 201', async () => {
      const { orderId, response } = await newOrder();
      expect(response.body).toMatchObject({
        orderId,
        userId: 'u-1',
        amount: 125.5,
        amountMinor: 12550,
        currency: 'USD',
        status: 'PENDING',
        version: 1,
      });
      expect(response.headers.get('x-correlation-id')).toBeTruthy();
    });

    it('answers the same orderId and body with 200 and the existing order', async () => {
      const { body, response } = await newOrder();
      const again = await api('POST', '/orders', { body });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(response.body);
    });

    it('answers the same orderId with another body with 409 naming the differing field', async () => {
      const { body } = await newOrder();
      const other = await api('POST', '/orders', { body: { ...body, amount: 99 } });
      expect(other.status).toBe(409);
      const error = expectErrorFormat(other.body);
      expect(error.code).toBe('ORDER_ALREADY_EXISTS');
      expect(error.details).toEqual([expect.objectContaining({ field: 'amount' })]);
    });

    it('answers a bad body with 400 naming each bad field, and writes nothing', async () => {
      const orderId = uniqueId('o');
      const response = await api('POST', '/orders', {
        body: { orderId, userId: 'bad id!', amount: 1.234, currency: 'usd', extra: 1 },
      });
      expect(response.status).toBe(400);
      const fields = expectErrorFormat(response.body).details.map(
        (d) => (d as { field: string }).field,
      );
      expect(fields).toEqual(expect.arrayContaining(['userId', 'currency', 'extra']));
      expect((await api('GET', `/orders/${orderId}`)).status).toBe(404);
    });
  });

  describe('GET /orders/{orderId}', () => {
    it('returns the order with its version', async () => {
      const { orderId } = await newOrder();
      const response = await api('GET', `/orders/${orderId}`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ orderId, status: 'PENDING', version: 1 });
    });

    it('is a 404 in the error format for an unknown order', async () => {
      const response = await api('GET', `/orders/${uniqueId('missing')}`);
      expect(response.status).toBe(404);
      expect(expectErrorFormat(response.body).code).toBe('ORDER_NOT_FOUND');
    });

    it('is a 400 naming orderId for an id outside the allowed characters', async () => {
      const response = await api('GET', '/orders/bad%24id');
      expect(response.status).toBe(400);
      expect(expectErrorFormat(response.body).details).toEqual([
        expect.objectContaining({ field: 'orderId' }),
      ]);
    });
  });

  describe('PUT /orders/{orderId}/status', () => {
    it('is refused with 401 without a bearer token', async () => {
      const { orderId } = await newOrder();
      const response = await api('PUT', `/orders/${orderId}/status`, { body: { status: 'PAID' } });
      expect(response.status).toBe(401);
    });

    it('applies a legal change, then answers the same status with changed: false', async () => {
      const { orderId, transactionId } = await heldOrder();
      const first = await putStatus(orderId, {
        status: 'PAID',
        eventId: uniqueId('e'),
        transactionId,
      });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        status: 'PAID',
        version: 2,
        changed: true,
        previousStatus: 'PENDING',
      });
      const same = await putStatus(orderId, { status: 'PAID', transactionId });
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({
        status: 'PAID',
        version: 2,
        changed: false,
        outcome: 'unchanged',
      });
    });

    it('answers a repeated eventId with 200 and no second effect, even after the order moved on', async () => {
      const { orderId, transactionId } = await heldOrder();
      const eventId = uniqueId('e');
      await putStatus(orderId, { status: 'PAID', eventId, transactionId });
      await putStatus(orderId, { status: 'REFUNDED', eventId: uniqueId('e') });
      const replay = await putStatus(orderId, { status: 'PAID', eventId, transactionId });
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({
        status: 'REFUNDED',
        version: 3,
        changed: false,
        duplicateEvent: true,
      });
    });

    it('rejects a stale transition (PAID after REFUNDED) with 409 and leaves the order as it was', async () => {
      const { orderId, transactionId } = await heldOrder();
      await putStatus(orderId, { status: 'PAID', transactionId });
      await putStatus(orderId, { status: 'REFUNDED' });
      const stale = await putStatus(orderId, {
        status: 'PAID',
        eventId: uniqueId('e'),
        transactionId,
      });
      expect(stale.status).toBe(409);
      expect(expectErrorFormat(stale.body).code).toBe('ILLEGAL_STATUS_TRANSITION');
      const history = await api('GET', `/orders/${orderId}/history`);
      const last = history.body.entries.at(-1);
      expect(last).toMatchObject({
        outcome: 'rejected',
        previousStatus: 'REFUNDED',
        newStatus: 'REFUNDED',
      });
      const applied = history.body.entries.filter(
        (e: { outcome: string }) => e.outcome === 'applied',
      );
      expect(applied.at(-1)).toMatchObject({ newStatus: 'REFUNDED', version: 3 });
    });

    it('is a 404 for an unknown order', async () => {
      const response = await putStatus(uniqueId('missing'), {
        status: 'PAID',
        eventId: uniqueId('e'),
      });
      expect(response.status).toBe(404);
      expect(expectErrorFormat(response.body).code).toBe('ORDER_NOT_FOUND');
    });

    it('is a 400 naming each bad field, and records nothing', async () => {
      const { orderId } = await newOrder();
      const response = await putStatus(orderId, {
        status: 'DONE',
        eventId: 'no spaces',
        extra: true,
      });
      expect(response.status).toBe(400);
      const fields = expectErrorFormat(response.body).details.map(
        (d) => (d as { field: string }).field,
      );
      expect(fields).toEqual(expect.arrayContaining(['status', 'eventId', 'extra']));
      const history = await api('GET', `/orders/${orderId}/history`);
      expect(history.body.entries).toHaveLength(1);
    });

    it('applies one change when 10 identical updates arrive at once; the rest are recorded as unchanged', async () => {
      const { orderId, transactionId } = await heldOrder();
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => putStatus(orderId, { status: 'PAID', transactionId })),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(responses.filter((r) => r.body.changed === true)).toHaveLength(1);
      const history = await api('GET', `/orders/${orderId}/history`);
      const outcomes = history.body.entries.map((e: { outcome: string }) => e.outcome);
      expect(outcomes.filter((o: string) => o === 'applied')).toHaveLength(3); // create + hold + PAID
      expect(outcomes.filter((o: string) => o === 'unchanged')).toHaveLength(9);
    });

    it('refuses PAID from a payment that does not hold the order, and a stranger cannot decline it', async () => {
      const { orderId, transactionId } = await heldOrder();
      for (const status of ['PAID', 'PAYMENT_FAILED']) {
        const refused = await putStatus(orderId, {
          status,
          transactionId: uniqueId('tx-stranger'),
        });
        expect(refused.status).toBe(409);
        expect(expectErrorFormat(refused.body).code).toBe('NOT_PAYMENT_HOLDER');
      }
      const order = await api('GET', `/orders/${orderId}`);
      expect(order.body).toMatchObject({ status: 'PENDING', paymentHolder: transactionId });
    });

    it('lets a declined order be paid again by a new transactionId', async () => {
      const { orderId, body, transactionId } = await heldOrder();
      const declined = await putStatus(orderId, { status: 'PAYMENT_FAILED', transactionId });
      expect(declined.body).toMatchObject({ status: 'PAYMENT_FAILED', changed: true });
      const retry = uniqueId('tx');
      const held = await putHold(orderId, {
        transactionId: retry,
        userId: body.userId,
        amount: body.amount,
        currency: body.currency,
      });
      expect(held.status).toBe(200);
      const paid = await putStatus(orderId, { status: 'PAID', transactionId: retry });
      expect(paid.body).toMatchObject({
        status: 'PAID',
        previousStatus: 'PAYMENT_FAILED',
        paidBy: retry,
      });
    });
  });

  describe('PUT /orders/{orderId}/payment (the hold, step 1b)', () => {
    it('is refused with 401 without a bearer token', async () => {
      const { orderId } = await newOrder();
      const response = await api('PUT', `/orders/${orderId}/payment`, {
        body: { transactionId: 'tx-1', userId: 'u-1', amount: 125.5, currency: 'USD' },
      });
      expect(response.status).toBe(401);
    });

    it('holds a matching PENDING order for one transactionId, and tells a second one to wait', async () => {
      const { orderId, body } = await newOrder();
      const payment = { userId: body.userId, amount: body.amount, currency: body.currency };
      const first = await putHold(orderId, { transactionId: 'tx-a', ...payment });
      expect(first.body).toMatchObject({ acquired: true, paymentHolder: 'tx-a' });
      const again = await putHold(orderId, { transactionId: 'tx-a', ...payment });
      expect(again.body).toMatchObject({ acquired: false, paymentHolder: 'tx-a' });
      const second = await putHold(orderId, { transactionId: 'tx-b', ...payment });
      expect(second.status).toBe(409);
      expect(expectErrorFormat(second.body).code).toBe('ORDER_PAYMENT_IN_PROGRESS');
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });

    it('refuses a payment that does not match the order with 422 naming each field, and writes nothing', async () => {
      const { orderId } = await newOrder();
      const response = await putHold(orderId, {
        transactionId: 'tx-a',
        userId: 'someone-else',
        amount: 1,
        currency: 'JPY',
      });
      expect(response.status).toBe(422);
      const error = expectErrorFormat(response.body);
      expect(error.code).toBe('ORDER_MISMATCH');
      expect(error.details.map((d) => (d as { field: string }).field)).toEqual([
        'userId',
        'amount',
        'currency',
      ]);
      const history = await api('GET', `/orders/${orderId}/history`);
      expect(history.body.entries).toHaveLength(1);
    });

    it('is a 404 for an unknown order, and a 409 for a cancelled one', async () => {
      const payment = { transactionId: 'tx-a', userId: 'u-1', amount: 125.5, currency: 'USD' };
      const missing = await putHold(uniqueId('missing'), payment);
      expect(missing.status).toBe(404);
      const { orderId } = await newOrder();
      expect((await putStatus(orderId, { status: 'CANCELLED' })).status).toBe(200);
      const cancelled = await putHold(orderId, payment);
      expect(cancelled.status).toBe(409);
      expect(expectErrorFormat(cancelled.body).code).toBe('ORDER_NOT_PAYABLE');
    });

    it('gives the order back to the next payment once its holder releases it', async () => {
      const { orderId, body, transactionId } = await heldOrder();
      const release = await api('POST', `/orders/${orderId}/payment/release`, {
        body: { transactionId, reason: 'the gateway never saw the charge' },
        headers: internal,
      });
      expect(release.body).toMatchObject({ released: true });
      const next = await putHold(orderId, {
        transactionId: uniqueId('tx'),
        userId: body.userId,
        amount: body.amount,
        currency: body.currency,
      });
      expect(next.body).toMatchObject({ acquired: true });
    });
  });

  describe('GET /orders/{orderId}/history', () => {
    it('is complete and in order after a burst of mixed operations, with each correlation id', async () => {
      const { orderId, body, transactionId } = await heldOrder();
      const calls = [
        ...Array.from({ length: 3 }, (_, i) =>
          putStatus(
            orderId,
            { status: 'PAID', eventId: `${orderId}-pay`, transactionId },
            { 'x-correlation-id': `burst-pay-${i}` },
          ),
        ),
        ...Array.from({ length: 3 }, (_, i) =>
          putStatus(orderId, { status: 'PENDING' }, { 'x-correlation-id': `burst-back-${i}` }),
        ),
        ...Array.from({ length: 2 }, (_, i) =>
          api('POST', '/orders', { body, headers: { 'x-correlation-id': `burst-create-${i}` } }),
        ),
      ];
      const responses = await Promise.all(calls);
      expect(responses.every((r) => [200, 409].includes(r.status))).toBe(true);
      const history = await api('GET', `/orders/${orderId}/history`);
      expect(history.status).toBe(200);
      const entries = history.body.entries as {
        seq: number;
        correlationId: string;
        outcome: string;
        at: string;
      }[];
      expect(entries).toHaveLength(calls.length + 2); // + the create and the hold
      expect(entries.map((e) => e.seq)).toEqual(
        Array.from({ length: entries.length }, (_, i) => i + 1),
      );
      expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort());
      // The payment service's ids (a verified caller) are kept; a public
      // create is recorded under the id it was answered with, not the one it sent.
      const createIds = responses.slice(6).map((r) => r.headers.get('x-correlation-id'));
      for (const id of [
        'burst-pay-0',
        'burst-pay-1',
        'burst-pay-2',
        'burst-back-0',
        ...createIds,
      ]) {
        expect(entries.map((e) => e.correlationId)).toContain(id);
      }
      expect(entries.map((e) => e.correlationId)).not.toContain('burst-create-1');
      expect(entries.every((e) => ['applied', 'unchanged', 'rejected'].includes(e.outcome))).toBe(
        true,
      );
    });

    it('counts refused creates instead of appending them, and pages with limit and cursor', async () => {
      const { orderId, body } = await newOrder();
      const refused = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          api('POST', '/orders', { body: { ...body, amount: 1 + i } }),
        ),
      );
      expect(refused.map((r) => r.status)).toEqual(Array(5).fill(409));
      for (let i = 0; i < 2; i++) await api('POST', '/orders', { body });
      const first = await api('GET', `/orders/${orderId}/history?limit=2`);
      expect(first.body).toMatchObject({ refusedCreates: 5, nextCursor: expect.any(String) });
      expect(first.body.entries.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
      const second = await api(
        'GET',
        `/orders/${orderId}/history?limit=2&cursor=${first.body.nextCursor}`,
      );
      expect(second.body.entries.map((e: { seq: number }) => e.seq)).toEqual([3]);
      expect(second.body.nextCursor).toBeNull();
      const bad = await api('GET', `/orders/${orderId}/history?cursor=nope&limit=0`);
      expect(bad.status).toBe(400);
      expect(
        expectErrorFormat(bad.body).details.map((d) => (d as { field: string }).field),
      ).toEqual(expect.arrayContaining(['cursor', 'limit']));
    });

    it('is a 404 for an unknown order', async () => {
      const response = await api('GET', `/orders/${uniqueId('missing')}/history`);
      expect(response.status).toBe(404);
      expectErrorFormat(response.body);
    });
  });
});
