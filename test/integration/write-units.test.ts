import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoCounter } from '../../scripts/lib/measure/dynamo-counter.mjs';
import { itemSize, schemasOf } from '../../scripts/lib/measure/write-units.mjs';
import { uniqueId } from '../support/http.js';

// The bench's write-unit meter against DynamoDB Local: each rule of how
// DynamoDB bills a write, on a table of its own with a sparse index.
const table = uniqueId('wu-table');
const definition = {
  TableName: table,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'due', AttributeType: 'S' },
    { AttributeName: 'at', AttributeType: 'S' },
  ],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'due-index',
      KeySchema: [
        { AttributeName: 'due', KeyType: 'HASH' },
        { AttributeName: 'at', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
  ],
};

let counter: Awaited<ReturnType<typeof startDynamoCounter>>;
let doc: DynamoDBDocumentClient;

/** A client of DynamoDB Local (dummy credentials, which it accepts). */
const localClient = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

beforeAll(async () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT as string;
  const direct = localClient(endpoint);
  await direct.send(new CreateTableCommand(definition as never));
  direct.destroy();
  counter = await startDynamoCounter(endpoint, {
    schemas: schemasOf({ Table: definition }),
  });
  doc = DynamoDBDocumentClient.from(localClient(counter.endpoint));
});

afterAll(async () => {
  doc?.destroy();
  await counter?.close();
});

/** The write units of what `run` writes. */
async function metered(run: () => Promise<unknown>) {
  counter.reset();
  await run().catch(() => undefined);
  return counter.writeUnits();
}

describe('Write-unit meter (the bench, in front of DynamoDB Local)', () => {
  it('charges 1 unit for a small put that the sparse index does not hold', async () => {
    const units = await metered(() =>
      doc.send(new PutCommand({ TableName: table, Item: { pk: uniqueId('a'), v: 1 } })),
    );
    expect(units).toMatchObject({ units: 1, byTable: { [table]: 1 }, byIndex: {} });
  });

  it('charges an index write per entry added, removed or moved, and the index key it lands on', async () => {
    const pk = uniqueId('b');
    await doc.send(new PutCommand({ TableName: table, Item: { pk } }));
    const added = await metered(() =>
      doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk },
          UpdateExpression: 'SET due = :d, #at = :t',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':d': 'PENDING#01', ':t': '2026-01-01' },
        }),
      ),
    );
    expect(added).toMatchObject({
      units: 2,
      byIndex: { [`${table}/due-index`]: 1 },
      byKey: { [`${table}/due-index PENDING#01`]: 1 },
    });
    // A new index key is a removal and an addition: two index writes.
    const moved = await metered(() =>
      doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk },
          UpdateExpression: 'SET due = :d',
          ExpressionAttributeValues: { ':d': 'PENDING#02' },
        }),
      ),
    );
    expect(moved).toMatchObject({ units: 3, byIndex: { [`${table}/due-index`]: 2 } });
    // An attribute the index does not project changes nothing there.
    const untouched = await metered(() =>
      doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk },
          UpdateExpression: 'SET note = :n',
          ExpressionAttributeValues: { ':n': 'x' },
        }),
      ),
    );
    expect(untouched).toMatchObject({ units: 1, byIndex: {} });
  });

  it('charges twice an item written in a transaction, and per KB of the larger image', async () => {
    const units = await metered(() =>
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: uniqueId('c') } } },
            { Put: { TableName: table, Item: { pk: uniqueId('c'), blob: 'x'.repeat(1500) } } },
          ],
        }),
      ),
    );
    expect(units).toMatchObject({ units: 2 * 1 + 2 * 2, byTable: { [table]: 6 } });
  });

  it('charges a write that its condition refused', async () => {
    const pk = uniqueId('d');
    await doc.send(new PutCommand({ TableName: table, Item: { pk } }));
    const units = await metered(() =>
      doc.send(
        new PutCommand({
          TableName: table,
          Item: { pk },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    expect(units).toMatchObject({ units: 1, byIndex: {} });
  });

  it('meters reads as DynamoDB reports them: a consistent read of an item over 4 KB is 2, an eventual one half of that, an index query on its own line', async () => {
    const pk = uniqueId('read');
    await doc.send(
      new PutCommand({ TableName: table, Item: { pk, due: 'D#01', at: '1', v: 'x'.repeat(5000) } }),
    );
    counter.reset();
    const got = await doc.send(
      new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }),
    );
    expect(got.Item?.pk).toBe(pk);
    // The client did not ask for the capacity: the meter asked, and the answer is the client's as before.
    expect(counter.readUnits()).toEqual({ units: 2, byTable: { [table]: 2 }, byIndex: {} });
    counter.reset();
    await doc.send(new GetCommand({ TableName: table, Key: { pk } }));
    expect(counter.readUnits().units).toBe(1);
    counter.reset();
    await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'due-index',
        KeyConditionExpression: 'due = :d',
        ExpressionAttributeValues: { ':d': 'D#01' },
      }),
    );
    const reads = counter.readUnits();
    expect(reads.byIndex[`${table}/due-index`]).toBeGreaterThan(0);
    expect(reads.byTable[table] ?? 0).toBe(0);
  });

  it('sizes items as DynamoDB does: names and values', () => {
    expect(itemSize({ pk: { S: 'abc' } })).toBe(5);
    expect(itemSize({ n: { N: '1234' } })).toBe(1 + 3);
    expect(itemSize({ m: { M: { a: { S: 'b' } } } })).toBe(1 + 3 + 3);
  });
});
