import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { OutboxEvent } from '../outbox/types.js';
import { isTransactionCanceled } from '../shared/dynamo.js';
import { type ChargeResult, recordResultUpdate, UNFINALIZED_ATTRIBUTE } from './charge-store.js';
import { STATUS_SHARD_ATTRIBUTE, statusShardKey } from './indexes.js';
import { type DynamoOutboxStore, eventToItem, paymentPk } from './outbox/store.js';
import type { Payment, PaymentRecord } from './types.js';

/** Sort key of a payment's own item (its events sort under `EVENT#`). */
export const PAYMENT_SK = 'PAYMENT';

/** What {@link PaymentStore.finalize} did: `changed` is false when the payment was already final. */
export interface FinalizeResult extends PaymentRecord {
  changed: boolean;
}

/**
 * The gateway's answer, not stored yet: {@link PaymentStore.finalize} records
 * it on the charge inside its transaction, only if the charge is still
 * PENDING (the first recorded result wins).
 */
export interface NewChargeResult {
  result: ChargeResult;
  at: Date;
}

/** Thrown by {@link PaymentStore.finalize} when a new result lost: another result was recorded first. */
export class ChargeResultExistsError extends Error {
  constructor(transactionId: string) {
    super(`Charge ${transactionId} already has a recorded result`);
    this.name = 'ChargeResultExistsError';
  }
}

/** Persistence of payments and the outbox events written with them. */
export interface PaymentStore {
  /**
   * Writes the final payment and its events, and takes the charge out of the
   * unfinalized index, in one transaction, only if the payment is not final
   * yet and the charge's result is recorded (or, with `newResult`, records it
   * in the same transaction while the charge is still PENDING); otherwise
   * writes nothing and returns what is stored. Throws
   * {@link ChargeResultExistsError} when `newResult` lost to a result recorded
   * first and nothing is final yet.
   */
  finalize(
    payment: Payment,
    events: OutboxEvent[],
    newResult?: NewChargeResult,
  ): Promise<FinalizeResult>;
  get(transactionId: string): Promise<PaymentRecord | undefined>;
}

/**
 * {@link PaymentStore} on the payments table: item `PAYMENT#<id>`/`PAYMENT` and
 * its `EVENT#` items; finalizing also clears the charge's unfinalized marker
 * in the charges table.
 */
export class DynamoPaymentStore implements PaymentStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly outbox: DynamoOutboxStore,
    private readonly chargesTable: string,
  ) {}

  async finalize(
    payment: Payment,
    events: OutboxEvent[],
    newResult?: NewChargeResult,
  ): Promise<FinalizeResult> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: paymentPk(payment.transactionId),
                  sk: PAYMENT_SK,
                  ...payment,
                  // The operator's list by status, on a shard of its own.
                  [STATUS_SHARD_ATTRIBUTE]: statusShardKey(payment.status, payment.transactionId),
                },
                // The payment item exists only once final: its existence is the "already final" flag.
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...events.map((event) => ({
              Put: {
                TableName: this.tableName,
                Item: eventToItem(event),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
            { Update: this.#chargeUpdate(payment.transactionId, newResult) },
          ],
        }),
      );
      return { payment, events, changed: true };
    } catch (error) {
      if (!isTransactionCanceled(error)) throw error;
      // Failed condition (already final) or a conflict with a concurrent finalizer: either way,
      // if the payment is stored now, someone else wrote it and its events; otherwise surface it.
      const stored = await this.get(payment.transactionId);
      if (stored) return { ...stored, changed: false };
      if (newResult) throw new ChargeResultExistsError(payment.transactionId);
      throw error;
    }
  }

  /**
   * The charge's part of the finalizing transaction. In the same transaction:
   * no payment final with its charge still listed for the reconciler, and no
   * charge unlisted without its payment final. With a new result, the result
   * is recorded here too (one write instead of two), only on a PENDING charge.
   */
  #chargeUpdate(transactionId: string, newResult: NewChargeResult | undefined) {
    const names = { '#marker': UNFINALIZED_ATTRIBUTE, '#state': 'state' };
    if (!newResult) {
      return {
        TableName: this.chargesTable,
        Key: { transactionId },
        UpdateExpression: 'REMOVE #marker',
        ConditionExpression: 'attribute_exists(transactionId) AND #state <> :pending',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':pending': 'PENDING' },
      };
    }
    const record = recordResultUpdate(newResult.result, newResult.at);
    return {
      TableName: this.chargesTable,
      Key: { transactionId },
      UpdateExpression: `SET ${record.set} REMOVE #marker`,
      ConditionExpression: record.condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: record.values,
    };
  }

  async get(transactionId: string): Promise<PaymentRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: paymentPk(transactionId), sk: PAYMENT_SK },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, [STATUS_SHARD_ATTRIBUTE]: _listed, ...payment } = out.Item;
    return {
      payment: payment as Payment,
      events: await this.outbox.listForPayment(transactionId),
    };
  }
}
