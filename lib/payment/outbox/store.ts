import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DueListing, OutboxEvent, OutboxStore } from '../../outbox/types.js';
import { byCodeUnit } from '../../shared/compare.js';
import { isConditionalCheckFailed } from '../../shared/dynamo.js';
import { keysOfSlice, readShardsMerged } from '../../shared/shards.js';
import {
  OUTBOX_DUE_INDEX,
  outboxDueKey,
  outboxDueKeys,
  STATUS_SHARD_ATTRIBUTE,
} from '../indexes.js';

export { OUTBOX_DUE_INDEX } from '../indexes.js';

/** Partition key of a payment and its events. */
export function paymentPk(transactionId: string): string {
  return `PAYMENT#${transactionId}`;
}

/** Sort key of one outbox event. */
export function eventSk(eventId: string): string {
  return `EVENT#${eventId}`;
}

/**
 * The item that stores an event: keys, plus its sharded `outboxStatus` while
 * it is PENDING or DEAD (the due index). A DELIVERED event is in no index: it
 * is read only with its payment (each index entry costs a write unit).
 */
export function eventToItem(event: OutboxEvent): Record<string, unknown> {
  const indexed =
    event.status === 'DELIVERED' ? {} : { outboxStatus: outboxDueKey(event.status, event.eventId) };
  return { pk: paymentPk(event.transactionId), sk: eventSk(event.eventId), ...event, ...indexed };
}

/** The event an item stores (keys and index attributes dropped). */
export function itemToEvent(item: Record<string, unknown>): OutboxEvent {
  const {
    pk: _pk,
    sk: _sk,
    outboxStatus: _due,
    [STATUS_SHARD_ATTRIBUTE]: _listed,
    ...event
  } = item;
  return event as unknown as OutboxEvent;
}

/**
 * The update that records a delivery at `at`: conditional on the event still
 * PENDING; it leaves the due index (and joins none).
 */
function deliveredUpdate(at: Date) {
  return {
    UpdateExpression:
      'SET #status = :delivered, deliveredAt = :at ADD attempts :one REMOVE outboxStatus, leaseUntil',
    ConditionExpression: '#status = :pending',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':delivered': 'DELIVERED',
      ':one': 1,
      ':pending': 'PENDING',
      ':at': at.toISOString(),
    },
  };
}

/** Options of {@link DynamoOutboxStore}. */
export interface DynamoOutboxStoreOptions {
  /**
   * Told of a shard of the due index that could not be read: {@link
   * DynamoOutboxStore.listDue} leaves it out of that listing (its events stay
   * PENDING for the next run) rather than fail the run for every shard.
   */
  onShardFailure?: (shard: string, error: unknown) => void;
}

/**
 * {@link OutboxStore} on the payments table. Every mark* records the outcome
 * of one delivery attempt, so each adds 1 to `attempts`; each is conditional
 * on the event still being PENDING, so a late writer never moves a delivered
 * or dead event back.
 */
export class DynamoOutboxStore implements OutboxStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** When a re-driven event becomes due again. */
    private readonly clock: () => Date = () => new Date(),
    private readonly options: DynamoOutboxStoreOptions = {},
  ) {}

  /**
   * Due events, the earliest due first, from every shard of the due index
   * (or every shard the listing's slice owns, from its `after` on) at once,
   * merged by nextAttemptAt. A shard that fails is left out of this listing
   * and reported to `onShardFailure`; if all fail, this throws.
   */
  async listDue(now: Date, limit: number, listing: DueListing = {}): Promise<OutboxEvent[]> {
    const until = now.toISOString();
    const after = listing.after;
    if (after !== undefined && after > until) return [];
    const range =
      after === undefined ? 'nextAttemptAt <= :now' : 'nextAttemptAt BETWEEN :after AND :now';
    const read = await readShardsMerged<OutboxEvent>({
      shards: keysOfSlice(outboxDueKeys('PENDING'), listing.slice),
      limit,
      compare: (a, b) => byCodeUnit(a.nextAttemptAt, b.nextAttemptAt),
      readPage: async (shard, startKey, pageLimit) => {
        const out = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: OUTBOX_DUE_INDEX,
            KeyConditionExpression: `outboxStatus = :shard AND ${range}`,
            // A leased event is someone else's until its lease runs out.
            FilterExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
            ExpressionAttributeValues: {
              ':shard': shard,
              ':now': until,
              ...(after !== undefined && { ':after': after }),
            },
            ScanIndexForward: true,
            Limit: pageLimit,
            ExclusiveStartKey: startKey,
          }),
        );
        return { items: (out.Items ?? []).map(itemToEvent), lastKey: out.LastEvaluatedKey };
      },
      onShardFailure: (shard, error) => this.options.onShardFailure?.(shard, error),
    });
    return read.items;
  }

  async claim(event: OutboxEvent, leaseUntil: Date, now: Date): Promise<boolean> {
    // Conditioned on what was read, not only on the lease: an event that
    // another run already tried (attempts moved) or rescheduled (not due
    // yet) cannot be claimed from a stale listing, so overlapping relays
    // never deliver one event early or twice.
    return this.conditionalUpdate(event, {
      UpdateExpression: 'SET leaseUntil = :lease',
      ConditionExpression:
        '#status = :pending AND nextAttemptAt <= :now AND attempts = :attempts' +
        ' AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':lease': leaseUntil.toISOString(),
        ':now': now.toISOString(),
        ':pending': 'PENDING',
        ':attempts': event.attempts,
      },
    });
  }

  async markDelivered(event: OutboxEvent, at: Date): Promise<void> {
    await this.conditionalUpdate(event, deliveredUpdate(at));
  }

  async markFailed(
    event: OutboxEvent,
    failure: { error: string; nextAttemptAt: Date; countAttempt?: boolean },
  ): Promise<void> {
    await this.conditionalUpdate(event, {
      UpdateExpression: `SET lastError = :error, nextAttemptAt = :next ADD attempts :one REMOVE leaseUntil`,
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':error': failure.error.slice(0, 1000),
        ':next': failure.nextAttemptAt.toISOString(),
        ':one': failure.countAttempt === false ? 0 : 1,
        ':pending': 'PENDING',
      },
    });
  }

  async markDead(event: OutboxEvent, error: string): Promise<void> {
    await this.conditionalUpdate(event, {
      UpdateExpression:
        'SET #status = :dead, outboxStatus = :deadKey, lastError = :error ADD attempts :one REMOVE leaseUntil',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':dead': 'DEAD',
        ':deadKey': outboxDueKey('DEAD', event.eventId),
        ':error': error.slice(0, 1000),
        ':one': 1,
        ':pending': 'PENDING',
      },
    });
  }

  async redrive(transactionId: string, eventId?: string): Promise<OutboxEvent[]> {
    const events = eventId
      ? (await this.listForPayment(transactionId)).filter((e) => e.eventId === eventId)
      : await this.listForPayment(transactionId);
    const now = this.clock().toISOString();
    const redriven: OutboxEvent[] = [];
    for (const event of events.filter((e) => e.status === 'DEAD')) {
      const moved = await this.conditionalUpdate(event, {
        UpdateExpression:
          'SET #status = :pending, outboxStatus = :pendingKey, attempts = :zero, nextAttemptAt = :now',
        ConditionExpression: '#status = :dead',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pending': 'PENDING',
          ':pendingKey': outboxDueKey('PENDING', event.eventId),
          ':dead': 'DEAD',
          ':zero': 0,
          ':now': now,
        },
      });
      if (moved) redriven.push({ ...event, status: 'PENDING', attempts: 0, nextAttemptAt: now });
    }
    return redriven;
  }

  /** Every event of one payment, read consistently (for the fast path and GET). */
  async listForPayment(transactionId: string): Promise<OutboxEvent[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': paymentPk(transactionId), ':prefix': 'EVENT#' },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(itemToEvent);
  }

  /** Runs one conditional update on an event; false when its condition no longer holds. */
  private async conditionalUpdate(
    event: OutboxEvent,
    update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: paymentPk(event.transactionId), sk: eventSk(event.eventId) },
          ...update,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
