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
      const { orderId } = await newOrder();
      const first = await putStatus(orderId, { status: 'PAID', eventId: uniqueId('e') });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        status: 'PAID',
        version: 2,
        changed: true,
        previousStatus: 'PENDING',
      });
      const same = await putStatus(orderId, { status: 'PAID' });
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({
        status: 'PAID',
        version: 2,
        changed: false,
        outcome: 'unchanged',
      });
    });

    it('answers a repeated eventId with 200 and no second effect, even after the order moved on', async () => {
      const { orderId } = await newOrder();
      const eventId = uniqueId('e');
      await putStatus(orderId, { status: 'PAID', eventId });
      await putStatus(orderId, { status: 'REFUNDED', eventId: uniqueId('e') });
      const replay = await putStatus(orderId, { status: 'PAID', eventId });
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({
        status: 'REFUNDED',
        version: 3,
        changed: false,
        duplicateEvent: true,
      });
    });

    it('rejects a stale transition (PAID after REFUNDED) with 409 and leaves the order as it was', async () => {
      const { orderId } = await newOrder();
      await putStatus(orderId, { status: 'PAID' });
      await putStatus(orderId, { status: 'REFUNDED' });
      const stale = await putStatus(orderId, { status: 'PAID', eventId: uniqueId('e') });
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
      const { orderId } = await newOrder();
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => putStatus(orderId, { status: 'PAID' })),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(responses.filter((r) => r.body.changed === true)).toHaveLength(1);
      const history = await api('GET', `/orders/${orderId}/history`);
      const outcomes = history.body.entries.map((e: { outcome: string }) => e.outcome);
      expect(outcomes.filter((o: string) => o === 'applied')).toHaveLength(2); // create + PAID
      expect(outcomes.filter((o: string) => o === 'unchanged')).toHaveLength(9);
    });
  });

  describe('GET /orders/{orderId}/history', () => {
    it('is complete and in order after a burst of mixed operations, with each correlation id', async () => {
      const { orderId, body } = await newOrder();
      const calls = [
        ...Array.from({ length: 3 }, (_, i) =>
          putStatus(
            orderId,
            { status: 'PAID', eventId: `${orderId}-pay` },
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
      expect(entries).toHaveLength(calls.length + 1);
      expect(entries.map((e) => e.seq)).toEqual(
        Array.from({ length: entries.length }, (_, i) => i + 1),
      );
      expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort());
      for (const id of [
        'burst-pay-0',
        'burst-pay-1',
        'burst-pay-2',
        'burst-back-0',
        'burst-create-1',
      ]) {
        expect(entries.map((e) => e.correlationId)).toContain(id);
      }
      expect(entries.every((e) => ['applied', 'unchanged', 'rejected'].includes(e.outcome))).toBe(
        true,
      );
    });

    it('is a 404 for an unknown order', async () => {
      const response = await api('GET', `/orders/${uniqueId('missing')}/history`);
      expect(response.status).toBe(404);
      expectErrorFormat(response.body);
    });
  });
});
