import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  OUTBOX_DUE_INDEX,
  outboxDueKey,
  STATUS_INDEX,
  statusShardKey,
  UNFINALIZED_INDEX,
  unfinalizedMarker,
} from '../../lib/payment/indexes.js';
import {
  backfillIndexes,
  chargeFix,
  paymentItemFix,
} from '../../lib/payment/operator/index-backfill.js';
import { requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { uniqueId } from '../support/http.js';

// Items as an earlier version wrote them (unsharded index keys, a delivered
// event still indexed), moved onto today's keys by the backfill, on DynamoDB
// Local. The tables are shared with other tests: assertions are about these
// items, and counts are lower bounds.

const { doc } = dynamoFromEnv();
const paymentsTable = requireEnv('PAYMENTS_TABLE');
const chargesTable = requireEnv('CHARGES_TABLE');

async function oldShapes() {
  const run = uniqueId('backfill');
  const transactionId = `${run}-t`;
  const pk = `PAYMENT#${transactionId}`;
  const base = { transactionId, createdAt: '2001-01-01T00:00:00.000Z', attempts: 1 };
  const items = {
    payment: { pk, sk: 'PAYMENT', ...base, status: 'SUCCEEDED', orderId: 'o', userId: 'u' },
    pending: {
      pk,
      sk: `EVENT#${run}-p`,
      ...base,
      eventId: `${run}-p`,
      status: 'PENDING',
      outboxStatus: 'PENDING',
      nextAttemptAt: '2001-01-01T00:00:00.000Z',
    },
    dead: {
      pk,
      sk: `EVENT#${run}-d`,
      ...base,
      eventId: `${run}-d`,
      status: 'DEAD',
      outboxStatus: 'DEAD',
      nextAttemptAt: '2001-01-01T00:00:00.000Z',
    },
    delivered: {
      pk,
      sk: `EVENT#${run}-v`,
      ...base,
      eventId: `${run}-v`,
      status: 'DELIVERED',
      statusShard: statusShardKey('DELIVERED', `${run}-v`),
    },
  };
  for (const item of Object.values(items))
    await doc.send(new PutCommand({ TableName: paymentsTable, Item: item }));
  const charge = { ...base, state: 'PENDING', unfinalized: 'Y' };
  await doc.send(new PutCommand({ TableName: chargesTable, Item: charge }));
  return { run, transactionId, pk, items };
}

const item = async (table: string, key: Record<string, unknown>) =>
  (await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

describe('Function: backfillIndexes (DynamoDB Local)', () => {
  it('counts without writing when dry, then moves every old item onto the sharded keys, and finds nothing left on a second run', async () => {
    const { transactionId, pk, items } = await oldShapes();
    const dry = await backfillIndexes({ doc, paymentsTable, chargesTable, dryRun: true });
    expect(dry.payments).toBeGreaterThanOrEqual(1);
    expect(dry.events).toBeGreaterThanOrEqual(2);
    expect(dry.delivered).toBeGreaterThanOrEqual(1);
    expect(dry.charges).toBeGreaterThanOrEqual(1);
    expect(await item(paymentsTable, { pk, sk: 'PAYMENT' })).not.toHaveProperty('statusShard');

    const done = await backfillIndexes({ doc, paymentsTable, chargesTable, segments: 3 });
    expect(done.scanned).toBeGreaterThanOrEqual(5);
    expect(await item(paymentsTable, { pk, sk: 'PAYMENT' })).toMatchObject({
      statusShard: statusShardKey('SUCCEEDED', transactionId),
    });
    expect(await item(paymentsTable, { pk, sk: items.pending.sk })).toMatchObject({
      outboxStatus: outboxDueKey('PENDING', items.pending.eventId),
    });
    expect(await item(paymentsTable, { pk, sk: items.dead.sk })).toMatchObject({
      outboxStatus: outboxDueKey('DEAD', items.dead.eventId),
    });
    const delivered = await item(paymentsTable, { pk, sk: items.delivered.sk });
    expect(delivered).toMatchObject({ status: 'DELIVERED' });
    expect(delivered).not.toHaveProperty('statusShard');
    expect(delivered).not.toHaveProperty('outboxStatus');
    expect(await item(chargesTable, { transactionId })).toMatchObject({
      unfinalized: unfinalizedMarker(transactionId),
    });

    // Nothing of ours is left to change: a second run leaves these items as they are.
    const before = await item(paymentsTable, { pk, sk: items.pending.sk });
    await backfillIndexes({ doc, paymentsTable, chargesTable });
    expect(await item(paymentsTable, { pk, sk: items.pending.sk })).toEqual(before);
  });

  it('leaves an item a service changed between the scan and the write as the service wrote it', () => {
    // The write is conditioned on the status it was decided from.
    const fix = paymentItemFix({
      pk: 'PAYMENT#t',
      sk: 'EVENT#e',
      eventId: 'e',
      status: 'PENDING',
      outboxStatus: 'PENDING',
    });
    expect(fix?.update.ConditionExpression).toBe('#status = :status');
    expect(fix?.update.ExpressionAttributeValues).toMatchObject({ ':status': 'PENDING' });
    const charge = chargeFix({ transactionId: 't', unfinalized: 'Y' });
    expect(charge?.update.ConditionExpression).toBe('#marker = :old');
    // Items already on today's keys, and items no index holds, need nothing.
    expect(
      paymentItemFix({
        pk: 'PAYMENT#t',
        sk: 'EVENT#e',
        eventId: 'e',
        status: 'PENDING',
        outboxStatus: outboxDueKey('PENDING', 'e'),
      }),
    ).toBeUndefined();
    expect(paymentItemFix({ pk: 'PAYMENT#t', sk: 'EVENT#e', status: 'DELIVERED' })).toBeUndefined();
    expect(chargeFix({ transactionId: 't' })).toBeUndefined();
    expect(chargeFix({ transactionId: 't', unfinalized: unfinalizedMarker('t') })).toBeUndefined();
    // The indexes the backfill writes for are the ones the readers query.
    expect([OUTBOX_DUE_INDEX, STATUS_INDEX, UNFINALIZED_INDEX]).toEqual([
      'outbox-due',
      'payments-by-status-shard',
      'charges-unfinalized',
    ]);
  });

  it('skips a write whose condition no longer holds, and counts it as moved', async () => {
    const { pk, items } = await oldShapes();
    const deliveredMeanwhile = Object.fromEntries(
      Object.entries({ ...items.pending, status: 'DELIVERED' }).filter(
        ([k]) => k !== 'outboxStatus',
      ),
    );
    // The relay delivers the event between the backfill's scan and its write.
    const racing = {
      send: async (command: { input: { Key?: Record<string, unknown> } }) => {
        if (command instanceof UpdateCommand && command.input.Key?.sk === items.pending.sk)
          await doc.send(new PutCommand({ TableName: paymentsTable, Item: deliveredMeanwhile }));
        return doc.send(command as never);
      },
    } as unknown as typeof doc;
    const report = await backfillIndexes({ doc: racing, paymentsTable, chargesTable });
    expect(report.moved).toBeGreaterThanOrEqual(1);
    const stored = await item(paymentsTable, { pk, sk: items.pending.sk });
    expect(stored).toMatchObject({ status: 'DELIVERED' });
    expect(stored).not.toHaveProperty('outboxStatus');
  });
});
