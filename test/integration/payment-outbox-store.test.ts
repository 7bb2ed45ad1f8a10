import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../../lib/outbox/types.js';
import { DynamoChargeStore } from '../../lib/payment/charge-store.js';
import { outboxDueKey } from '../../lib/payment/indexes.js';
import { outboxEventsFor } from '../../lib/payment/outbox/events.js';
import {
  DynamoOutboxStore,
  eventSk,
  eventToItem,
  paymentPk,
} from '../../lib/payment/outbox/store.js';
import { DynamoPaymentStore } from '../../lib/payment/payment-store.js';
import type { Payment } from '../../lib/payment/types.js';
import { requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { uniqueId } from '../support/http.js';

const { doc } = dynamoFromEnv();
const table = requireEnv('PAYMENTS_TABLE');
const outbox = new DynamoOutboxStore(doc, table);
const charges = new DynamoChargeStore(doc, requireEnv('CHARGES_TABLE'));
const payments = new DynamoPaymentStore(doc, table);

/** The charge guard of a payment, before the gateway answered. */
async function pendingCharge(p: Payment): Promise<void> {
  const { transactionId, orderId, userId, amountMinor, currency, createdAt } = p;
  await charges.begin({
    transactionId,
    orderId,
    userId,
    amountMinor,
    currency,
    createdAt,
    state: 'PENDING',
  });
}

/** A payment is made final from its charge's recorded result. */
async function recordedCharge(p: Payment): Promise<void> {
  await pendingCharge(p);
  await charges.recordResult(
    p.transactionId,
    { state: 'SUCCEEDED', gatewayReference: `sim_${p.transactionId}`, resultSource: 'gateway' },
    new Date(p.createdAt),
  );
}

function payment(transactionId: string, finalizedAt: Date): Payment {
  return {
    transactionId,
    orderId: uniqueId('order'),
    userId: uniqueId('user'),
    amountMinor: 1000,
    currency: 'USD',
    status: 'SUCCEEDED',
    correlationId: 'corr-outbox-test',
    createdAt: finalizedAt.toISOString(),
    finalizedAt: finalizedAt.toISOString(),
  };
}

async function rawItem(event: OutboxEvent) {
  const out = await doc.send(
    new GetCommand({
      TableName: table,
      Key: { pk: paymentPk(event.transactionId), sk: eventSk(event.eventId) },
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

const SECOND = 1000;

const ours = (transactionId: string, list: OutboxEvent[]) =>
  list.filter((e) => e.transactionId === transactionId);

describe('Class: DynamoOutboxStore', () => {
  // Each test's events are due at a random instant of year 2001, so listDue at
  // that instant sees them and (almost surely) nothing of any other test.
  let t0: Date;
  let transactionId: string;
  let events: OutboxEvent[];
  const ours = (list: OutboxEvent[]) => list.filter((e) => e.transactionId === transactionId);

  beforeEach(async () => {
    t0 = new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 300 * 86_400) * SECOND);
    transactionId = uniqueId('tx');
    await recordedCharge(payment(transactionId, t0));
    const result = await payments.finalize(
      payment(transactionId, t0),
      outboxEventsFor(payment(transactionId, t0), t0),
    );
    expect(result.changed).toBe(true);
    // In the outbox proper, due at t0: as the reconciler hands over a dead request's events.
    events = await payments.handOver(transactionId, t0);
    expect(events).toHaveLength(2);
  });

  it("hands a payment's events to the outbox once", async () => {
    expect(await outbox.listForPayment(transactionId)).toHaveLength(2);
    expect(await payments.handOver(transactionId, new Date())).toEqual([]);
    expect(await outbox.listForPayment(transactionId)).toHaveLength(2);
  });

  it('lists due PENDING events oldest first and not those scheduled later', async () => {
    expect(ours(await outbox.listDue(new Date(t0.getTime() - SECOND), 50))).toHaveLength(0);
    const due = ours(await outbox.listDue(t0, 50));
    expect(due.map((e) => e.eventId).sort()).toEqual(events.map((e) => e.eventId).sort());
    expect(due[0]).toMatchObject({
      status: 'PENDING',
      attempts: 0,
      correlationId: 'corr-outbox-test',
    });
  });

  it('claims an event once until its lease runs out, and hides a leased event from listDue', async () => {
    const event = events[0]!;
    expect(await outbox.claim(event, new Date(t0.getTime() + 30 * SECOND), t0)).toBe(true);
    expect(await outbox.claim(event, new Date(t0.getTime() + 30 * SECOND), t0)).toBe(false);
    expect(ours(await outbox.listDue(t0, 50)).map((e) => e.eventId)).not.toContain(event.eventId);

    const later = new Date(t0.getTime() + 31 * SECOND);
    expect(ours(await outbox.listDue(later, 50)).map((e) => e.eventId)).toContain(event.eventId);
    expect(await outbox.claim(event, new Date(later.getTime() + 30 * SECOND), later)).toBe(true);
  });

  it('marks an event delivered: out of every index, attempts counted, not claimable', async () => {
    const event = events[0]!;
    await outbox.claim(event, new Date(t0.getTime() + 30 * SECOND), t0);
    await outbox.markDelivered(event, t0);

    const item = await rawItem(event);
    expect(item).toMatchObject({ status: 'DELIVERED', attempts: 1, deliveredAt: t0.toISOString() });
    expect(item?.outboxStatus).toBeUndefined();
    // Into no index: a delivered event is read only with its payment.
    expect(item?.statusShard).toBeUndefined();
    expect(item?.leaseUntil).toBeUndefined();
    expect(ours(await outbox.listDue(t0, 50)).map((e) => e.eventId)).not.toContain(event.eventId);
    expect(await outbox.claim(event, new Date(t0.getTime() + 30 * SECOND), t0)).toBe(false);
    // A late failure report does not move a delivered event back.
    await outbox.markFailed(event, { error: 'late', nextAttemptAt: t0 });
    expect(await rawItem(event)).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });

  it('marks a failed attempt: attempts counted, lease released, rescheduled', async () => {
    const event = events[0]!;
    await outbox.claim(event, new Date(t0.getTime() + 30 * SECOND), t0);
    const next = new Date(t0.getTime() + 5 * SECOND);
    await outbox.markFailed(event, { error: 'order answered 503', nextAttemptAt: next });

    expect(await rawItem(event)).toMatchObject({
      status: 'PENDING',
      outboxStatus: outboxDueKey('PENDING', event.eventId),
      attempts: 1,
      lastError: 'order answered 503',
      nextAttemptAt: next.toISOString(),
    });
    expect((await rawItem(event))?.leaseUntil).toBeUndefined();
    expect(ours(await outbox.listDue(t0, 50)).map((e) => e.eventId)).not.toContain(event.eventId);
    expect(ours(await outbox.listDue(next, 50)).map((e) => e.eventId)).toContain(event.eventId);
  });

  it('parks an event as DEAD, out of the due list, and re-drives it to PENDING', async () => {
    const [first, second] = events as [OutboxEvent, OutboxEvent];
    await outbox.markDead(first, 'order answered 404');
    await outbox.markDead(second, 'notification answered 400');

    expect(await rawItem(first)).toMatchObject({
      status: 'DEAD',
      outboxStatus: outboxDueKey('DEAD', first.eventId),
      lastError: 'order answered 404',
      attempts: 1,
    });
    expect(ours(await outbox.listDue(t0, 50))).toHaveLength(0);

    const redriveAt = new Date(t0.getTime() + 3600 * SECOND);
    const redriver = new DynamoOutboxStore(doc, table, () => redriveAt);
    const one = await redriver.redrive(transactionId, first.eventId);
    expect(one.map((e) => e.eventId)).toEqual([first.eventId]);
    expect(await rawItem(first)).toMatchObject({
      status: 'PENDING',
      outboxStatus: outboxDueKey('PENDING', first.eventId),
      attempts: 0,
    });
    expect(await rawItem(second)).toMatchObject({ status: 'DEAD' });

    const rest = await redriver.redrive(transactionId);
    expect(rest.map((e) => e.eventId)).toEqual([second.eventId]);
    expect(await redriver.redrive(transactionId)).toEqual([]);
    const redriven = ours(await outbox.listDue(redriveAt, 50)).map((e) => e.eventId);
    expect(redriven).toEqual(expect.arrayContaining([first.eventId, second.eventId]));
  });
});

describe('Class: DynamoPaymentStore (events on the payment item, the outbox for what is left)', () => {
  async function finalized(at = new Date()) {
    const p = payment(uniqueId('tx'), at);
    await recordedCharge(p);
    const result = await payments.finalize(p, outboxEventsFor(p, at));
    return { p, result, at };
  }

  it('writes the payment and a record of its events in one item: nothing in the outbox yet', async () => {
    const { p, result, at } = await finalized();

    expect(result.changed).toBe(true);
    expect(await outbox.listForPayment(p.transactionId)).toEqual([]);
    const stored = await payments.get(p.transactionId);
    expect(stored?.payment).toEqual(p);
    // The events as written, rebuilt from the payment and the item's record of them.
    const byId = (list: OutboxEvent[]) =>
      [...list].sort((a, b) => (a.eventId < b.eventId ? -1 : 1));
    expect(byId(stored?.events ?? [])).toEqual(byId(outboxEventsFor(p, at)));
  });

  it('returns the stored payment, unchanged, when the payment is final already', async () => {
    const { p, at } = await finalized();
    const later = new Date(at.getTime() + 1000);

    const again = await payments.finalize(
      { ...p, finalizedAt: later.toISOString(), status: 'FAILED' },
      outboxEventsFor(p, later),
    );

    expect(again.changed).toBe(false);
    expect(again.payment).toMatchObject({ finalizedAt: at.toISOString(), status: 'SUCCEEDED' });
    expect(again.events.map((e) => e.status)).toEqual(['PENDING', 'PENDING']);
  });

  it('records delivered events on the payment item and puts the others in the outbox', async () => {
    const { p, result, at } = await finalized(
      new Date(Date.UTC(2002, 0, 1) + Math.floor(Math.random() * 1e10)),
    );
    const [order, notification] = result.events as [OutboxEvent, OutboxEvent];
    const next = new Date(at.getTime() + 5 * SECOND);

    await payments.recordEvents(p.transactionId, [
      { ...order, status: 'DELIVERED', attempts: 1, deliveredAt: at.toISOString() },
      {
        ...notification,
        attempts: 1,
        lastError: 'notification answered 503',
        nextAttemptAt: next.toISOString(),
      },
    ]);

    const items = await outbox.listForPayment(p.transactionId);
    expect(items.map((e) => [e.eventId, e.status, e.attempts])).toEqual([
      [notification.eventId, 'PENDING', 1],
    ]);
    expect(await rawItem(notification)).toMatchObject({
      outboxStatus: outboxDueKey('PENDING', notification.eventId),
      nextAttemptAt: next.toISOString(),
    });
    expect(ours(p.transactionId, await outbox.listDue(next, 50))).toHaveLength(1);
    // The delivered one has no outbox item, and the payment's view says where each one is.
    expect(await rawItem(order)).toBeUndefined();
    const stored = await payments.get(p.transactionId);
    expect(
      stored?.events.map((e) => [e.eventId, e.status, e.attempts, e.deliveredAt]).sort(),
    ).toEqual(
      [
        [order.eventId, 'DELIVERED', 1, at.toISOString()],
        [notification.eventId, 'PENDING', 1, undefined],
      ].sort(),
    );
    // Nothing left to hand over: one is delivered, the other in the outbox.
    expect(await payments.handOver(p.transactionId, new Date())).toEqual([]);
  });

  it('hands only undelivered events to the outbox, due at once, and nothing for a payment not final', async () => {
    const { p, result } = await finalized();
    const [order, notification] = result.events as [OutboxEvent, OutboxEvent];
    await payments.recordEvents(p.transactionId, [
      { ...order, status: 'DELIVERED', attempts: 1, deliveredAt: new Date().toISOString() },
    ]);
    const now = new Date();

    const handed = await payments.handOver(p.transactionId, now);

    expect(handed.map((e) => [e.eventId, e.nextAttemptAt])).toEqual([
      [notification.eventId, now.toISOString()],
    ]);
    expect(await rawItem(notification)).toMatchObject({ status: 'PENDING', attempts: 0 });
    expect(await payments.handOver(uniqueId('tx-none'), now)).toEqual([]);
  });
});

describe('Method: DynamoChargeStore.unlist', () => {
  it("takes a recorded charge off the reconciler's list, and never a PENDING one", async () => {
    const pending = payment(uniqueId('tx'), new Date());
    await pendingCharge(pending);
    await charges.unlist(pending.transactionId);
    expect(await charges.get(pending.transactionId)).not.toHaveProperty('finalized');
    expect(
      await charges.listUnfinalized(new Date(), 100, { createdAfter: pending.createdAt }),
    ).toContain(pending.transactionId);

    const recorded = payment(uniqueId('tx'), new Date());
    await recordedCharge(recorded);
    await charges.unlist(recorded.transactionId);
    await charges.unlist(recorded.transactionId);
    expect(await charges.get(recorded.transactionId)).toMatchObject({ finalized: true });
  });
});

describe('Method: DynamoOutboxStore.listDue, over shards (DynamoDB Local)', () => {
  it('lists due events of every shard, the earliest due first, up to the limit', async () => {
    // Due on a random day of 1990: earlier than any other test's event, so the first are ours.
    const day = Date.UTC(1990, 0, 1) + Math.floor(Math.random() * 300) * 86_400_000;
    const transactionId = uniqueId('tx-shards');
    const due = Array.from({ length: 12 }, (_, i) => {
      const at = new Date(day + i * SECOND).toISOString();
      return {
        eventId: uniqueId(`ev-${i}`),
        transactionId,
        type: 'order.status',
        target: 'order',
        payload: {},
        correlationId: 'corr-shards',
        status: 'PENDING',
        attempts: 0,
        nextAttemptAt: at,
        createdAt: at,
      } satisfies OutboxEvent;
    });
    expect(new Set(due.map((e) => outboxDueKey('PENDING', e.eventId))).size).toBeGreaterThanOrEqual(
      4,
    );
    for (const event of due)
      await doc.send(new PutCommand({ TableName: table, Item: eventToItem(event) }));
    try {
      const now = new Date(day + 11 * SECOND);
      expect((await outbox.listDue(now, 5)).map((e) => e.eventId)).toEqual(
        due.slice(0, 5).map((e) => e.eventId),
      );
      expect((await outbox.listDue(now, 50)).map((e) => e.eventId)).toEqual(
        due.map((e) => e.eventId),
      );
      // Claimed ones are left out, and the next ones of every shard come up.
      await outbox.claim(due[0]!, new Date(day + 60 * SECOND), now);
      expect((await outbox.listDue(now, 3)).map((e) => e.eventId)).toEqual(
        due.slice(1, 4).map((e) => e.eventId),
      );
      // A run lists on from where its last page ended (inclusive).
      const after = due[8]!.nextAttemptAt;
      expect((await outbox.listDue(now, 50, { after })).map((e) => e.eventId)).toEqual(
        due.slice(8).map((e) => e.eventId),
      );
      // Two slices read disjoint shards and, together, every due event.
      const [even, odd] = await Promise.all(
        [0, 1].map((index) => outbox.listDue(now, 50, { slice: { index, of: 2 } })),
      );
      const ids = (events: OutboxEvent[] | undefined) => (events ?? []).map((e) => e.eventId);
      expect(ids(even).filter((id) => ids(odd).includes(id))).toEqual([]);
      expect([...ids(even), ...ids(odd)].sort()).toEqual(
        due
          .slice(1)
          .map((e) => e.eventId)
          .sort(),
      );
    } finally {
      for (const event of due)
        await doc.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: paymentPk(transactionId), sk: eventSk(event.eventId) },
          }),
        );
    }
  });
});
