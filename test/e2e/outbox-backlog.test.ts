import { describe, expect, it } from 'vitest';
import { tables } from '../integration/payment-fixtures.js';
import { api, uniqueId } from '../support/http.js';
import { orderStatus, relayUntil, runRelay } from '../support/relay.js';

// A backlog, as an outage of the order and notification services leaves it:
// every payment's fast path fails both deliveries (x-fault-inject), a relay
// run meets the outage still going on (its own faults, as chaos's do), and
// then the relay drains it: nothing DEAD, every order PAID, each user
// notified once. Over serverless-offline, with the test stage's engine
// settings (8 deliveries in flight, 32 events a listing).

const PAYMENTS = 16;

interface Paid {
  orderId: string;
  userId: string;
  transactionId: string;
}

/** Creates an order and pays it while order and notification answer 503 to the fast path. */
async function payDuringOutage(): Promise<Paid> {
  const order = {
    orderId: uniqueId('order'),
    userId: uniqueId('user'),
    amount: 12.5,
    currency: 'USD',
  };
  expect((await api('POST', '/orders', { body: order })).status).toBe(201);
  const payment = { transactionId: uniqueId('tx-backlog'), ...order };
  const paid = await api('POST', '/payments', {
    body: payment,
    headers: { 'x-fault-inject': 'order=status:503,notification=status:503' },
  });
  expect(paid.status).toBe(201);
  expect(paid.body.status).toBe('SUCCEEDED');
  return { orderId: order.orderId, userId: order.userId, transactionId: payment.transactionId };
}

/** The outbox events of these payments, read from the table (outbox items, else the payment's record). */
async function eventsOf(paid: Paid[]) {
  return (await Promise.all(paid.map((p) => tables.paymentEvents(p.transactionId)))).flat();
}

describe('Recovery of an outbox backlog', () => {
  it('drains the deliveries an outage left behind with the relay: nothing DEAD, every order PAID, each user notified once', async () => {
    const paid: Paid[] = [];
    for (let i = 0; i < PAYMENTS; i += 4) {
      paid.push(...(await Promise.all(Array.from({ length: 4 }, payDuringOutage))));
    }
    const backlog = await eventsOf(paid);
    expect(backlog).toHaveLength(2 * PAYMENTS);
    expect(backlog.every((e) => e.status === 'PENDING')).toBe(true);

    // The outage goes on for one relay run: every attempt fails, none is parked.
    const during = await runRelay({ faults: 'order=status:503,notification=status:503' });
    expect(during).toMatchObject({ delivered: 0, failed: false });
    const after = await eventsOf(paid);
    expect(after.every((e) => e.status === 'PENDING')).toBe(true);

    // The services are back: the relay drains it.
    const runs = await relayUntil(
      async () => (await eventsOf(paid)).every((e) => e.status !== 'PENDING'),
      60_000,
    );
    const drained = await eventsOf(paid);
    expect(drained.filter((e) => e.status === 'DEAD')).toEqual([]);
    expect(drained.every((e) => e.status === 'DELIVERED')).toBe(true);
    expect(runs.reduce((sum, run) => sum + run.delivered, 0)).toBeGreaterThanOrEqual(2 * PAYMENTS);
    expect(runs.every((run) => !run.failed)).toBe(true);

    for (const p of paid) expect(await orderStatus(p.orderId, 'PAID')).toBe('PAID');
    for (const p of paid) {
      const listed = await api('GET', `/notifications?userId=${p.userId}`);
      const sent = (listed.body.items as Array<{ status: string }>).filter(
        (n) => n.status === 'SENT',
      );
      expect(sent).toHaveLength(1);
    }
  });
});
