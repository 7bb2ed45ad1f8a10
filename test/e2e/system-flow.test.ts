import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { tables } from '../integration/payment-fixtures.js';
import { api, uniqueId } from '../support/http.js';
import { rawLogs, waitForLogs } from '../support/logs.js';
import { orderStatus, redrive, relayUntil } from '../support/relay.js';

// The whole system over serverless-offline: payment → order (the hold, PUT
// status) and notification, straight to their functions through offline's
// Lambda invoke API (lib/http/lambda-invoke.ts), as in AWS.

async function newOrder(overrides: Record<string, unknown> = {}) {
  const order = {
    orderId: uniqueId('order'),
    userId: uniqueId('user'),
    amount: 125.5,
    currency: 'USD',
    ...overrides,
  };
  const created = await api('POST', '/orders', { body: order });
  expect(created.status).toBe(201);
  return order;
}

function paymentFor(order: { orderId: string; userId: string; amount: number; currency: string }) {
  return { transactionId: uniqueId('tx'), ...order };
}

/**
 * The order once it shows `status`: GET /orders is read through a short cache
 * (ORDER_CACHE_TTL_MS) in each container, so a write made by another function
 * shows within that TTL, not at once.
 */
async function orderReaching(orderId: string, status: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await api('GET', `/orders/${orderId}`);
    if (shown.body.status === status || Date.now() > deadline) return shown.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function notificationsOf(userId: string) {
  const listed = await api('GET', `/notifications?userId=${userId}`);
  expect(listed.status).toBe(200);
  return listed.body.items as Array<{ status: string; eventId?: string }>;
}

async function eventStates(transactionId: string) {
  const shown = await api('GET', `/payments/${transactionId}`);
  return Object.fromEntries(
    (shown.body.events as Array<{ type: string; status: string }>).map((e) => [e.type, e.status]),
  );
}

describe('A payment through all three services', () => {
  it('marks the order PAID and notifies the user once, all under one correlation id', async () => {
    const order = await newOrder();
    const clientId = uniqueId('sys-corr');
    const paid = await api('POST', '/payments', {
      body: paymentFor(order),
      headers: { 'x-correlation-id': clientId },
    });
    expect(paid.status).toBe(201);
    // The payment service made the request's id (its caller is public) and
    // passed it on: the order and notification services took it from a
    // verified caller.
    const correlationId = paid.headers.get('x-correlation-id') ?? '';
    expect(correlationId).not.toBe(clientId);
    expect(paid.body.correlationId).toBe(correlationId);
    expect(paid.body.status).toBe('SUCCEEDED');
    expect(paid.body.events.map((e: { status: string }) => e.status)).toEqual([
      'DELIVERED',
      'DELIVERED',
    ]);

    const shown = await api('GET', `/orders/${order.orderId}`);
    expect(shown.body).toMatchObject({ status: 'PAID', version: 2 });
    const sent = await notificationsOf(order.userId);
    expect(sent.filter((n) => n.status === 'SENT')).toHaveLength(1);

    const history = await api('GET', `/orders/${order.orderId}/history`);
    const change = history.body.entries.find((e: { newStatus?: string }) => e.newStatus === 'PAID');
    expect(change).toMatchObject({ correlationId, caller: 'payment', outcome: 'applied' });

    // Every service logged this request with the same correlation id.
    const lines = await waitForLogs(
      (r) => r.correlation_id === correlationId && r.action === 'http.request',
      // The payment's, the order's (hold and status) and the notification's.
      (rs) => rs.length >= 4 && new Set(rs.map((r) => r.service)).size === 3,
    );
    for (const line of lines) {
      expect(line).toMatchObject({
        timestamp: expect.any(String),
        level: expect.any(String),
        function_name: expect.any(String),
        cold_start: expect.any(Boolean),
        outcome: 'success',
        durationMs: expect.any(Number),
      });
    }

    // Each access line carries the business ids its service knows.
    const byService = Object.fromEntries(lines.map((l) => [l.service, l]));
    expect(byService.payment).toMatchObject({ orderId: order.orderId, userId: order.userId });
    expect(byService.order).toMatchObject({ orderId: order.orderId });
    expect(byService.notification).toMatchObject({ userId: order.userId });
    // The payment's calls came through the Lambda Invoke API, not API Gateway:
    // every order and notification line of this request says so, and says who called.
    const internal = lines.filter((l) => l.service !== 'payment');
    expect(internal.map((l) => l.route).sort()).toEqual([
      'POST /notifications',
      'PUT /orders/{orderId}/payment',
      'PUT /orders/{orderId}/status',
    ]);
    for (const line of internal) {
      expect(line, String(line.route)).toMatchObject({ via: 'lambda-invoke', caller: 'payment' });
    }
    expect(byService.payment?.via).toBeUndefined();

    // `npm run trace` prints that path from the same log file, in time order.
    const trace = spawnSync(
      process.execPath,
      ['scripts/trace.mjs', correlationId, inject('logFile')],
      {
        encoding: 'utf8',
      },
    );
    expect(trace.status).toBe(0);
    const steps = trace.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    const services = steps.map((l) => l.split(/\s+/)[2]?.split('/')[0]);
    expect(new Set(services)).toEqual(new Set(['payment', 'order', 'notification']));
    const times = steps.map((l) => Date.parse(l.split(' ')[0] ?? ''));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // The order decides first (step 1b: its hold, told at INFO by the hold's
    // own request line), and the payment answers last: its access line closes it.
    expect(steps[0]).toMatch(/order\/\S*orderHold\s+http\.request\s+success/);
    expect(steps.at(-1)).toMatch(/payment\/\S+\s+http\.request\s+success/);

    // No token or signature ever reaches the logs.
    const logs = rawLogs();
    expect(logs).not.toMatch(/Bearer\s/);
    expect(logs).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  });

  it('marks the order PAYMENT_FAILED when the gateway declines', async () => {
    // The simulator declines amounts whose minor units end in 51.
    const order = await newOrder({ amount: 10.51 });
    const paid = await api('POST', '/payments', { body: paymentFor(order) });
    expect(paid.status).toBe(201);
    expect(paid.body.status).toBe('FAILED');
    const shown = await api('GET', `/orders/${order.orderId}`);
    expect(shown.body.status).toBe('PAYMENT_FAILED');
  });

  it('delivers later through the relay when the order service fails, with the original correlation id', async () => {
    const order = await newOrder();
    const payment = paymentFor(order);
    const paid = await api('POST', '/payments', {
      body: payment,
      headers: { 'x-correlation-id': uniqueId('relay-corr'), 'x-fault-inject': 'order=status:503' },
    });
    expect(paid.status).toBe(201);
    const correlationId = paid.headers.get('x-correlation-id');
    expect(await eventStates(payment.transactionId)).toEqual({
      'order.status': 'PENDING',
      'notification.send': 'DELIVERED',
    });
    expect((await api('GET', `/orders/${order.orderId}`)).body.status).toBe('PENDING');

    await relayUntil(
      async () => (await eventStates(payment.transactionId))['order.status'] === 'DELIVERED',
    );
    expect(await orderStatus(order.orderId, 'PAID')).toBe('PAID');
    expect((await notificationsOf(order.userId)).filter((n) => n.status === 'SENT')).toHaveLength(
      1,
    );

    // The relay's delivery, seconds later and in another function, carries the original id.
    const relayLines = await waitForLogs(
      (r) => r.correlation_id === correlationId && String(r.function_name).includes('paymentRelay'),
      (rs) => rs.some((r) => r.outcome === 'success'),
    );
    expect(relayLines.length).toBeGreaterThan(0);
    await waitForLogs(
      (r) =>
        r.correlation_id === correlationId && r.service === 'order' && r.action === 'http.request',
      (rs) => rs.some((r) => r.outcome === 'success'),
    );
  });

  it('charges once after a crash after charging, and the retry completes every effect', async () => {
    const order = await newOrder();
    const payment = paymentFor(order);
    const crashed = await api('POST', '/payments', {
      body: payment,
      headers: { 'x-fault-inject': 'payment=crash-after-charge' },
    });
    expect(crashed.status).toBe(500);
    expect(crashed.text).not.toMatch(/at .*\.ts|stack/i);
    expect(await tables.charge(payment.transactionId)).toMatchObject({ state: 'PENDING' });
    const charged = await tables.gatewayLedger(payment.transactionId);
    expect(charged).toBeDefined();

    const retried = await api('POST', '/payments', { body: payment });
    expect(retried.status).toBe(201);
    expect(retried.body.status).toBe('SUCCEEDED');
    expect((await api('GET', `/orders/${order.orderId}`)).body.status).toBe('PAID');
    const charges = (await tables.paymentItems(payment.transactionId)).filter(
      (i) => i.sk === 'PAYMENT',
    );
    expect(charges).toHaveLength(1);
    // The retry asked the gateway again under the same key: its first charge stands.
    expect(await tables.gatewayLedger(payment.transactionId)).toEqual(charged);
  });

  it('parks an event DEAD only when the order refuses it for good, and an operator re-drive delivers it', async () => {
    const order = await newOrder();
    const payment = paymentFor(order);
    // A 409 of our own contract cannot be fixed by retrying: the event is parked, visibly.
    const paid = await api('POST', '/payments', {
      body: payment,
      headers: { 'x-fault-inject': 'order=status:409' },
    });
    expect(paid.status).toBe(201);
    expect(await eventStates(payment.transactionId)).toMatchObject({ 'order.status': 'DEAD' });

    const redriven = await redrive(payment.transactionId);
    expect(redriven).toMatchObject({ failed: false, redriven: [expect.any(String)] });
    await relayUntil(
      async () => (await eventStates(payment.transactionId))['order.status'] === 'DELIVERED',
    );
    expect(await orderStatus(order.orderId, 'PAID')).toBe('PAID');
  });

  it('delivers through the relay, with no operator, when the order answers 403 for a while', async () => {
    const order = await newOrder();
    const payment = paymentFor(order);
    const paid = await api('POST', '/payments', {
      body: payment,
      headers: { 'x-fault-inject': 'order=status:403' },
    });
    expect(paid.status).toBe(201);
    expect(await eventStates(payment.transactionId)).toMatchObject({ 'order.status': 'PENDING' });
    await relayUntil(
      async () => (await eventStates(payment.transactionId))['order.status'] === 'DELIVERED',
    );
    expect(await orderStatus(order.orderId, 'PAID')).toBe('PAID');
  });
});

describe('The order is the arbiter of its payment', () => {
  it('charges nothing for an order that does not exist (422), and pays the same transactionId once it does', async () => {
    const order = {
      orderId: uniqueId('order'),
      userId: uniqueId('user'),
      amount: 20,
      currency: 'USD',
    };
    const payment = paymentFor(order);
    const missing = await api('POST', '/payments', { body: payment });
    expect(missing.status).toBe(422);
    expect(missing.body.error.code).toBe('ORDER_NOT_FOUND');
    expect(await tables.charge(payment.transactionId)).toBeUndefined();

    expect((await api('POST', '/orders', { body: order })).status).toBe(201);
    const paid = await api('POST', '/payments', { body: payment });
    expect(paid.status).toBe(201);
    expect(paid.headers.get('idempotent-replayed')).toBeNull();
    expect((await api('GET', `/orders/${order.orderId}`)).body).toMatchObject({
      status: 'PAID',
      paidBy: payment.transactionId,
    });
  });

  it.each([
    ['a smaller amount', { amount: 0.01 }, ['amount']],
    [
      'another user in another currency',
      { userId: 'mallory', amount: 1, currency: 'JPY' },
      ['userId', 'amount', 'currency'],
    ],
  ])(
    'refuses %s with 422 ORDER_MISMATCH naming each field, and charges nothing',
    async (_what, change, fields) => {
      const order = await newOrder();
      const payment = { ...paymentFor(order), ...change };
      const refused = await api('POST', '/payments', { body: payment });
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('ORDER_MISMATCH');
      expect(refused.body.error.details.map((d: { field: string }) => d.field)).toEqual(fields);
      expect(await tables.charge(payment.transactionId)).toBeUndefined();
      expect((await api('GET', `/orders/${order.orderId}`)).body.status).toBe('PENDING');
    },
  );

  it('charges one of two transactionIds racing for one order; the other is told to wait, then that the order is paid', async () => {
    const order = await newOrder();
    const [a, b] = [paymentFor(order), paymentFor(order)];
    const answers = await Promise.all(
      [a, b].map((p) =>
        api('POST', '/payments', { body: p, headers: { 'x-fault-inject': 'gateway=delay:500' } }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409]);
    const loser = answers.find((r) => r.status === 409);
    // Told to wait while the winner holds the order, or that it is paid if the winner was that quick.
    expect(['ORDER_PAYMENT_IN_PROGRESS', 'ORDER_NOT_PAYABLE']).toContain(loser?.body.error.code);
    if (loser?.body.error.code === 'ORDER_PAYMENT_IN_PROGRESS') {
      expect(Number(loser?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    const charged: (typeof a)[] = [];
    for (const p of [a, b]) {
      if ((await tables.charge(p.transactionId))?.state === 'SUCCEEDED') charged.push(p);
    }
    expect(charged).toHaveLength(1);
    const loserTx = [a, b].find((p) => p !== charged[0]);
    const again = await api('POST', '/payments', { body: loserTx });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ORDER_NOT_PAYABLE');
    expect((await api('GET', `/orders/${order.orderId}`)).body).toMatchObject({
      status: 'PAID',
      paidBy: charged[0]?.transactionId,
    });
  });

  it('lets a declined order be paid by a new transactionId with its own amount', async () => {
    const order = await newOrder();
    const declined = await api('POST', '/payments', {
      body: paymentFor(order),
      headers: { 'x-fault-inject': 'gateway=decline' },
    });
    expect(declined.status).toBe(201);
    expect(declined.body.status).toBe('FAILED');
    expect((await api('GET', `/orders/${order.orderId}`)).body.status).toBe('PAYMENT_FAILED');

    const retry = paymentFor(order);
    const paid = await api('POST', '/payments', { body: retry });
    expect(paid.status).toBe(201);
    expect(paid.body.status).toBe('SUCCEEDED');
    expect(await orderReaching(order.orderId, 'PAID')).toMatchObject({
      status: 'PAID',
      paidBy: retry.transactionId,
    });
    expect(paid.body.events.map((e: { status: string }) => e.status)).toEqual([
      'DELIVERED',
      'DELIVERED',
    ]);
  });
});
