import { describe, expect, it } from 'vitest';
import type { InternalResponse } from '../../lib/shared/internal-client.js';
import { DownstreamError } from '../../lib/shared/internal-client.js';
import { uniqueId } from '../support/http.js';
import { paymentBody, paymentHarness, pendingGuard, tables } from './payment-fixtures.js';

/** The order service's error answer, in our error format. */
function orderRefusal(status: number, code: string, details: unknown[] = []): InternalResponse {
  return { status, body: { error: { code, message: `order says ${code}`, details } }, attempts: 1 };
}

/** Nothing was charged or written for the transactionId, and its idempotency key was released. */
async function expectNothingCharged(
  harness: ReturnType<typeof paymentHarness>,
  transactionId: string,
) {
  expect(harness.gateway.calls).toBe(0);
  expect(await tables.charge(transactionId)).toBeUndefined();
  expect(await tables.paymentItems(transactionId)).toEqual([]);
  expect(await tables.idempotencyRecord(transactionId)).toBeUndefined();
}

describe('POST /payments asks its order first (step 1b), against DynamoDB Local', () => {
  it('asks the order to hold itself with the payment it is for, before any charge', async () => {
    const harness = paymentHarness();
    const body = paymentBody({ amount: 125.5 });
    const created = await harness.postPayment(body, { 'x-correlation-id': 'corr-hold-0001' });
    expect(created.status).toBe(201);
    expect(harness.holds).toHaveLength(1);
    expect(harness.holds[0]).toMatchObject({
      service: 'order',
      method: 'PUT',
      path: `/orders/${body.orderId}/payment`,
      body: {
        transactionId: body.transactionId,
        userId: body.userId,
        amount: 125.5,
        currency: 'USD',
      },
      correlationId: created.headers['x-correlation-id'],
    });
  });

  it('answers 422 ORDER_NOT_FOUND for an order that does not exist, charges nothing, and processes a retry afresh once it does', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    harness.answerHoldWith(async () => orderRefusal(404, 'ORDER_NOT_FOUND'));
    const missing = await harness.postPayment(body);
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({
      code: 'ORDER_NOT_FOUND',
      details: [{ field: 'orderId' }],
    });
    await expectNothingCharged(harness, body.transactionId);

    harness.answerHoldWith(async () => ({
      status: 200,
      body: { status: 'PENDING', acquired: true },
      attempts: 1,
    }));
    const retried = await harness.postPayment(body);
    expect(retried.status).toBe(201);
    expect(retried.headers['Idempotent-Replayed']).toBeUndefined();
    expect(harness.gateway.calls).toBe(1);
  });

  it("leaves another request's charge guard alone when the order refuses this one", async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    harness.answerHoldWith(async () => {
      // Meanwhile a retry that took the key over (this request ran past its
      // deadline) wrote its guard: the guard is written after the hold, by the
      // request the order let through, never before.
      await harness.charges.begin(pendingGuard(body));
      return orderRefusal(409, 'ORDER_NOT_PAYABLE');
    });
    const answer = await harness.postPayment(body);
    expect(answer.status).toBe(409);
    // Not this request's to delete: it stays for the retry (and the reconciler).
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'PENDING' });
    expect(harness.gateway.calls).toBe(0);
  });

  it('answers 422 ORDER_MISMATCH naming each field the order disagrees on, and charges nothing', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    const details = [
      { field: 'userId', issue: 'differs from the order' },
      { field: 'amount', issue: 'differs from the order' },
    ];
    harness.answerHoldWith(async () => orderRefusal(422, 'ORDER_MISMATCH', details));
    const answer = await harness.postPayment(body);
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ code: 'ORDER_MISMATCH', details });
    await expectNothingCharged(harness, body.transactionId);
  });

  it('answers 409 ORDER_NOT_PAYABLE for an order that cannot be paid, and charges nothing', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    harness.answerHoldWith(async () =>
      orderRefusal(409, 'ORDER_NOT_PAYABLE', [{ field: 'orderId', currentStatus: 'PAID' }]),
    );
    const answer = await harness.postPayment(body);
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('ORDER_NOT_PAYABLE');
    await expectNothingCharged(harness, body.transactionId);
  });

  it('answers 409 ORDER_PAYMENT_IN_PROGRESS with Retry-After while another transactionId holds the order', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    harness.answerHoldWith(async () =>
      orderRefusal(409, 'ORDER_PAYMENT_IN_PROGRESS', [
        { field: 'orderId', holder: 'tx-other', leaseOver: false, retryAfterSeconds: 3 },
      ]),
    );
    const answer = await harness.postPayment(body);
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('ORDER_PAYMENT_IN_PROGRESS');
    expect(answer.headers['Retry-After']).toBe('3');
    expect(JSON.stringify(answer.body)).not.toContain('tx-other');
    await expectNothingCharged(harness, body.transactionId);
  });

  it.each([
    ['a 503', async () => orderRefusal(503, 'ORDER_STORE_UNAVAILABLE')],
    [
      'a timeout',
      async (): Promise<InternalResponse> => {
        throw new DownstreamError('order', 'order timed out', { transient: true, code: 'TIMEOUT' });
      },
    ],
    ['a 403 while keys rotate', async () => orderRefusal(403, 'FORBIDDEN')],
  ])(
    'answers 503 with Retry-After and charges nothing when the order answers %s',
    async (_what, answer) => {
      const harness = paymentHarness();
      const body = paymentBody();
      harness.answerHoldWith(answer);
      const response = await harness.postPayment(body);
      expect(response.status).toBe(503);
      expect(response.body.error.code).toBe('ORDER_UNAVAILABLE');
      expect(Number(response.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
      await expectNothingCharged(harness, body.transactionId);
    },
  );

  it('gives the order back when the gateway never saw the charge', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    const answer = await harness.postPayment(body, { 'x-fault-inject': 'gateway=unavailable' });
    expect(answer.status).toBe(503);
    expect(harness.holds.map((h) => h.path)).toEqual([
      `/orders/${body.orderId}/payment`,
      `/orders/${body.orderId}/payment/release`,
    ]);
    expect(harness.holds[1]?.body).toMatchObject({ transactionId: body.transactionId });
  });

  it('replaces a holder whose lease is over when its charge never started, then charges once', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    const dead = uniqueId('tx-dead');
    harness.answerHoldWith(async (request) =>
      (request.body as { replaces?: string }).replaces === dead
        ? { status: 200, body: { status: 'PENDING', acquired: true }, attempts: 1 }
        : orderRefusal(409, 'ORDER_PAYMENT_IN_PROGRESS', [{ holder: dead, leaseOver: true }]),
    );
    const answer = await harness.postPayment(body);
    expect(answer.status).toBe(201);
    expect(harness.holds).toHaveLength(2);
    expect(harness.holds[1]?.body).toMatchObject({ replaces: dead });
    expect(harness.gateway.calls).toBe(1);
  });

  it('never replaces a holder whose charge may have happened (a PENDING charge the reconciler will finish)', async () => {
    const harness = paymentHarness();
    const first = paymentBody();
    // The first payment's answer is lost after the charge: its charge stays PENDING and reconcilable.
    const lost = await harness.postPayment(first, { 'x-fault-inject': 'gateway=timeout' });
    expect(lost.status).toBe(503);
    const second = paymentBody({ orderId: first.orderId, userId: first.userId });
    harness.answerHoldWith(async () =>
      orderRefusal(409, 'ORDER_PAYMENT_IN_PROGRESS', [
        { holder: first.transactionId, leaseOver: true, retryAfterSeconds: 5 },
      ]),
    );
    const calls = harness.gateway.calls;
    const answer = await harness.postPayment(second);
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('ORDER_PAYMENT_IN_PROGRESS');
    expect(harness.gateway.calls).toBe(calls);
    expect(harness.holds.filter((h) => (h.body as { replaces?: string }).replaces)).toEqual([]);
  });
});
