import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../shared/dynamo.js';
import { ServiceUnavailableError } from '../shared/errors.js';

/** What a channel delivers. */
export interface OutgoingNotification {
  notificationId: string;
  userId: string;
  message: string;
  correlationId: string;
  /** The channel delivers one message per key (the eventId, else the notificationId), however often asked. */
  idempotencyKey: string;
}

/**
 * Where notifications actually go. In AWS this would be an SNS publish or an
 * SES send (an adapter with the same interface); locally it is
 * {@link TableOutboxChannel}. A channel throws when it could not deliver, and
 * delivers at most once per `idempotencyKey` (as SES/SNS-style providers do
 * with a client token), so a send repeated after a crash reaches the user once.
 */
export interface NotificationChannel {
  /** A short name recorded with each sent notification. */
  readonly name: string;
  send(notification: OutgoingNotification): Promise<void>;
}

/** Options of {@link TableOutboxChannel}. */
export interface TableOutboxChannelOptions {
  doc: DynamoDBDocumentClient;
  table: string;
  now?: () => Date;
}

/** Key prefix of delivered messages in the notifications table. */
export const DELIVERED_PREFIX = 'DELIVERED#';

/**
 * The local channel: "delivers" by writing the message to the notifications
 * table (pk DELIVERED#<userId>, sk the idempotency key, written once), where
 * tests and people can read exactly what a user would have received.
 */
export class TableOutboxChannel implements NotificationChannel {
  readonly name = 'local-outbox';
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => Date;

  constructor(options: TableOutboxChannelOptions) {
    this.#doc = options.doc;
    this.#table = options.table;
    this.#now = options.now ?? (() => new Date());
  }

  async send(notification: OutgoingNotification): Promise<void> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: `${DELIVERED_PREFIX}${notification.userId}`,
            sk: notification.idempotencyKey,
            ...notification,
            deliveredAt: this.#now().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (error) {
      // Delivered before under this key: the user has it already.
      if (isConditionalCheckFailed(error)) return;
      throw new ServiceUnavailableError('CHANNEL_UNAVAILABLE', 'The notification channel failed', {
        cause: error,
        headers: { 'Retry-After': '1' },
      });
    }
  }
}
