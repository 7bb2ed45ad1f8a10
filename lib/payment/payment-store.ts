import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OutboxEvent, OutboxEventType, OutboxStatus } from '../outbox/types.js';
import { isConditionalCheckFailed } from '../shared/dynamo.js';
import { STATUS_SHARD_ATTRIBUTE, statusShardKey } from './indexes.js';
import { outboxEventsFor } from './outbox/events.js';
import { eventToItem, itemToEvent, paymentPk } from './outbox/store.js';
import type { Payment, PaymentRecord } from './types.js';

/** Sort key of a payment's own item (the events handed to the outbox sort under `EVENT#`). */
export const PAYMENT_SK = 'PAYMENT';

/**
 * The attribute of the payment item that records its events: eventId →
 * {@link EventState}. An event's payload follows from the payment
 * (outbox/events.ts), so the item keeps only where each event is.
 */
export const EVENT_STATES_ATTRIBUTE = 'eventStates';

/** Where one of a payment's events is, as the payment item records it. */
export interface EventState {
  type: OutboxEventType;
  status: OutboxStatus;
  attempts: number;
  deliveredAt?: string;
}

/** What {@link PaymentStore.finalize} did: `changed` is false when the payment was already final. */
export interface FinalizeResult extends PaymentRecord {
  changed: boolean;
}

/**
 * Persistence of payments and their events. A payment is written once, final,
 * with a record of its events in the same item (one conditional write: the
 * payment and its outbox are atomic). The request that wrote it delivers the
 * events and records how that went ({@link recordEvents}); an event it could
 * not deliver, or every event of a payment whose request died (the charge
 * stays on the reconciler's list until then), becomes an item of the outbox
 * proper, where the relay finds it ({@link handOver}).
 */
export interface PaymentStore {
  /**
   * Writes the final payment with its events, PENDING, only if the payment is
   * not final yet; otherwise writes nothing and returns what is stored.
   */
  finalize(payment: Payment, events: OutboxEvent[]): Promise<FinalizeResult>;
  /**
   * Records the fast path's outcome: a delivered event on the payment item
   * (one write for all of them), any other as an outbox item of its own in
   * its new state (rescheduled or DEAD), for the relay.
   */
  recordEvents(transactionId: string, events: OutboxEvent[]): Promise<void>;
  /**
   * Hands every event of the payment that is neither delivered nor in the
   * outbox yet to the outbox, due at `now` (the relay delivers it); returns
   * those it handed over (none when the payment is not final).
   */
  handOver(transactionId: string, now: Date): Promise<OutboxEvent[]>;
  get(transactionId: string): Promise<PaymentRecord | undefined>;
}

/** The state the payment item records for an event. */
function stateOf(event: OutboxEvent): EventState {
  return {
    type: event.type,
    status: event.status,
    attempts: event.attempts,
    ...(event.deliveredAt ? { deliveredAt: event.deliveredAt } : {}),
  };
}

/**
 * {@link PaymentStore} on the payments table: item `PAYMENT#<id>`/`PAYMENT`
 * (with {@link EVENT_STATES_ATTRIBUTE}) and the `EVENT#` items of the events
 * handed to the outbox (outbox/store.ts), all under one partition key.
 */
export class DynamoPaymentStore implements PaymentStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async finalize(payment: Payment, events: OutboxEvent[]): Promise<FinalizeResult> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: paymentPk(payment.transactionId),
            sk: PAYMENT_SK,
            ...payment,
            [EVENT_STATES_ATTRIBUTE]: Object.fromEntries(
              events.map((e) => [e.eventId, stateOf(e)]),
            ),
            // The operator's list by status, on a shard of its own.
            [STATUS_SHARD_ATTRIBUTE]: statusShardKey(payment.status, payment.transactionId),
          },
          // The payment item exists only once final: its existence is the "already final" flag.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { payment, events, changed: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const stored = await this.get(payment.transactionId);
      if (!stored) throw new Error(`Payment ${payment.transactionId} vanished after a conflict`);
      return { ...stored, changed: false };
    }
  }

  async recordEvents(transactionId: string, events: OutboxEvent[]): Promise<void> {
    // The outbox items first: once the payment item says where the others
    // are, nothing but the relay must be left to do.
    await Promise.all(
      events.filter((e) => e.status !== 'DELIVERED').map((event) => this.putOutboxItem(event)),
    );
    const delivered = events.filter((e) => e.status === 'DELIVERED');
    if (delivered.length === 0) return;
    const names: Record<string, string> = { '#states': EVENT_STATES_ATTRIBUTE };
    const values: Record<string, unknown> = {};
    const sets = delivered.map((event, i) => {
      names[`#e${i}`] = event.eventId;
      values[`:s${i}`] = stateOf(event);
      return `#states.#e${i} = :s${i}`;
    });
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: paymentPk(transactionId), sk: PAYMENT_SK },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(#states)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async handOver(transactionId: string, now: Date): Promise<OutboxEvent[]> {
    const read = await this.read(transactionId);
    const owed = read?.recorded.filter((e) => e.status === 'PENDING') ?? [];
    const due = owed.map((event) => ({ ...event, nextAttemptAt: now.toISOString() }));
    const put = await Promise.all(due.map((event) => this.putOutboxItem(event)));
    return due.filter((_, i) => put[i]);
  }

  /** Puts an event's outbox item unless it has one; false when it had. */
  private async putOutboxItem(event: OutboxEvent): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: eventToItem(event),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * The payment and its events, from one consistent query of its partition:
   * an event's outbox item where it has one, the payment item's record of
   * it otherwise (its payload rebuilt from the payment).
   */
  async get(transactionId: string): Promise<PaymentRecord | undefined> {
    const read = await this.read(transactionId);
    return read && { payment: read.payment, events: [...read.recorded, ...read.inOutbox] };
  }

  /** The payment, its events only the payment item records, and those in the outbox. */
  private async read(
    transactionId: string,
  ): Promise<{ payment: Payment; recorded: OutboxEvent[]; inOutbox: OutboxEvent[] } | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': paymentPk(transactionId) },
        ConsistentRead: true,
      }),
    );
    const items = out.Items ?? [];
    const item = items.find((i) => i.sk === PAYMENT_SK);
    if (!item) return undefined;
    const {
      pk: _pk,
      sk: _sk,
      [STATUS_SHARD_ATTRIBUTE]: _listed,
      [EVENT_STATES_ATTRIBUTE]: states = {},
      ...payment
    } = item as Record<string, unknown> & { [EVENT_STATES_ATTRIBUTE]?: Record<string, EventState> };
    const final = payment as unknown as Payment;
    const inOutbox = items.filter((i) => i.sk !== PAYMENT_SK).map(itemToEvent);
    const ids = new Set(inOutbox.map((e) => e.eventId));
    // A payment written before its item recorded its events has them all in the outbox.
    const recorded = outboxEventsFor(final, new Date(final.finalizedAt))
      .filter((event) => !ids.has(event.eventId) && states[event.eventId])
      .map((event) => ({ ...event, ...(states[event.eventId] as EventState) }));
    return { payment: final, recorded, inOutbox };
  }
}
