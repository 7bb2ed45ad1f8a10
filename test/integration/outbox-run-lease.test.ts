import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRunLease } from '../../lib/outbox/run-lease.js';
import { outboxDueKey } from '../../lib/payment/indexes.js';
import { oldestPendingAgeSeconds } from '../../lib/payment/outbox/backlog.js';
import { eventSk, paymentPk } from '../../lib/payment/outbox/store.js';
import { requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { uniqueId } from '../support/http.js';

const { doc } = dynamoFromEnv();
const table = requireEnv('PAYMENTS_TABLE');

/** A lease of its own name on the real payments table, with a clock the test moves. */
function leaseAt(clock: { now: number }, name = uniqueId('lease')) {
  return new DynamoRunLease({ doc, table, name, now: () => clock.now });
}

describe('Class: DynamoRunLease (DynamoDB Local)', () => {
  it('lets exactly one of ten runs that start at once take the lease', async () => {
    const clock = { now: Date.now() };
    const name = uniqueId('lease');
    const runs = Array.from({ length: 10 }, () => leaseAt(clock, name));
    const taken = await Promise.all(
      runs.map((lease, i) => lease.acquire(`run-${i}`, clock.now + 60_000)),
    );
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it('frees the lease when its holder releases it, and after it expires if the holder died', async () => {
    const clock = { now: Date.now() };
    const lease = leaseAt(clock);
    expect(await lease.acquire('run-1', clock.now + 60_000)).toBe(true);
    expect(await lease.acquire('run-2', clock.now + 60_000)).toBe(false);
    await lease.release('run-1');
    expect(await lease.acquire('run-2', clock.now + 60_000)).toBe(true);
    // run-2 dies without releasing: nobody gets in until its lease expires.
    clock.now += 59_000;
    expect(await lease.acquire('run-3', clock.now + 60_000)).toBe(false);
    clock.now += 1000;
    expect(await lease.acquire('run-3', clock.now + 60_000)).toBe(true);
  });

  it('never lets a run that lost its lease release the next holder', async () => {
    const clock = { now: Date.now() };
    const lease = leaseAt(clock);
    expect(await lease.acquire('slow-run', clock.now + 1000)).toBe(true);
    clock.now += 2000;
    expect(await lease.acquire('next-run', clock.now + 60_000)).toBe(true);
    await lease.release('slow-run');
    expect(await lease.acquire('third-run', clock.now + 60_000)).toBe(false);
  });
});

describe('Function: oldestPendingAgeSeconds (DynamoDB Local)', () => {
  it('reports at least the age of a PENDING event created an hour ago', async () => {
    const transactionId = uniqueId('tx-backlog');
    const eventId = uniqueId('ev');
    const now = Date.now();
    const key = { pk: paymentPk(transactionId), sk: eventSk(eventId) };
    await doc.send(
      new PutCommand({
        TableName: table,
        // Due in the far future, so that no relay of another test picks it up.
        Item: {
          ...key,
          eventId,
          transactionId,
          status: 'PENDING',
          outboxStatus: outboxDueKey('PENDING', eventId),
          createdAt: new Date(now - 3_600_000).toISOString(),
          nextAttemptAt: '2999-01-01T00:00:00.000Z',
        },
      }),
    );
    try {
      expect(await oldestPendingAgeSeconds(doc, table, now)).toBeGreaterThanOrEqual(3600);
    } finally {
      await doc.send(new DeleteCommand({ TableName: table, Key: key }));
    }
  });
});
