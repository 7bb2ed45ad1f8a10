import { randomUUID } from 'node:crypto';
import { ConflictError, ServiceUnavailableError } from '../shared/errors.js';
import { CONFLICT, sleep as realSleep, retryOnConflict } from '../shared/retry-on-conflict.js';
import type { NotificationChannel } from './channel.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { dedupeKey } from './dedupe.js';
import type { NotificationRepository } from './notification-repository.js';
import type { DedupeClaim, NotificationPage, NotificationRecord } from './types.js';

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
  /**
   * How long a claim (SENDING) is its holder's, in seconds: longer than the
   * send function's timeout. Past it the holder is taken for dead and the next
   * delivery of the same notification takes the claim over (default 15).
   */
  leaseSeconds?: number;
  /**
   * How long a duplicate waits for a claim still SENDING to end before it
   * answers 409 (default 1500 ms): a send takes milliseconds, so a burst of
   * duplicates mostly ends as SKIPPED rather than as retries.
   */
  inProgressWaitMs?: number;
}

/** Default {@link NotificationServiceDeps.leaseSeconds}: the send function's 10 s timeout and a margin. */
export const DEFAULT_LEASE_SECONDS = 15;

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
 * identical requests exactly one sends. A repeat of a SENT notification is
 * recorded SKIPPED with the reason and the original's id; a repeat while the
 * original is still SENDING is a 409 with Retry-After (never a 200: the
 * caller must not take it as delivered). The claim is a lease: once it has
 * expired (its holder died), the next repeat takes it over and finishes the
 * send, under the same channel idempotency key (the eventId), so the user
 * gets it once. If the channel fails, the claim is given back and a 503 lets
 * the caller retry.
 */
export async function sendNotification(
  deps: NotificationServiceDeps,
  input: SendNotificationInput,
  context: NotificationContext,
): Promise<SendNotificationResult> {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const sleep = deps.sleep ?? realSleep;
  const leaseMs = (deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
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
        leaseUntil: at.getTime() + leaseMs,
      };
      const expiresAt =
        deps.dedupeWindowSeconds > 0 ? nowSeconds + deps.dedupeWindowSeconds : undefined;
      if ((await deps.repository.claim(record, { expiresAt, nowSeconds })) === 'claimed') {
        return sendClaimed(deps, record, now);
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
      const held = await settled(deps, original.claim, input.userId, leaseMs, now, sleep);
      // Claim and record are written together: no record means a race with a release.
      if (!held || held.status === 'FAILED') return CONFLICT;
      if (held.status === 'SENDING') {
        const nowMs = now().getTime();
        const until = leaseEnd(held, leaseMs);
        if (until > nowMs) throw inProgress(held.notificationId, until - nowMs);
        // Its holder died between claim and send: finish its send, once.
        const taken = await deps.repository.renewLease(held, nowMs + leaseMs, nowMs);
        if (!taken) return CONFLICT;
        return sendClaimed(deps, { ...held, leaseUntil: nowMs + leaseMs }, now);
      }
      const skipped: NotificationRecord = {
        ...record,
        status: 'SKIPPED',
        reason: original.reason,
        originalNotificationId: original.claim.notificationId,
      };
      delete skipped.leaseUntil;
      await deps.repository.put(skipped);
      return { status: 'SKIPPED', record: skipped };
    },
    {
      maxAttempts: deps.maxAttempts ?? 10,
      sleep,
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

/** Sends a record this request holds the claim of, and marks it SENT (or gives the claim back). */
async function sendClaimed(
  deps: NotificationServiceDeps,
  record: NotificationRecord,
  now: () => Date,
): Promise<SendNotificationResult> {
  try {
    await deps.channel.send({
      notificationId: record.notificationId,
      userId: record.userId,
      message: record.message,
      correlationId: record.correlationId,
      // A send repeated after a takeover must not reach the user twice.
      idempotencyKey: record.eventId ?? record.notificationId,
    });
  } catch (error) {
    await deps.repository.release(record);
    throw new ServiceUnavailableError('NOTIFICATION_NOT_SENT', 'The message could not be sent', {
      cause: error,
      headers: { 'Retry-After': '1' },
    });
  }
  const sentAt = now().toISOString();
  await deps.repository.markSent(record, sentAt, deps.channel.name);
  const { leaseUntil: _lease, ...sent } = record;
  return {
    status: 'SENT',
    record: { ...sent, status: 'SENT', sentAt, channel: deps.channel.name },
  };
}

/**
 * When the claim of a SENDING record ends: its lease, or (a record written
 * before leases existed) its creation plus one lease.
 */
function leaseEnd(record: NotificationRecord, leaseMs: number): number {
  return record.leaseUntil ?? Date.parse(record.createdAt) + leaseMs;
}

/**
 * The record a claim points to, once it is no longer SENDING under a live
 * lease, or as it stands after `inProgressWaitMs`.
 */
async function settled(
  deps: NotificationServiceDeps,
  claim: DedupeClaim,
  userId: string,
  leaseMs: number,
  now: () => Date,
  sleep: (ms: number) => Promise<void>,
): Promise<NotificationRecord | undefined> {
  const waitMs = deps.inProgressWaitMs ?? 1500;
  let waited = 0;
  for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
    const record = await deps.repository.get({ ...claim, userId: claim.userId ?? userId });
    const busy = record?.status === 'SENDING' && leaseEnd(record, leaseMs) > now().getTime();
    if (!busy || waited + pause > waitMs) return record;
    await sleep(pause);
    waited += pause;
  }
}

/** 409: the original is still being sent; retry once its lease may have ended (`leftMs` from now). */
function inProgress(notificationId: string, leftMs: number): ConflictError {
  return new ConflictError(
    'NOTIFICATION_IN_PROGRESS',
    `Notification ${notificationId} is still being sent; retry later`,
    { headers: { 'Retry-After': String(Math.max(1, Math.ceil(leftMs / 1000))) } },
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
