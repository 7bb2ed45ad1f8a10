import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../shared/dynamo.js';
import type { GatewayLedger, GatewayLedgerEntry } from './gateway-ledger.js';

/** The simulator's ledger on a DynamoDB table of its own (hash key `idempotencyKey`; local and test stages). */
export class DynamoGatewayLedger implements GatewayLedger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(entry: GatewayLedgerEntry): Promise<GatewayLedgerEntry> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: entry,
          ConditionExpression: 'attribute_not_exists(idempotencyKey)',
        }),
      );
      return entry;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const first = await this.find(entry.idempotencyKey);
      if (!first) throw new Error(`Ledger entry ${entry.idempotencyKey} vanished after a conflict`);
      return first;
    }
  }

  async find(idempotencyKey: string): Promise<GatewayLedgerEntry | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { idempotencyKey }, ConsistentRead: true }),
    );
    return out.Item as GatewayLedgerEntry | undefined;
  }
}
