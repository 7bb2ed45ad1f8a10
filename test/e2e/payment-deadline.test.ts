import { describe, expect, it } from 'vitest';
import { tables } from '../integration/payment-fixtures.js';
import { api, expectErrorFormat, uniqueId } from '../support/http.js';
import { relayUntil } from '../support/relay.js';

// A gateway slower than the payment function (15 s), over serverless-offline:
// the answer at the deadline tells the truth, the cut call charges nothing,
// and an operator can void the stuck payment to free its order.

async function newOrder() {
  const order = {
    orderId: uniqueId('order-deadline'),
    userId: uniqueId('user-deadline'),
    amount: 31.5,
    currency: 'USD',
  };
  expect((await api('POST', '/orders', { body: order })).status).toBe(201);
  return order;
}

describe('POST /payments past its deadline, and the operator void', () => {
  it('answers 503 OUTCOME_UNKNOWN at the deadline, charges nothing, and the void frees the order for the next payer', async () => {
    const order = await newOrder();
    const stuck = { transactionId: uniqueId('tx-deadline'), ...order };

    const late = await api('POST', '/payments', {
      body: stuck,
      headers: { 'x-fault-inject': 'gateway=delay:30000' },
    });
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');
    const error = expectErrorFormat(late.body);
    expect(error.code).toBe('OUTCOME_UNKNOWN');
    // It says how to learn the outcome, never that nothing was lost.
    expect(error.message).toMatch(/same transactionId/);
    expect(error.message).toMatch(/GET \/payments\/\{transactionId\}/);
    expect(error.message).not.toMatch(/nothing was lost/);
    expect(late.text).not.toMatch(/at .*\.(ts|js|mjs):\d+/);

    // The cut call never reached the simulator's ledger; the order is still held.
    const shown = await api('GET', `/payments/${stuck.transactionId}`);
    expect(shown.body.charge).toMatchObject({ state: 'PENDING' });
    expect(await tables.gatewayLedger(stuck.transactionId)).toBeUndefined();
    const other = { transactionId: uniqueId('tx-deadline-next'), ...order };
    const refused = await api('POST', '/payments', { body: other });
    expect(refused.status).toBe(409);
    expect(expectErrorFormat(refused.body).code).toBe('ORDER_PAYMENT_IN_PROGRESS');

    // The operator voids it: the key is fenced at the gateway, the payment fails as voided.
    const voided = await api('POST', `/payments/${stuck.transactionId}/void`);
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({
      transactionId: stuck.transactionId,
      voided: true,
      status: 'FAILED',
    });
    expect(await tables.gatewayLedger(stuck.transactionId)).toMatchObject({
      result: { outcome: 'voided' },
    });
    await relayUntil(
      async () => (await api('GET', `/orders/${order.orderId}`)).body.status === 'PAYMENT_FAILED',
    );
    const history = await api('GET', `/orders/${order.orderId}/history`);
    expect(history.body.entries.at(-1)).toMatchObject({
      transactionId: stuck.transactionId,
      outcome: 'applied',
      newStatus: 'PAYMENT_FAILED',
      reason: 'voided',
    });

    // The order is free: the next payer is charged; a retry of the voided one is not.
    const paid = await api('POST', '/payments', { body: other });
    expect(paid.status).toBe(201);
    expect(paid.body.status).toBe('SUCCEEDED');
    const again = await api('POST', '/payments', { body: stuck });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ status: 'FAILED', failureReason: 'voided' });
    expect(await tables.gatewayLedger(stuck.transactionId)).toMatchObject({
      result: { outcome: 'voided' },
    });

    // A second void changes nothing; a payment that charged cannot be voided.
    const twice = await api('POST', `/payments/${stuck.transactionId}/void`);
    expect(twice.body).toMatchObject({ voided: false, status: 'FAILED' });
    const charged = await api('POST', `/payments/${other.transactionId}/void`);
    expect(charged.status).toBe(409);
    expect(expectErrorFormat(charged.body).code).toBe('PAYMENT_CHARGED');
    expect(await tables.gatewayLedger(other.transactionId)).toMatchObject({
      result: { outcome: 'succeeded' },
    });
  }, 90_000);

  it('answers 404 CHARGE_NOT_FOUND for a void of a payment it never saw, and 400 for a bad id', async () => {
    const missing = await api('POST', `/payments/${uniqueId('tx-never')}/void`);
    expect(missing.status).toBe(404);
    expect(expectErrorFormat(missing.body).code).toBe('CHARGE_NOT_FOUND');
    const bad = await api('POST', '/payments/bad%20id/void');
    expect(bad.status).toBe(400);
    expect(expectErrorFormat(bad.body).details?.[0]).toMatchObject({ field: 'transactionId' });
  });
});
