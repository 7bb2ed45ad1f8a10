import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
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
});
