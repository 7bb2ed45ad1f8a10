import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isConditionalCheckFailed, isValidationException } from '../shared/dynamo.js';
import { ServiceUnavailableError } from '../shared/errors.js';
import { invalidCursor } from '../shared/validation.js';
import type { NotificationClaim, NotificationRecord, PendingNotification } from './types.js';

/** Options of a message claim: when it stops blocking repeats, and whose claim it may overwrite. */
export interface MessageClaimOptions {
  /** Epoch seconds; absent = the claim never expires. */
  expiresAt?: number;
  /** Epoch seconds now: an older claim whose window has passed is taken over. */
  nowSeconds: number;
  /** A holder whose claim may be overwritten: no lead points to it any more (it was given back). */
  replacing?: string;
}

/** Where a notification's lead claim is: the eventId's when it has one, else its message's. */
export interface LeadKey {
  notificationId: string;
  eventId?: string;
  dedupeKey: string;
}

/** A page of raw records and the key to continue from. */
export interface RecordPage {
  items: NotificationRecord[];
  lastKey?: { pk: string; sk: string };
}

/**
 * Persistence of notification records and their claims. Every write is a
 * single-item write: the order of the writes (the lead claim first, the
 * record last) and the service's reading of them stand in for a transaction.
 */
export interface NotificationRepository {
  /** Claims the eventId for `pending` (its lead: lease and what a takeover needs); the claim that holds it if taken. */
  claimEvent(pending: PendingNotification): Promise<'claimed' | NotificationClaim>;
  /**
   * Claims `pending`'s userId + message (its lead when it has no eventId, else
   * a pointer to its event claim), over an absent or expired claim, its own
   * (a takeover) or `replacing`; the claim that holds it if taken.
   */
  claimMessage(
    pending: PendingNotification,
    options: MessageClaimOptions,
  ): Promise<'claimed' | NotificationClaim>;
  /** The claim on an eventId (consistent read). */
  eventClaim(eventId: string): Promise<NotificationClaim | undefined>;
  /** The claim on a dedupe key (consistent read). */
  messageClaim(dedupeKey: string): Promise<NotificationClaim | undefined>;
  /** The record of a notification (consistent read). */
  get(
    key: Pick<NotificationRecord, 'userId' | 'createdAt' | 'notificationId'>,
  ): Promise<NotificationRecord | undefined>;
  /**
   * Takes over the lead claim of a notification whose lease has expired (its
   * holder died): true only for the one caller whose renewal committed.
   */
  renewLease(lead: LeadKey, leaseUntil: number, nowMs: number): Promise<boolean>;
  /**
   * Writes a record. SENT always lands (it supersedes a FAILED or SKIPPED
   * attempt of the same notification); SKIPPED and FAILED never overwrite a
   * SENT record: false when one was there.
   */
  put(record: NotificationRecord): Promise<boolean>;
  /**
   * Gives back `pending`'s claims while its lease is still the holder's: its
   * lead, then (if `message` and it has an eventId) its message claim.
   */
  release(pending: PendingNotification, options: { message: boolean }): Promise<void>;
  /** A user's records, newest first. */
  list(userId: string, limit: number, startKey?: { pk: string; sk: string }): Promise<RecordPage>;
}

const userPk = (userId: string) => `USER#${userId}`;
const dedupePk = (key: string) => `DEDUPE#${key}`;
const eventPk = (eventId: string) => `EVENT#${eventId}`;
const eventKey = (eventId: string) => ({ pk: eventPk(eventId), sk: 'EVENT' });
const dedupeItemKey = (key: string) => ({ pk: dedupePk(key), sk: 'DEDUPE' });
const leadKeyOf = (lead: Omit<LeadKey, 'notificationId'>) =>
  lead.eventId === undefined ? dedupeItemKey(lead.dedupeKey) : eventKey(lead.eventId);
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

/** An item without its table key. */
function withoutKey<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

/** The claim a refused conditional write found (ReturnValuesOnConditionCheckFailure: ALL_OLD). */
function foundClaim(error: unknown): NotificationClaim | undefined {
  const raw = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
  return raw ? withoutKey<NotificationClaim>(unmarshall(raw)) : undefined;
}

/** The lead claim's body: who holds it, the lease, and what a takeover needs to finish. */
function leadBody(pending: PendingNotification) {
  return {
    notificationId: pending.notificationId,
    userId: pending.userId,
    createdAt: pending.createdAt,
    leaseUntil: pending.leaseUntil,
    correlationId: pending.correlationId,
    caller: pending.caller,
  };
}

/** DynamoDB adapter over NOTIFICATIONS_TABLE (pk/sk, TTL attribute `expiresAt`). */
export class DynamoNotificationRepository implements NotificationRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { doc: DynamoDBDocumentClient; table: string }) {
    this.#doc = options.doc;
    this.#table = options.table;
  }

  async claimEvent(pending: PendingNotification): Promise<'claimed' | NotificationClaim> {
    if (pending.eventId === undefined) throw new TypeError('claimEvent needs an eventId');
    return this.#claim(
      {
        ...eventKey(pending.eventId),
        ...leadBody(pending),
        message: pending.message,
      },
      'attribute_not_exists(pk)',
      {},
    );
  }

  async claimMessage(
    pending: PendingNotification,
    options: MessageClaimOptions,
  ): Promise<'claimed' | NotificationClaim> {
    const body =
      pending.eventId === undefined
        ? leadBody(pending)
        : {
            notificationId: pending.notificationId,
            userId: pending.userId,
            createdAt: pending.createdAt,
            eventId: pending.eventId,
          };
    return this.#claim(
      {
        ...dedupeItemKey(pending.dedupeKey),
        ...body,
        ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
      },
      // TTL deletes lazily (up to days late), so an expired claim is taken
      // over explicitly rather than trusted to be gone.
      'attribute_not_exists(pk) OR expiresAt < :now OR notificationId IN (:self, :replacing)',
      {
        ':now': options.nowSeconds,
        ':self': pending.notificationId,
        ':replacing': options.replacing ?? pending.notificationId,
      },
    );
  }

  async #claim(
    item: Record<string, unknown>,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<'claimed' | NotificationClaim> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: condition,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          // The holder comes back with the refusal: no read to learn who it is.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw unavailable(error);
      const holder = foundClaim(error);
      if (!holder) throw unavailable(error);
      return holder;
    }
  }

  async eventClaim(eventId: string): Promise<NotificationClaim | undefined> {
    return this.#read<NotificationClaim>(eventKey(eventId));
  }

  async messageClaim(dedupeKey: string): Promise<NotificationClaim | undefined> {
    return this.#read<NotificationClaim>(dedupeItemKey(dedupeKey));
  }

  async get(
    key: Pick<NotificationRecord, 'userId' | 'createdAt' | 'notificationId'>,
  ): Promise<NotificationRecord | undefined> {
    return this.#read<NotificationRecord>({ pk: userPk(key.userId), sk: recordSk(key) });
  }

  async #read<T>(key: { pk: string; sk: string }): Promise<T | undefined> {
    try {
      const { Item } = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
      );
      return Item ? withoutKey<T>(Item) : undefined;
    } catch (error) {
      throw unavailable(error);
    }
  }

  async renewLease(lead: LeadKey, leaseUntil: number, nowMs: number): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: leadKeyOf(lead),
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression: 'notificationId = :id AND leaseUntil < :now',
          ExpressionAttributeValues: {
            ':until': leaseUntil,
            ':id': lead.notificationId,
            ':now': nowMs,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw unavailable(error);
    }
  }

  async put(record: NotificationRecord): Promise<boolean> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: userPk(record.userId), sk: recordSk(record), ...record },
          ...(record.status === 'SENT'
            ? {}
            : {
                ConditionExpression: 'attribute_not_exists(pk) OR #status <> :sent',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':sent': 'SENT' },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw unavailable(error);
    }
  }

  async release(pending: PendingNotification, options: { message: boolean }): Promise<void> {
    try {
      // The lead first, and only while the lease is ours: after a takeover the
      // new holder owns both claims.
      await this.#doc.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: leadKeyOf(pending),
          ConditionExpression: 'notificationId = :id AND leaseUntil = :lease',
          ExpressionAttributeValues: {
            ':id': pending.notificationId,
            ':lease': pending.leaseUntil,
          },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw unavailable(error);
    }
    if (!options.message || pending.eventId === undefined) return;
    try {
      await this.#doc.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: dedupeItemKey(pending.dedupeKey),
          ConditionExpression: 'notificationId = :id',
          ExpressionAttributeValues: { ':id': pending.notificationId },
        }),
      );
    } catch (error) {
      // Taken over since (its window passed): not ours to give back.
      if (isConditionalCheckFailed(error)) return;
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
      const items = (page.Items ?? []).map((item) => withoutKey<NotificationRecord>(item));
      const last = page.LastEvaluatedKey as { pk: string; sk: string } | undefined;
      return { items, lastKey: last ? { pk: last.pk, sk: last.sk } : undefined };
    } catch (error) {
      // A start key DynamoDB refuses came from the client's cursor: a 400, not an outage.
      if (startKey && isValidationException(error)) throw invalidCursor(undefined, error);
      throw unavailable(error);
    }
  }
}
