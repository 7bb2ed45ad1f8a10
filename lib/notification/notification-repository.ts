import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  isConditionalCheckFailed,
  isTransactionCanceled,
  isValidationException,
} from '../shared/dynamo.js';
import { ServiceUnavailableError } from '../shared/errors.js';
import { invalidCursor } from '../shared/validation.js';
import type { DedupeClaim, NotificationRecord } from './types.js';

/** Options of a claim: when it stops blocking repeats. */
export interface ClaimOptions {
  /** Epoch seconds; absent = the dedupe claim never expires. */
  expiresAt?: number;
  /** Epoch seconds now: an older claim whose window has passed is taken over. */
  nowSeconds: number;
}

/** The live claims that block a request, if any. */
export interface ActiveClaims {
  event?: DedupeClaim;
  message?: DedupeClaim;
}

/** A page of raw records and the key to continue from. */
export interface RecordPage {
  items: NotificationRecord[];
  lastKey?: { pk: string; sk: string };
}

/** Persistence of notification records and their dedupe claims. */
export interface NotificationRepository {
  /**
   * Atomically claims the message's dedupe key (and the eventId, if any) and
   * records the request as SENDING; 'taken' when another request holds a claim.
   */
  claim(record: NotificationRecord, options: ClaimOptions): Promise<'claimed' | 'taken'>;
  /** The claims that currently block `dedupeKey` / `eventId`. */
  activeClaims(
    dedupeKey: string,
    eventId: string | undefined,
    nowSeconds: number,
  ): Promise<ActiveClaims>;
  /** The record a claim points to (consistent read). */
  get(
    key: Pick<NotificationRecord, 'userId' | 'createdAt' | 'notificationId'>,
  ): Promise<NotificationRecord | undefined>;
  /**
   * Takes over the lease of a SENDING record whose lease has expired (its
   * holder died): true only for the one caller whose renewal committed.
   */
  renewLease(record: NotificationRecord, leaseUntil: number, nowMs: number): Promise<boolean>;
  /** Records a request that was not sent (SKIPPED). */
  put(record: NotificationRecord): Promise<void>;
  /** Marks a claimed record as SENT. */
  markSent(record: NotificationRecord, sentAt: string, channel: string): Promise<void>;
  /** Gives the claims back after a failed delivery and marks the record FAILED. */
  release(record: NotificationRecord): Promise<void>;
  /** A user's records, newest first. */
  list(userId: string, limit: number, startKey?: { pk: string; sk: string }): Promise<RecordPage>;
}

const userPk = (userId: string) => `USER#${userId}`;
const dedupePk = (key: string) => `DEDUPE#${key}`;
const eventPk = (eventId: string) => `EVENT#${eventId}`;
// Time first, so a user's records sort chronologically; the id breaks ties.
const recordSk = (record: Pick<NotificationRecord, 'createdAt' | 'notificationId'>) =>
  `${record.createdAt}#${record.notificationId}`;

function unavailable(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(
    'NOTIFICATION_STORE_UNAVAILABLE',
    'The notification store is unavailable',
    { cause, headers: { 'Retry-After': '1' } },
  );
}

/** DynamoDB adapter over NOTIFICATIONS_TABLE (pk/sk, TTL attribute `expiresAt`). */
export class DynamoNotificationRepository implements NotificationRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { doc: DynamoDBDocumentClient; table: string }) {
    this.#doc = options.doc;
    this.#table = options.table;
  }

  async claim(record: NotificationRecord, options: ClaimOptions): Promise<'claimed' | 'taken'> {
    const claim = {
      notificationId: record.notificationId,
      userId: record.userId,
      createdAt: record.createdAt,
      ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
    };
    try {
      await this.#doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table,
                Item: { pk: dedupePk(record.dedupeKey), sk: 'DEDUPE', ...claim },
                // TTL deletes lazily (up to days late), so an expired claim is
                // taken over explicitly rather than trusted to be gone.
                ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
                ExpressionAttributeValues: { ':now': options.nowSeconds },
              },
            },
            ...(record.eventId
              ? [
                  {
                    Put: {
                      TableName: this.#table,
                      Item: {
                        pk: eventPk(record.eventId),
                        sk: 'EVENT',
                        notificationId: record.notificationId,
                        userId: record.userId,
                        createdAt: record.createdAt,
                      },
                      ConditionExpression: 'attribute_not_exists(pk)',
                    },
                  },
                ]
              : []),
            {
              Put: {
                TableName: this.#table,
                Item: { pk: userPk(record.userId), sk: recordSk(record), ...record },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return 'claimed';
    } catch (error) {
      if (isTransactionCanceled(error)) return 'taken';
      throw unavailable(error);
    }
  }

  async activeClaims(
    dedupeKey: string,
    eventId: string | undefined,
    nowSeconds: number,
  ): Promise<ActiveClaims> {
    const read = async (pk: string, sk: string) => {
      const { Item } = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: { pk, sk }, ConsistentRead: true }),
      );
      if (!Item) return undefined;
      const claim = Item as DedupeClaim;
      return claim.expiresAt !== undefined && claim.expiresAt < nowSeconds ? undefined : claim;
    };
    try {
      const [event, message] = await Promise.all([
        eventId ? read(eventPk(eventId), 'EVENT') : Promise.resolve(undefined),
        read(dedupePk(dedupeKey), 'DEDUPE'),
      ]);
      return { event, message };
    } catch (error) {
      throw unavailable(error);
    }
  }

  async get(
    key: Pick<NotificationRecord, 'userId' | 'createdAt' | 'notificationId'>,
  ): Promise<NotificationRecord | undefined> {
    try {
      const { Item } = await this.#doc.send(
        new GetCommand({
          TableName: this.#table,
          Key: { pk: userPk(key.userId), sk: recordSk(key) },
          ConsistentRead: true,
        }),
      );
      if (!Item) return undefined;
      const { pk: _pk, sk: _sk, ...record } = Item;
      return record as NotificationRecord;
    } catch (error) {
      throw unavailable(error);
    }
  }

  async renewLease(
    record: NotificationRecord,
    leaseUntil: number,
    nowMs: number,
  ): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: userPk(record.userId), sk: recordSk(record) },
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression:
            '#status = :sending AND (leaseUntil < :now OR (attribute_not_exists(leaseUntil) AND createdAt < :createdBefore))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':until': leaseUntil,
            ':sending': 'SENDING',
            ':now': nowMs,
            // A record from before leases: its claim ends one lease after its creation.
            ':createdBefore': new Date(nowMs - (leaseUntil - nowMs)).toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw unavailable(error);
    }
  }

  async put(record: NotificationRecord): Promise<void> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: userPk(record.userId), sk: recordSk(record), ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      throw unavailable(error);
    }
  }

  async markSent(record: NotificationRecord, sentAt: string, channel: string): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: userPk(record.userId), sk: recordSk(record) },
          UpdateExpression:
            'SET #status = :sent, sentAt = :at, channel = :channel REMOVE leaseUntil',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sent': 'SENT', ':at': sentAt, ':channel': channel },
        }),
      );
    } catch (error) {
      throw unavailable(error);
    }
  }

  async release(record: NotificationRecord): Promise<void> {
    const mine = {
      ConditionExpression: 'notificationId = :id',
      ExpressionAttributeValues: { ':id': record.notificationId },
    };
    try {
      await this.#doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.#table,
                Key: { pk: dedupePk(record.dedupeKey), sk: 'DEDUPE' },
                ...mine,
              },
            },
            ...(record.eventId
              ? [
                  {
                    Delete: {
                      TableName: this.#table,
                      Key: { pk: eventPk(record.eventId), sk: 'EVENT' },
                      ...mine,
                    },
                  },
                ]
              : []),
            {
              Update: {
                TableName: this.#table,
                Key: { pk: userPk(record.userId), sk: recordSk(record) },
                UpdateExpression: 'SET #status = :failed REMOVE leaseUntil',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':failed': 'FAILED' },
              },
            },
          ],
        }),
      );
    } catch (error) {
      throw unavailable(error);
    }
  }

  async list(
    userId: string,
    limit: number,
    startKey?: { pk: string; sk: string },
  ): Promise<RecordPage> {
    if (startKey && startKey.pk !== userPk(userId)) {
      throw invalidCursor('does not belong to this userId');
    }
    try {
      const page = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': userPk(userId) },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      const items = (page.Items ?? []).map((item) => {
        const { pk: _pk, sk: _sk, ...record } = item;
        return record as NotificationRecord;
      });
      const last = page.LastEvaluatedKey as { pk: string; sk: string } | undefined;
      return { items, lastKey: last ? { pk: last.pk, sk: last.sk } : undefined };
    } catch (error) {
      // A start key DynamoDB refuses came from the client's cursor: a 400, not an outage.
      if (startKey && isValidationException(error)) throw invalidCursor(undefined, error);
      throw unavailable(error);
    }
  }
}
