import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../shared/errors.js';

/** What a channel delivers. */
export interface OutgoingNotification {
  notificationId: string;
  userId: string;
  message: string;
  correlationId: string;
}

/**
 * Where notifications actually go. In AWS this would be an SNS publish or an
 * SES send (an adapter with the same interface); locally it is
 * {@link TableOutboxChannel}. A channel throws when it could not deliver.
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
 * table (pk DELIVERED#<userId>, sk notificationId), where tests and people can
 * read exactly what a user would have received.
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
            sk: notification.notificationId,
            ...notification,
            deliveredAt: this.#now().toISOString(),
          },
        }),
      );
    } catch (error) {
      throw new ServiceUnavailableError('CHANNEL_UNAVAILABLE', 'The notification channel failed', {
        cause: error,
        headers: { 'Retry-After': '1' },
      });
    }
  }
}
