import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERED_PREFIX, TableOutboxChannel } from '../../lib/notification/channel.js';
import { DynamoNotificationRepository } from '../../lib/notification/notification-repository.js';
import { sendNotification } from '../../lib/notification/notification-service.js';
import { createDynamoClients } from '../../lib/shared/dynamo.js';
import { startDynamoCounter } from '../../scripts/lib/measure/dynamo-counter.mjs';
import { schemasOf } from '../../scripts/lib/measure/write-units.mjs';
import { uniqueId } from '../support/http.js';

// What a notification costs, through the bench's write-unit meter in front of
// DynamoDB Local (the notifications table as the stack creates it).
const table = process.env.NOTIFICATIONS_TABLE ?? '';
const ctx = { correlationId: 'corr-wu-0001', caller: 'payment' };

interface Write {
  operation: string;
  key: Record<string, Record<string, string>>;
  units: number;
}

let counter: Awaited<ReturnType<typeof startDynamoCounter>>;
let doc: DynamoDBDocumentClient;
const writes: Write[] = [];

beforeAll(async () => {
  const direct = createDynamoClients({ endpoint: process.env.DYNAMODB_ENDPOINT });
  const { Table } = await direct.client.send(new DescribeTableCommand({ TableName: table }));
  direct.client.destroy();
  counter = await startDynamoCounter(process.env.DYNAMODB_ENDPOINT!, {
    schemas: schemasOf({ NotificationsTable: Table }),
    onWrite: (write: Write) => writes.push(write),
  });
  doc = createDynamoClients({ endpoint: counter.endpoint }).doc;
});

afterAll(async () => {
  doc?.destroy();
  await counter?.close();
});

/** Our writes of `run` (the local channel's copy is the simulator's, not ours), and its requests. */
async function metered(run: () => Promise<unknown>) {
  writes.length = 0;
  counter.reset();
  await run();
  const ours = writes.filter((w) => !w.key.pk?.S?.startsWith(DELIVERED_PREFIX));
  return {
    writes: ours.map((w) => `${w.operation} ${w.key.pk?.S?.split('#')[0]} ${w.units}`),
    units: ours.reduce((sum, w) => sum + w.units, 0),
    reads: Object.entries(counter.counts().byOperation)
      .filter(([operation]) => /Get|Query|Scan/.test(operation))
      .reduce((sum, [, n]) => sum + n, 0),
  };
}

describe('Write units of a notification (the meter in front of DynamoDB Local)', () => {
  const deps = () => {
    const repository = new DynamoNotificationRepository({ doc, table });
    return { repository, channel: new TableOutboxChannel({ doc, table }), dedupeWindowSeconds: 0 };
  };

  it('sends a notification from an event in 3 plain writes of 1 unit, with no read', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: `Payment txn-${userId} of 12.34 USD succeeded.` };
    const cost = await metered(() =>
      sendNotification(deps(), { ...input, eventId: uniqueId('evt') }, ctx),
    );
    expect(cost).toEqual({
      writes: ['PutItem EVENT 1', 'PutItem DEDUPE 1', 'PutItem USER 1'],
      units: 3,
      reads: 0,
    });
  });

  it('sends a notification without an eventId in 2 units', async () => {
    const userId = uniqueId('u');
    const cost = await metered(() => sendNotification(deps(), { userId, message: 'hi' }, ctx));
    expect(cost).toEqual({ writes: ['PutItem DEDUPE 1', 'PutItem USER 1'], units: 2, reads: 0 });
  });

  it('answers a redelivered event with its refused claim, one read and the SKIPPED record', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Order o-1 is paid', eventId: uniqueId('evt') };
    await sendNotification(deps(), input, ctx);
    const cost = await metered(async () => {
      const repeat = await sendNotification(deps(), input, ctx);
      expect(repeat.record).toMatchObject({ status: 'SKIPPED', reason: 'DUPLICATE_EVENT' });
    });
    expect(cost).toEqual({ writes: ['PutItem EVENT 1', 'PutItem USER 1'], units: 2, reads: 1 });
  });
});
