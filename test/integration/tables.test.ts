import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { createTables, ensureTable } from '../../scripts/lib/stack/tables.mjs';
import { TABLE_ENV_VARS } from '../support/tables.js';

const { client } = dynamoFromEnv();
afterAll(() => client.destroy());

describe('Local tables created from serverless.yml', () => {
  it.each(TABLE_ENV_VARS)(
    'has the %s table that the functions are configured with',
    async (variable) => {
      const name = process.env[variable];
      expect(name).toMatch(/^lambda-payments-test-/);
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    },
  );

  it('enables TTL on the idempotency table, as declared', async () => {
    const ttl = await client.send(
      new DescribeTimeToLiveCommand({ TableName: process.env.IDEMPOTENCY_TABLE }),
    );
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiration',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('creates the outbox GSI of the payments table', async () => {
    const { Table } = await client.send(
      new DescribeTableCommand({ TableName: process.env.PAYMENTS_TABLE }),
    );
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toContain('outbox-due');
  });

  it('starts again on its own data: creating the tables a second time keeps them, TTL included', async () => {
    const created = await createTables(process.env.DYNAMODB_ENDPOINT!, 'test');
    expect(created.IdempotencyTable).toBe(process.env.IDEMPOTENCY_TABLE);
    expect(created.GatewayLedgerTable).toBe(process.env.GATEWAY_LEDGER_TABLE);
  });

  it('names a table whose definition differs from serverless.yml, and each difference', async () => {
    const name = `lambda-payments-test-drift-${Date.now().toString(36)}`;
    const definition = (key: string) => ({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    await ensureTable(client, definition('id'));
    await ensureTable(client, definition('id')); // the same again: fine
    await expect(ensureTable(client, definition('pk'))).rejects.toThrow(
      `Table ${name} exists but differs from serverless.yml: key schema is (id HASH S), want (pk HASH S)`,
    );
  });
});
