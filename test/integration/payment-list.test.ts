import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxDueKey, statusShardKey, unfinalizedMarker } from '../../lib/payment/indexes.js';
import { DynamoPaymentList } from '../../lib/payment/operator/payment-list.js';
import { readOutboxHealth } from '../../lib/payment/outbox/health.js';
import { requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { isAppError } from '../../lib/shared/errors.js';
import { uniqueId } from '../support/http.js';

// The operator's list and the outbox's health on DynamoDB Local, from indexes
// only. The tables are shared with other tests, so these rows are dated in
// 2999 (always the newest) or 2000 (always the oldest).

const { doc } = dynamoFromEnv();
const paymentsTable = requireEnv('PAYMENTS_TABLE');
const chargesTable = requireEnv('CHARGES_TABLE');
const run = uniqueId('list');
const at = (second: number) => `2999-01-01T00:00:0${second}.000Z`;
const written: { table: string; key: Record<string, string> }[] = [];

async function put(table: string, item: Record<string, unknown>, key: Record<string, string>) {
  await doc.send(new PutCommand({ TableName: table, Item: item }));
  written.push({ table, key });
}

async function payment(name: string, status: string, second: number) {
  const transactionId = `${run}-${name}`;
  const key = { pk: `PAYMENT#${transactionId}`, sk: 'PAYMENT' };
  await put(
    paymentsTable,
    {
      ...key,
      transactionId,
      orderId: `o-${name}`,
      userId: `u-${name}`,
      amountMinor: 1050,
      currency: 'USD',
      status,
      statusShard: statusShardKey(status, transactionId),
      createdAt: at(second),
      correlationId: 'c',
      finalizedAt: at(second),
    },
    key,
  );
  return transactionId;
}

beforeAll(async () => {
  await payment('s1', 'SUCCEEDED', 1);
  await payment('f2', 'FAILED', 2);
  await payment('s3', 'SUCCEEDED', 3);
  await payment('f4', 'FAILED', 4);
  await payment('s5', 'SUCCEEDED', 5);
  const charge = {
    transactionId: `${run}-p6`,
    orderId: 'o-p6',
    userId: 'u-p6',
    amountMinor: 999,
    currency: 'JPY',
    state: 'PENDING',
    unfinalized: unfinalizedMarker(`${run}-p6`),
    createdAt: at(6),
  };
  await put(chargesTable, charge, { transactionId: charge.transactionId });
  // Events of one payment: one DEAD, one PENDING that is never due (2999).
  const dead = {
    pk: `PAYMENT#${run}-s1`,
    sk: 'EVENT#dead',
    eventId: `${run}-dead`,
    transactionId: `${run}-s1`,
    type: 'order.status',
    target: 'order',
    status: 'DEAD',
    outboxStatus: outboxDueKey('DEAD', `${run}-dead`),
    attempts: 3,
    lastError: 'order answered 409',
    createdAt: '2000-01-01T00:00:00.000Z',
    nextAttemptAt: at(1),
  };
  await put(paymentsTable, dead, { pk: dead.pk, sk: dead.sk });
  const pending = {
    ...dead,
    sk: 'EVENT#pending',
    eventId: `${run}-pending`,
    status: 'PENDING',
    outboxStatus: outboxDueKey('PENDING', `${run}-pending`),
    attempts: 1,
    nextAttemptAt: at(9),
  };
  await put(paymentsTable, pending, { pk: pending.pk, sk: pending.sk });
});

afterAll(async () => {
  for (const { table, key } of written)
    await doc.send(new DeleteCommand({ TableName: table, Key: key }));
});

const ids = (items: { transactionId: string }[]) =>
  items.map((i) => i.transactionId.replace(`${run}-`, ''));

describe('Class: DynamoPaymentList', () => {
  const list = new DynamoPaymentList(doc, paymentsTable, chargesTable);

  it('merges final and in-flight payments newest first, and pages through them with the cursor', async () => {
    const first = await list.list({ limit: 4 });
    expect(ids(first.items)).toEqual(['p6', 's5', 'f4', 's3']);
    expect(first.items[0]).toMatchObject({
      status: 'PROCESSING',
      orderId: 'o-p6',
      amount: 999,
      currency: 'JPY',
    });
    expect(first.items[1]).toMatchObject({ status: 'SUCCEEDED', amount: 10.5, currency: 'USD' });
    const second = await list.list({ limit: 2, cursor: first.nextCursor });
    expect(ids(second.items)).toEqual(['f2', 's1']);
  });

  it('pages through payments created in the same millisecond once each, whatever their ids', async () => {
    // Older than s1 and newer than anything else: the SUCCEEDED index reads
    // s5, s3, s1, then these four in its own order for a tie. Ids that differ
    // in punctuation order differently by code point and by locale.
    const tied = ['tie_x', 'tie-x', 'tie.x', 'tie0x'];
    for (const name of tied) {
      const transactionId = `${run}-${name}`;
      const key = { pk: `PAYMENT#${transactionId}`, sk: 'PAYMENT' };
      const item = { ...key, transactionId, orderId: 'o', userId: 'u', amountMinor: 1 };
      await put(
        paymentsTable,
        {
          ...item,
          currency: 'USD',
          status: 'SUCCEEDED',
          statusShard: statusShardKey('SUCCEEDED', transactionId),
          createdAt: '2999-01-01T00:00:00.500Z',
        },
        key,
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 4; page++) {
      const got = await list.list({ status: 'SUCCEEDED', limit: 2, cursor });
      seen.push(...ids(got.items));
      cursor = got.nextCursor;
    }
    expect(seen.slice(0, 3)).toEqual(['s5', 's3', 's1']);
    expect(seen.slice(3, 7).sort()).toEqual([...tied].sort());
  });

  it('filters by status', async () => {
    const failed = await list.list({ status: 'FAILED', limit: 2 });
    expect(ids(failed.items)).toEqual(['f4', 'f2']);
    const processing = await list.list({ status: 'PROCESSING', limit: 1 });
    expect(ids(processing.items)).toEqual(['p6']);
  });

  it('refuses a cursor it did not make with a 400 naming cursor', async () => {
    const key = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const final = { pk: `PAYMENT#${run}-s1`, sk: 'PAYMENT', status: 'SUCCEEDED', createdAt: at(1) };
    for (const cursor of [
      '%%%',
      Buffer.from('{"NOPE":null}').toString('base64url'),
      Buffer.from('[1]').toString('base64url'),
      // Cursors of the list before its indexes were sharded: one start key per status.
      key({ SUCCEEDED: final }),
      key({ PROCESSING: null }),
      // A position with a tie that is no digest, or a time that is none.
      key({ at: at(1), seen: [`${run}-s1`] }),
      key({ at: 'yesterday', seen: ['AAAAAAAAAAA'] }),
    ]) {
      const error = await list.list({ limit: 2, cursor }).catch((e: unknown) => e);
      expect(
        isAppError(error) && error.status === 400 && error.details[0]?.field === 'cursor',
        cursor,
      ).toBe(true);
    }
  });
});

describe('Class: DynamoPaymentList, over shards', () => {
  const list = new DynamoPaymentList(doc, paymentsTable, chargesTable);

  it('pages through payments of many shards once each, newest first', async () => {
    // Newer than every other row of this file: the first pages are these.
    const names = Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const [i, name] of names.entries()) {
      const transactionId = `${run}-${name}`;
      const key = { pk: `PAYMENT#${transactionId}`, sk: 'PAYMENT' };
      await put(
        paymentsTable,
        {
          ...key,
          transactionId,
          orderId: 'o',
          userId: 'u',
          amountMinor: 1,
          currency: 'USD',
          status: 'SUCCEEDED',
          statusShard: statusShardKey('SUCCEEDED', transactionId),
          createdAt: `2999-01-02T00:00:${String(i).padStart(2, '0')}.000Z`,
        },
        key,
      );
    }
    expect(
      new Set(names.map((n) => statusShardKey('SUCCEEDED', `${run}-${n}`))).size,
    ).toBeGreaterThanOrEqual(10);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 6; page++) {
      const got = await list.list({ status: 'SUCCEEDED', limit: 7, cursor });
      expect(got.items.length).toBeLessThanOrEqual(7);
      seen.push(...ids(got.items));
      cursor = got.nextCursor;
    }
    expect(seen.slice(0, 40)).toEqual([...names].reverse());
  });
});

describe('Function: readOutboxHealth', () => {
  it('derives the deliveries of the last hour: each payment made final adds its two events, each of its events still PENDING takes one off', async () => {
    const now = new Date('2999-01-01T00:01:00.000Z');
    const read = async () =>
      (await readOutboxHealth({ doc, paymentsTable, chargesTable, now })).counts
        .DELIVERED_LAST_HOUR;
    const before = await read();
    const transactionId = await payment('s8', 'SUCCEEDED', 8);
    expect(await read()).toBe(before + 2);
    const event = {
      pk: `PAYMENT#${transactionId}`,
      sk: 'EVENT#late',
      transactionId,
      eventId: `${run}-late`,
      type: 'notification.send',
      target: 'notification',
      payload: {},
      status: 'PENDING',
      outboxStatus: outboxDueKey('PENDING', `${run}-late`),
      attempts: 1,
      nextAttemptAt: at(9),
      createdAt: at(8),
    };
    await put(paymentsTable, event, { pk: event.pk, sk: event.sk });
    expect(await read()).toBe(before + 1);
  });

  it('counts PENDING and DEAD, finds the oldest PENDING, lists DEAD events and unfinalized charges', async () => {
    const health = await readOutboxHealth({
      doc,
      paymentsTable,
      chargesTable,
      now: new Date('2999-01-01T00:01:00.000Z'),
    });
    expect(health.counts.PENDING).toBeGreaterThanOrEqual(1);
    expect(health.counts.DEAD).toBeGreaterThanOrEqual(1);
    expect(health.counts.DELIVERED_LAST_HOUR).toBeGreaterThanOrEqual(0);
    // Other tests' events share the table: the oldest is ours (2000) or older still.
    expect(health.oldestPending!.createdAt <= '2000-01-01T00:00:00.000Z').toBe(true);
    expect(health.dead).toContainEqual(
      expect.objectContaining({
        eventId: `${run}-dead`,
        attempts: 3,
        lastError: 'order answered 409',
      }),
    );
    const created = health.unfinalizedCharges.map((c) => c.createdAt);
    expect(created).toEqual([...created].sort()); // oldest first: the reconciler's next work on top
  });
});
