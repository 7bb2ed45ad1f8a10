import { describe, expect, it } from 'vitest';
import { commandsOf } from '../support/dynamo-commands.js';
import { uniqueId } from '../support/http.js';
import {
  type Answer,
  paymentBody as basePaymentBody,
  expectConfirmedOnce,
  paymentHarness,
  signature,
  tables,
} from './payment-fixtures.js';

const paymentBody = () => basePaymentBody({ amount: 42, currency: 'EUR' });

function callbackBody(transactionId: string, status: 'succeeded' | 'failed' = 'succeeded') {
  return JSON.stringify({ transactionId, status, gatewayReference: `sim_${transactionId}` });
}

describe('POST /payments/callback against DynamoDB Local', () => {
  it("joins the charging request's correlation id: the payment and its events carry it, not the callback's", async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    const lost = await harness.postPayment(body, {
      'x-fault-inject': 'gateway=timeout',
      'x-correlation-id': 'corr-first-request-0001',
    });
    expect(lost.status).toBe(503);
    const first = lost.headers['x-correlation-id'];
    expect(first).toBeTruthy();
    const raw = callbackBody(body.transactionId);
    const callback = await harness.postCallback(raw, {
      ...signature(raw),
      'x-correlation-id': 'corr-gateway-callback-0001',
    });
    expect(callback.status).toBe(200);
    // One item: the payment, with the record of its events (delivered, so in no outbox item).
    const items = await tables.paymentItems(body.transactionId);
    expect(items).toHaveLength(1);
    expect(items[0]?.correlationId).toBe(first);
    const stored = await harness.payments.get(body.transactionId);
    expect(stored?.events.map((e) => [e.status, e.correlationId])).toEqual([
      ['DELIVERED', first],
      ['DELIVERED', first],
    ]);
    // What the callback delivered went out under the first request's id too.
    expect(harness.sent.map((r) => r.correlationId)).toEqual([first, first]);
  });

  it('confirms once when 50 callbacks arrive, some at once and some badly signed', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    // The gateway charges but its answer is lost: the charge stays PENDING until the callback.
    const lost = await harness.postPayment(body, { 'x-fault-inject': 'gateway=timeout' });
    expect(lost.status).toBe(503);
    expect(await tables.charge(body.transactionId)).toMatchObject({ state: 'PENDING' });

    const raw = callbackBody(body.transactionId);
    const good = () => harness.postCallback(raw, signature(raw));
    const forged = () => harness.postCallback(raw, signature(raw, { secret: 'not-the-secret' }));
    const stale = () =>
      harness.postCallback(raw, signature(raw, { at: new Date(Date.now() - 10 * 60_000) }));
    const tampered = () => harness.postCallback(raw.replace('succeeded', 'failed'), signature(raw));

    const concurrent = await Promise.all([
      ...Array.from({ length: 20 }, good),
      ...Array.from({ length: 5 }, forged),
      ...Array.from({ length: 5 }, stale),
    ]);
    const sequential: Answer[] = [];
    for (let i = 0; i < 15; i += 1) sequential.push(await good());
    for (let i = 0; i < 5; i += 1) sequential.push(await tampered());
    const answers = [...concurrent, ...sequential];

    expect(answers).toHaveLength(50);
    const refused = answers.filter((a) => a.status === 401);
    expect(refused).toHaveLength(15);
    for (const r of refused) expect(r.body.error.code).toBe('INVALID_SIGNATURE');
    const accepted = answers.filter((a) => a.status === 200);
    expect(accepted).toHaveLength(35);
    await expectConfirmedOnce(body.transactionId, accepted);
    const items = await tables.paymentItems(body.transactionId);
    expect(items.filter((i) => i.sk === 'PAYMENT')).toHaveLength(1);
    expect(await tables.paymentEvents(body.transactionId)).toHaveLength(2);
    expect(harness.sent).toHaveLength(2);

    // The client's retry of the lost request neither charges again nor emits again.
    const retried = await harness.postPayment(body);
    expect(retried.status).toBe(201);
    expect(retried.body.status).toBe('SUCCEEDED');
    expect(harness.gateway.calls).toBe(1);
    expect(harness.sent).toHaveLength(2);
    expect(await tables.paymentItems(body.transactionId)).toHaveLength(1);
    expect(await tables.paymentEvents(body.transactionId)).toHaveLength(2);
  });

  it('writes nothing for a badly signed callback', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    await harness.postPayment(body, { 'x-fault-inject': 'gateway=unavailable' });
    const before = await tables.charge(body.transactionId);
    const raw = callbackBody(body.transactionId);

    const missing = await harness.postCallback(raw, {});
    const forged = await harness.postCallback(raw, signature(raw, { secret: 'wrong' }));
    const malformed = await harness.postCallback(raw, { 'x-gateway-signature': 'v1=abc' });

    for (const answer of [missing, forged, malformed]) {
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('INVALID_SIGNATURE');
    }
    expect(await tables.charge(body.transactionId)).toEqual(before);
    expect(await tables.paymentItems(body.transactionId)).toHaveLength(0);
  });

  it('confirms an already finalized payment once and keeps its recorded result', async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    await harness.postPayment(body);
    const raw = callbackBody(body.transactionId);
    const contradicting = callbackBody(body.transactionId, 'failed');

    const first = await harness.postCallback(raw, signature(raw));
    const second = await harness.postCallback(raw, signature(raw));
    const late = await harness.postCallback(contradicting, signature(contradicting));

    expect(first.body).toMatchObject({ status: 'SUCCEEDED', changed: true, confirmed: true });
    expect(second.body).toMatchObject({ status: 'SUCCEEDED', changed: false });
    expect(late.body).toMatchObject({ status: 'SUCCEEDED', changed: false, contradicted: true });
    expect(first.body.contradicted).toBeUndefined();
    // Flagged for an operator: the CallbackContradictions metric has an alarm.
    expect(harness.counted.filter((m) => m === 'CallbackContradictions')).toHaveLength(1);
    expect(await tables.charge(body.transactionId)).toMatchObject({
      state: 'SUCCEEDED',
      resultSource: 'gateway',
    });
    expect(harness.sent).toHaveLength(2);
  });

  it('answers 404 for a callback about a transaction it never charged', async () => {
    const harness = paymentHarness();
    const raw = callbackBody(uniqueId('tx'));
    const answer = await harness.postCallback(raw, signature(raw));
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('CHARGE_NOT_FOUND');
  });

  it('refuses a well-signed callback with a bad body with 400 naming the field', async () => {
    const harness = paymentHarness();
    const raw = JSON.stringify({ transactionId: 'tx 1', status: 'maybe', gatewayReference: 'g-1' });
    const answer = await harness.postCallback(raw, signature(raw));
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['transactionId', 'status']),
    );
  });

  it("confirms a final payment's callback in two requests, and answers each repeat from one read", async () => {
    const harness = paymentHarness();
    const body = paymentBody();
    await harness.postPayment(body);
    const raw = callbackBody(body.transactionId);
    const commands = await commandsOf(harness.doc, async () => {
      const first = await harness.postCallback(raw, signature(raw));
      expect(first.body).toMatchObject({ status: 'SUCCEEDED', changed: true, confirmed: true });
      const again = await harness.postCallback(raw, signature(raw));
      expect(again.body).toMatchObject({ status: 'SUCCEEDED', changed: false, confirmed: false });
      const contradicting = callbackBody(body.transactionId, 'failed');
      const late = await harness.postCallback(contradicting, signature(contradicting));
      expect(late.body).toMatchObject({ status: 'SUCCEEDED', contradicted: true });
    });
    // The first callback on a final payment: one read and the confirmation; then one read each.
    expect(commands).toEqual([
      'GetItemCommand',
      'UpdateItemCommand',
      'GetItemCommand',
      'GetItemCommand',
    ]);
    expect(harness.counted.filter((m) => m === 'CallbackContradictions')).toHaveLength(1);
  });
});
