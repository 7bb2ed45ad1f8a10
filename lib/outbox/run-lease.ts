import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../shared/dynamo.js';

/**
 * A lease that lets one run at a time do a job (the scheduled outbox relay):
 * without it two overlapping runs would each claim and deliver, and a
 * reserved concurrency of 1 fails the deploy on accounts with a small quota.
 */
export interface RunLease {
  /** Takes the lease for `owner` until `untilMs` (epoch ms), unless another owner's lease has not expired. */
  acquire(owner: string, untilMs: number): Promise<boolean>;
  /** Gives the lease back, if `owner` still holds it (a later run may already have taken it over). */
  release(owner: string): Promise<void>;
}

/** Options of {@link DynamoRunLease}. */
export interface DynamoRunLeaseOptions {
  doc: DynamoDBDocumentClient;
  /** The table that holds the lease item (the payments table: one item, outside every index). */
  table: string;
  /** The lease's name: its item is `pk = LEASE#<name>`, `sk = LEASE`. */
  name: string;
  /** Clock in epoch ms (injectable for tests). */
  now?: () => number;
}

/**
 * A {@link RunLease} kept in one DynamoDB item: a conditional write takes it
 * when it is free, expired, or already ours; the expiry frees it if its
 * holder dies without releasing it (a timed-out run). Only UpdateItem is
 * used, so releasing deletes nothing.
 */
export class DynamoRunLease implements RunLease {
  readonly #options: DynamoRunLeaseOptions;
  readonly #now: () => number;

  constructor(options: DynamoRunLeaseOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get #key() {
    return { pk: `LEASE#${this.#options.name}`, sk: 'LEASE' };
  }

  async acquire(owner: string, untilMs: number): Promise<boolean> {
    const now = this.#now();
    try {
      await this.#options.doc.send(
        new UpdateCommand({
          TableName: this.#options.table,
          Key: this.#key,
          UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :until, acquiredAt = :now',
          ConditionExpression:
            'attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt <= :now OR leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':until': untilMs, ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async release(owner: string): Promise<void> {
    try {
      await this.#options.doc.send(
        new UpdateCommand({
          TableName: this.#options.table,
          Key: this.#key,
          UpdateExpression: 'SET leaseExpiresAt = :now',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':now': this.#now() },
        }),
      );
    } catch (error) {
      // Another run took the lease over after ours expired: nothing of ours to give back.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}
