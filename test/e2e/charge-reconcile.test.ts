import { describe, expect, it } from 'vitest';
import { UNFINALIZED_ATTRIBUTE, unfinalizedMarker } from '../../lib/payment/charge-store.js';
import { tables } from '../integration/payment-fixtures.js';
import { api, uniqueId } from '../support/http.js';
import { waitForLogs } from '../support/logs.js';
import { relayUntil } from '../support/relay.js';

// No effect lost when nobody retries: the relay function's charge reconciler
// (grace CHARGE_RECONCILE_GRACE_SECONDS, 2 s in the test stage) finishes a
// payment whose request died after charging, over serverless-offline.

async function sentNotifications(userId: string) {
  const listed = await api('GET', `/notifications?userId=${userId}`);
  expect(listed.status).toBe(200);
  return (listed.body.items as Array<{ status: string }>).filter((n) => n.status === 'SENT');
}

describe('Charge reconciliation through the relay', () => {
  it('marks the order PAID and notifies once after a crash after charging that nobody retries', async () => {
    const order = {
      orderId: uniqueId('order'),
      userId: uniqueId('user'),
      amount: 77.5,
      currency: 'USD',
    };
    expect((await api('POST', '/orders', { body: order })).status).toBe(201);
    const payment = { transactionId: uniqueId('tx-reconcile'), ...order };
    const crashed = await api('POST', '/payments', {
      body: payment,
      headers: {
        'x-correlation-id': uniqueId('reconcile-corr'),
        'x-fault-inject': 'payment=crash-after-charge',
      },
    });
    expect(crashed.status).toBe(500);
    // The id the request was logged under (a public caller's own is only recorded beside it).
    const correlationId = crashed.headers.get('x-correlation-id');
    // Charged by the gateway; the answer was to be recorded with the final payment.
    expect(await tables.charge(payment.transactionId)).toMatchObject({
      state: 'PENDING',
      [UNFINALIZED_ATTRIBUTE]: unfinalizedMarker(payment.transactionId),
    });
    expect(await tables.gatewayLedger(payment.transactionId)).toBeDefined();
    expect((await api('GET', `/orders/${order.orderId}`)).body.status).toBe('PENDING');

    // No retry, no callback: only the scheduled relay runs.
    await relayUntil(async () => {
      const shown = await api('GET', `/orders/${order.orderId}`);
      return shown.body.status === 'PAID' && (await sentNotifications(order.userId)).length === 1;
    }, 60_000);

    expect(await sentNotifications(order.userId)).toHaveLength(1);
    const shown = await api('GET', `/payments/${payment.transactionId}`);
    expect(shown.body).toMatchObject({ status: 'SUCCEEDED', correlationId });
    expect(shown.body.events.map((e: { status: string }) => e.status)).toEqual([
      'DELIVERED',
      'DELIVERED',
    ]);
    expect(
      (await tables.paymentItems(payment.transactionId)).filter((i) => i.sk === 'PAYMENT'),
    ).toHaveLength(1);
    expect(await tables.charge(payment.transactionId)).not.toHaveProperty(UNFINALIZED_ATTRIBUTE);

    // The recovery, in another function and seconds later, joins the original request's trace.
    await waitForLogs(
      (r) =>
        r.correlation_id === correlationId &&
        r.action === 'payment.reconcile' &&
        String(r.function_name).includes('paymentRelay'),
      (rs) => rs.some((r) => r.outcome === 'success'),
    );

    // A late retry by the client changes nothing: same payment, still one notification.
    const retried = await api('POST', '/payments', { body: payment });
    expect(retried.status).toBe(201);
    expect(retried.body.status).toBe('SUCCEEDED');
    expect(
      (await tables.paymentItems(payment.transactionId)).filter((i) =>
        String(i.sk).startsWith('EVENT#'),
      ),
    ).toHaveLength(2);
    expect(await sentNotifications(order.userId)).toHaveLength(1);
  });
});
