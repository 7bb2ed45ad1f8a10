import { describe, expect, it } from 'vitest';
import { DownstreamError } from '../../lib/shared/internal-client.js';
import { commandsOf } from '../support/dynamo-commands.js';
import { uniqueId } from '../support/http.js';
import {
  paymentBody,
  paymentHarness,
  pendingGuard,
  REMAINING_MS,
  tables,
} from './payment-fixtures.js';

describe('POST /payments against DynamoDB Local', () => {
  it('charges once when the same transactionId arrives 20 times at once', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    // A slow gateway keeps the first request in flight while the others arrive.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        harness.postPayment(body, { 'x-fault-inject': 'gateway=delay:500' }),
      ),
    );

    const firsts = answers.filter((a) => a.status === 201 && !a.headers['Idempotent-Replayed']);
    const replays = answers.filter((a) => a.status === 201 && a.headers['Idempotent-Replayed']);
    const inFlight = answers.filter((a) => a.status === 409);
    expect(firsts).toHaveLength(1);
    expect(replays.length + inFlight.length).toBe(19);
    for (const conflict of inFlight) {
      expect(conflict.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      // The rest of the holder's time (its Lambda context), not a constant.
      const retryAfter = Number(conflict.headers['Retry-After']);
      expect(retryAfter).toBeGreaterThan(1);
      expect(retryAfter).toBeLessThanOrEqual(REMAINING_MS / 1000);
    }
    for (const replay of replays) expect(replay.body).toEqual(firsts[0]?.body);
    expect(harness.gateway.calls).toBe(1);
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'SUCCEEDED' });
    expect(await tables.paymentEvents(body.transactionId)).toHaveLength(2);
  });

  it('charges once and replays the same body when the request is repeated 100 times', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    const first = await harness.postPayment(body);
    expect(first.status).toBe(201);
    expect(first.headers['Idempotent-Replayed']).toBeUndefined();
    for (let i = 0; i < 99; i += 1) {
      const repeat = await harness.postPayment(body);
      expect(repeat.status).toBe(201);
      expect(repeat.headers['Idempotent-Replayed']).toBe('true');
      expect(repeat.body).toEqual(first.body);
    }
    expect(harness.gateway.calls).toBe(1);
    expect(harness.sent).toHaveLength(2);
    expect(await tables.paymentEvents(body.transactionId)).toHaveLength(2);
  });

  it('refuses a reused transactionId with another payload with 422 and changes nothing', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    await harness.postPayment(body);
    const chargeBefore = await tables.charge(body.transactionId);
    const itemsBefore = await tables.paymentItems(body.transactionId);

    const mismatch = await harness.postPayment({ ...body, amount: 99.99 });

    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await tables.charge(body.transactionId)).toEqual(chargeBefore);
    expect(await tables.paymentItems(body.transactionId)).toEqual(itemsBefore);
    expect(harness.gateway.calls).toBe(1);
  });

  it('refuses a reused transactionId with another payload even after its idempotency record is gone', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    await harness.postPayment(body);
    await tables.deleteIdempotencyRecord(body.transactionId);

    const mismatch = await harness.postPayment({ ...body, amount: 99.99 });

    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await tables.charge(body.transactionId)).toMatchObject({ amountMinor: 12550 });
    expect(harness.gateway.calls).toBe(1);
  });

  it('charges once when the function crashes after the charge and the retry finds no idempotency record', async () => {
    const harness = paymentHarness();
    const body = paymentBody();

    const crashed = await harness.postPayment(body, {
      'x-fault-inject': 'payment=crash-after-charge',
    });
    expect(crashed.status).toBe(500);
    expect(crashed.body.error).toEqual({
      code: 'INTERNAL_ERROR',
      message: 'Internal error',
      details: [],
    });
    expect(crashed.raw).not.toMatch(/at .*\.ts|stack/i);
    // The gateway's answer is recorded by the finalizing transaction, which never ran:
    // the charge guard still says PENDING, so nothing may charge under another key.
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'PENDING' });
    expect(await tables.paymentItems(body.transactionId)).toHaveLength(0);
    // Powertools released the key on the error; delete it anyway, as an expired record would be.
    expect(await tables.idempotencyRecord(body.transactionId)).toBeUndefined();
    await tables.deleteIdempotencyRecord(body.transactionId);

    const retried = await harness.postPayment(body);

    expect(retried.status).toBe(201);
    expect(retried.body.status).toBe('SUCCEEDED');
    // The retry asked the gateway again under the same key, and got the first answer back.
    expect(harness.gateway.calls).toBe(2);
    expect([...harness.gateway.charges.keys()]).toEqual([body.transactionId]);
    expect(await tables.charge(body.transactionId)).toMatchObject({
      state: 'SUCCEEDED',
      gatewayReference: `sim_${body.transactionId}`,
    });
    expect(await tables.paymentEvents(body.transactionId)).toHaveLength(2);
    expect(harness.sent).toHaveLength(2);
  });

  it('charges once when a request died after writing its record and guard, and the retry finds only the guard', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    // What a request leaves when it dies after its first write, once its record has expired.
    await harness.charges.begin(pendingGuard(body));
    let retried: Awaited<ReturnType<typeof harness.postPayment>> | undefined;
    const commands = await commandsOf(harness.doc, async () => {
      retried = await harness.postPayment(body);
    });
    expect(retried?.status).toBe(201);
    expect(retried?.body.status).toBe('SUCCEEDED');
    // The record, then the reuse check finds the guard: no second guard is written.
    expect(commands.slice(0, 3)).toEqual(['PutItemCommand', 'GetItemCommand', 'UpdateItemCommand']);
    expect(harness.gateway.calls).toBe(1);
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'SUCCEEDED' });
    expect(await tables.paymentEvents(body.transactionId)).toHaveLength(2);
  });

  it('neither charges nor emits again when a finished payment is retried after its idempotency record expired', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    const first = await harness.postPayment(body);
    await tables.deleteIdempotencyRecord(body.transactionId);

    const again = await harness.postPayment(body);

    expect(again.status).toBe(201);
    expect(again.body.status).toBe('SUCCEEDED');
    expect(again.body.events).toEqual(first.body.events);
    expect(harness.gateway.calls).toBe(1);
    expect(harness.sent).toHaveLength(2);
    expect(await tables.paymentEvents(body.transactionId)).toHaveLength(2);
  });

  it('does not leave the key stuck when the gateway fails before charging', async () => {
    const harness = paymentHarness();
    const body = paymentBody();

    const failed = await harness.postPayment(body, { 'x-fault-inject': 'gateway=unavailable' });
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe('GATEWAY_UNAVAILABLE');
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'PENDING' });

    const retried = await harness.postPayment(body);

    expect(retried.status).toBe(201);
    expect(retried.headers['Idempotent-Replayed']).toBeUndefined();
    expect(retried.body.status).toBe('SUCCEEDED');
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'SUCCEEDED' });
  });

  it('answers a declined charge with a final FAILED payment and a PAYMENT_FAILED order event', async () => {
    const harness = paymentHarness();
    const body = paymentBody({ amount: 10.51 });

    const declined = await harness.postPayment(body);

    expect(declined.status).toBe(201);
    expect(declined.body).toMatchObject({
      status: 'FAILED',
      failureReason: 'insufficient_funds',
      amount: 10.51,
      amountMinor: 1051,
    });
    const order = harness.sent.find((r) => r.service === 'order');
    expect(order?.body).toMatchObject({ status: 'PAYMENT_FAILED', reason: 'insufficient_funds' });
    const replay = await harness.postPayment(body);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(replay.body.status).toBe('FAILED');
  });

  it('delivers each event once, with its eventId as idempotency key and the correlation id', async () => {
    const harness = paymentHarness();
    const body = paymentBody();

    const created = await harness.postPayment(body, { 'x-correlation-id': 'corr-payment-0001' });
    // A public caller's id is recorded beside ours; ours is what travels on.
    const correlationId = created.headers['x-correlation-id'];
    expect(correlationId).not.toBe('corr-payment-0001');
    expect(created.headers['x-client-correlation-id']).toBe('corr-payment-0001');

    expect(created.body.events).toHaveLength(2);
    for (const event of created.body.events) {
      expect(event).toMatchObject({ status: 'DELIVERED', attempts: 1 });
    }
    const order = harness.sent.find((r) => r.service === 'order');
    const notification = harness.sent.find((r) => r.service === 'notification');
    expect(order).toMatchObject({
      method: 'PUT',
      path: `/orders/${body.orderId}/status`,
      correlationId,
    });
    expect(order?.body).toEqual({
      status: 'PAID',
      eventId: order?.idempotencyKey,
      transactionId: body.transactionId,
    });
    expect(notification).toMatchObject({ method: 'POST', path: '/notifications' });
    expect(notification?.body).toMatchObject({
      userId: body.userId,
      eventId: notification?.idempotencyKey,
    });
    expect((notification?.body as { message?: string } | undefined)?.message).toContain(
      body.transactionId,
    );
  });

  it('leaves events PENDING for the relay when the consumers fail transiently, and parks a permanent refusal as DEAD', async () => {
    const harness = paymentHarness();
    harness.answerWith(async (request) => {
      if (request.service === 'order') {
        throw new DownstreamError('order', 'order answered 503', { transient: true, status: 503 });
      }
      return { status: 400, body: {}, attempts: 1 };
    });
    const before = Date.now();

    const created = await harness.postPayment(paymentBody());

    expect(created.status).toBe(201);
    const byType = Object.fromEntries(created.body.events.map((e: any) => [e.type, e]));
    expect(byType['order.status']).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(byType['order.status'].lastError).toContain('503');
    // Rescheduled by the delivery engine's own backoff: its first step, up to 1 s (full jitter).
    const next = Date.parse(byType['order.status'].nextAttemptAt);
    expect(next).toBeGreaterThanOrEqual(before);
    expect(next).toBeLessThanOrEqual(Date.now() + 1000);
    expect(byType['notification.send']).toMatchObject({ status: 'DEAD', attempts: 1 });
  });

  it('keeps events PENDING when a consumer answers 501 (a route not deployed yet)', async () => {
    const harness = paymentHarness();
    harness.answerWith(async () => ({ status: 501, body: {}, attempts: 1 }));

    const created = await harness.postPayment(paymentBody());

    expect(created.body.events.map((e: any) => e.status)).toEqual(['PENDING', 'PENDING']);
  });

  it('refuses a bad body with 400 naming each bad field and writes nothing', async () => {
    const harness = paymentHarness();
    const transactionId = uniqueId('tx');

    const refused = await harness.postPayment({
      transactionId,
      orderId: 'has spaces',
      userId: '',
      amount: 10.005,
      currency: 'usd',
    });

    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    const fields = refused.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['orderId', 'userId', 'currency']));
    expect(await tables.charge(transactionId)).toBeUndefined();
    expect(await tables.idempotencyRecord(transactionId)).toBeUndefined();
    expect(harness.gateway.calls).toBe(0);
  });

  it('refuses an amount with too many decimals for its currency, naming amount', async () => {
    const harness = paymentHarness();
    const refused = await harness.postPayment(paymentBody({ amount: 100.5, currency: 'JPY' }));
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ field: 'amount' })]);
  });
});

describe('GET /payments/{transactionId} against DynamoDB Local', () => {
  it('answers 404 in the error format for an unknown transaction', async () => {
    const answer = await paymentHarness().getPayment(uniqueId('tx'));
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('PAYMENT_NOT_FOUND');
  });

  it('shows the payment, its charge and each event with its delivery state', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    await harness.postPayment(body);

    const answer = await harness.getPayment(body.transactionId);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      transactionId: body.transactionId,
      status: 'SUCCEEDED',
      amount: 125.5,
      amountMinor: 12550,
      charge: { state: 'SUCCEEDED', resultSource: 'gateway' },
    });
    expect(answer.body.events).toHaveLength(2);
    for (const event of answer.body.events) {
      expect(event).toMatchObject({ status: 'DELIVERED', attempts: 1 });
      expect(event.deliveredAt).toBeTruthy();
    }
  });

  it('shows a charge whose result is not final yet as PROCESSING', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    await harness.postPayment(body, { 'x-fault-inject': 'gateway=unavailable' });

    const answer = await harness.getPayment(body.transactionId);

    expect(answer.body).toMatchObject({ status: 'PROCESSING', charge: { state: 'PENDING' } });
  });

  it("keeps a new payment's events from the relay while its own request delivers them", async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    const dueDuringDelivery: string[][] = [];
    harness.answerWith(async () => {
      // A scheduled relay run landing now must not see these events as due.
      const due = await harness.outbox.listDue(new Date(), 100);
      dueDuringDelivery.push(
        due.filter((e) => e.transactionId === body.transactionId).map((e) => e.eventId),
      );
      return { status: 200, body: {}, attempts: 1 };
    });
    expect((await harness.postPayment(body)).status).toBe(201);
    expect(dueDuringDelivery).toEqual([[], []]);
  });

  it('makes every write a plain one (a transaction bills each item twice), and a replay reads the response back', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    let created: Awaited<ReturnType<typeof harness.postPayment>> | undefined;
    const commands = await commandsOf(harness.doc, async () => {
      created = await harness.postPayment(body);
    });
    // Powertools' record (its own write); the reuse check before the order
    // is asked (1 read unit); the charge guard; the gateway's answer on the
    // charge; the final payment with its events; their deliveries recorded on
    // it; the charge off the reconciler's list; the record's completion (the
    // order's hold and the deliveries are HTTP calls, faked here).
    expect(commands).toEqual([
      'PutItemCommand',
      'GetItemCommand',
      'PutItemCommand',
      'UpdateItemCommand',
      'PutItemCommand',
      'UpdateItemCommand',
      'UpdateItemCommand',
      'UpdateItemCommand',
    ]);
    expect(created?.status).toBe(201);
    const events = await tables.paymentEvents(body.transactionId);
    expect(events).toHaveLength(2);
    for (const event of events) {
      // Recorded on the payment item: no outbox item, no index entry.
      expect(event).toMatchObject({ status: 'DELIVERED', attempts: 1, inOutbox: false });
    }
    expect(await tables.paymentItems(body.transactionId)).toHaveLength(1);
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'SUCCEEDED' });
    expect(await tables.charge(body.transactionId)).not.toHaveProperty('unfinalized');
    expect(await tables.idempotencyRecord(body.transactionId)).toMatchObject({
      status: 'COMPLETED',
    });
    let replay: Awaited<ReturnType<typeof harness.postPayment>> | undefined;
    // A replay is one request: Powertools' first write, refused, brings the stored answer.
    expect(
      await commandsOf(harness.doc, async () => {
        replay = await harness.postPayment(body);
      }),
    ).toEqual(['PutItemCommand']);
    expect(replay?.headers['Idempotent-Replayed']).toBe('true');
    expect(replay?.body).toEqual(created?.body);
  });

  it('puts an event its request could not deliver in the outbox, for the relay, and records the other on the payment', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    harness.answerWith(async (request) =>
      request.service === 'notification'
        ? Promise.reject(
            new DownstreamError('notification', 'notification answered 503', {
              transient: true,
              status: 503,
            }),
          )
        : { status: 200, body: {}, attempts: 1 },
    );
    const created = await harness.postPayment(body);
    expect(created.status).toBe(201);
    const events = await tables.paymentEvents(body.transactionId);
    expect(events.map((e) => [e.type, e.status, e.attempts, e.inOutbox])).toEqual([
      ['notification.send', 'PENDING', 1, true],
      ['order.status', 'DELIVERED', 1, false],
    ]);
    expect(events[0]?.outboxStatus).toMatch(/^PENDING#/);
    // Handed over: the charge is off the reconciler's list, the relay has the rest.
    expect(await tables.charge(body.transactionId)).not.toHaveProperty('unfinalized');
    expect(created.body.events).toEqual([
      expect.objectContaining({ type: 'notification.send', status: 'PENDING', attempts: 1 }),
      expect.objectContaining({ type: 'order.status', status: 'DELIVERED', attempts: 1 }),
    ]);
  });

  it('marks the outbox too when the reconciler handed the events over while the request delivered them', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    let handedOver = 0;
    harness.answerWith(async (request) => {
      if (handedOver === 0 && request.service === 'order') {
        // A reconciler run takes the payment for abandoned meanwhile (a late callback's race).
        handedOver = (await harness.payments.handOver(body.transactionId, new Date())).length;
        await harness.charges.unlist(body.transactionId);
      }
      return { status: 200, body: {}, attempts: 1 };
    });
    const created = await harness.postPayment(body);
    expect(created.status).toBe(201);
    expect(handedOver).toBe(2);
    expect(await tables.idempotencyRecord(body.transactionId)).toMatchObject({
      status: 'COMPLETED',
    });
    // Both delivered, and marked where the relay would look: it delivers neither again.
    const events = await tables.paymentEvents(body.transactionId);
    expect(events.map((e) => [e.status, e.attempts, e.inOutbox])).toEqual([
      ['DELIVERED', 1, true],
      ['DELIVERED', 1, true],
    ]);
    const replay = await harness.postPayment(body);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(replay.body).toEqual(created.body);
  });

  it('marks the delivered events even when the completion fails, and the record stays in progress', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    const name = uniqueId('fail');
    // The completion's transaction and then Powertools' own update both fail (a throttle).
    harness.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TransactItems?: unknown[]; TableName?: string };
        const idempotency = process.env.IDEMPOTENCY_TABLE;
        const touchesRecord =
          (context.commandName === 'TransactWriteItemsCommand' &&
            JSON.stringify(input.TransactItems ?? []).includes(`"TableName":"${idempotency}"`)) ||
          (context.commandName === 'UpdateItemCommand' && input.TableName === idempotency);
        if (touchesRecord) {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    let created: Awaited<ReturnType<typeof harness.postPayment>>;
    try {
      created = await harness.postPayment(body);
    } finally {
      harness.doc.middlewareStack.remove(name);
    }
    // The client is told to come back; the payment itself is final, its events delivered and marked.
    expect(created.status).toBe(503);
    expect(Number(created.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(created.raw).not.toContain('Rate exceeded');
    const events = await tables.paymentEvents(body.transactionId);
    expect(events.map((e) => e.status)).toEqual(['DELIVERED', 'DELIVERED']);
    expect(await tables.idempotencyRecord(body.transactionId)).toMatchObject({
      status: 'INPROGRESS',
    });
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'SUCCEEDED' });
    // A retry before the holder's deadline waits; nothing is charged again meanwhile.
    const retried = await harness.postPayment(body);
    expect(retried.status).toBe(409);
    expect(retried.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(harness.gateway.calls).toBe(1);
  });

  it('still marks the delivered events when idempotency is switched off (POWERTOOLS_IDEMPOTENCY_DISABLED)', async () => {
    const previous = process.env.POWERTOOLS_IDEMPOTENCY_DISABLED;
    process.env.POWERTOOLS_IDEMPOTENCY_DISABLED = 'true';
    let harness: ReturnType<typeof paymentHarness>;
    try {
      harness = paymentHarness();
    } finally {
      if (previous === undefined) delete process.env.POWERTOOLS_IDEMPOTENCY_DISABLED;
      else process.env.POWERTOOLS_IDEMPOTENCY_DISABLED = previous;
    }
    const body = paymentBody();
    const created = await harness.postPayment(body);
    expect(created.status).toBe(201);
    expect(await tables.idempotencyRecord(body.transactionId)).toBeUndefined();
    // No record to ride on: the charge wrote its guard itself.
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'SUCCEEDED' });
    const events = await tables.paymentEvents(body.transactionId);
    expect(events.map((e) => e.status)).toEqual(['DELIVERED', 'DELIVERED']);
  });
});
