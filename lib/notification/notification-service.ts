import { randomUUID } from 'node:crypto';
import { ServiceUnavailableError } from '../shared/errors.js';
import { CONFLICT, sleep as realSleep, retryOnConflict } from '../shared/retry-on-conflict.js';
import type { NotificationChannel } from './channel.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { dedupeKey } from './dedupe.js';
import type { NotificationRepository } from './notification-repository.js';
import type { NotificationPage, NotificationRecord } from './types.js';

/** Collaborators of the notification use cases. */
export interface NotificationServiceDeps {
  repository: NotificationRepository;
  channel: NotificationChannel;
  /** How long a sent message blocks the same message to the same user; 0 = forever. */
  dedupeWindowSeconds: number;
  now?: () => Date;
  newId?: () => string;
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
}

/** Input of {@link sendNotification}, already validated. */
export interface SendNotificationInput {
  userId: string;
  message: string;
  eventId?: string;
}

/** Who asked, for the record. */
export interface NotificationContext {
  correlationId: string;
  caller: string;
}

/** Result of {@link sendNotification}: the record of this request. */
export interface SendNotificationResult {
  status: 'SENT' | 'SKIPPED';
  record: NotificationRecord;
}

/**
 * Sends `message` to `userId` at most once per userId + message (within the
 * dedupe window) and at most once per eventId. The claim on both keys and
 * the record are one conditional transaction, so of any number of concurrent
 * identical requests exactly one sends; every other one is recorded SKIPPED
 * with the reason and the original's id. If the channel fails, the claim is
 * given back and a 503 lets the caller retry.
 */
export async function sendNotification(
  deps: NotificationServiceDeps,
  input: SendNotificationInput,
  context: NotificationContext,
): Promise<SendNotificationResult> {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const key = dedupeKey(input.userId, input.message);
  return retryOnConflict(
    async () => {
      const at = now();
      const nowSeconds = Math.floor(at.getTime() / 1000);
      const record: NotificationRecord = {
        notificationId: newId(),
        userId: input.userId,
        message: input.message,
        status: 'SENDING',
        eventId: input.eventId,
        dedupeKey: key,
        correlationId: context.correlationId,
        caller: context.caller,
        createdAt: at.toISOString(),
      };
      const expiresAt =
        deps.dedupeWindowSeconds > 0 ? nowSeconds + deps.dedupeWindowSeconds : undefined;
      if ((await deps.repository.claim(record, { expiresAt, nowSeconds })) === 'claimed') {
        try {
          await deps.channel.send({
            notificationId: record.notificationId,
            userId: record.userId,
            message: record.message,
            correlationId: record.correlationId,
          });
        } catch (error) {
          await deps.repository.release(record);
          throw new ServiceUnavailableError(
            'NOTIFICATION_NOT_SENT',
            'The message could not be sent',
            {
              cause: error,
              headers: { 'Retry-After': '1' },
            },
          );
        }
        const sentAt = now().toISOString();
        await deps.repository.markSent(record, sentAt, deps.channel.name);
        return {
          status: 'SENT',
          record: { ...record, status: 'SENT', sentAt, channel: deps.channel.name },
        };
      }
      const claims = await deps.repository.activeClaims(key, input.eventId, nowSeconds);
      const original = claims.event
        ? { reason: 'DUPLICATE_EVENT' as const, claim: claims.event }
        : claims.message
          ? { reason: 'DUPLICATE_MESSAGE' as const, claim: claims.message }
          : undefined;
      // Taken, yet no live claim: a concurrent transaction collided or a claim
      // was just released. Try again.
      if (!original) return CONFLICT;
      const skipped: NotificationRecord = {
        ...record,
        status: 'SKIPPED',
        reason: original.reason,
        originalNotificationId: original.claim.notificationId,
      };
      await deps.repository.put(skipped);
      return { status: 'SKIPPED', record: skipped };
    },
    {
      maxAttempts: deps.maxAttempts ?? 10,
      sleep: deps.sleep ?? realSleep,
      onExhausted: () =>
        new ServiceUnavailableError(
          'NOTIFICATION_CONTENDED',
          'Too many concurrent requests; retry',
          {
            headers: { 'Retry-After': '1' },
          },
        ),
    },
  );
}

/** Query of {@link listNotifications}, already validated. */
export interface ListNotificationsInput {
  userId: string;
  limit: number;
  cursor?: string;
}

/** A user's sent and skipped notifications, newest first, one page at a time. */
export async function listNotifications(
  repository: NotificationRepository,
  input: ListNotificationsInput,
): Promise<NotificationPage> {
  const start = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const page = await repository.list(input.userId, input.limit, start);
  return {
    items: page.items,
    ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}),
  };
}
