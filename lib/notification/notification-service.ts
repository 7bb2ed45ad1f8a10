import { randomUUID } from 'node:crypto';
import { ConflictError, ServiceUnavailableError } from '../shared/errors.js';
import { CONFLICT, sleep as realSleep, retryOnConflict } from '../shared/retry-on-conflict.js';
import type { NotificationChannel } from './channel.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { dedupeKey } from './dedupe.js';
import type { LeadKey, NotificationRepository } from './notification-repository.js';
import type {
  NotificationClaim,
  NotificationPage,
  NotificationRecord,
  PendingNotification,
  SkipReason,
} from './types.js';

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
   * How long a claim is its holder's, in seconds: longer than the send
   * function's timeout. Past it the holder is taken for dead and the next
   * delivery of the same notification takes the claim over (default 15).
   */
  leaseSeconds?: number;
  /**
   * How long a duplicate waits for a send in progress to end before it
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
 * dedupe window) and at most once per eventId, with plain conditional writes
 * in a safe order: the eventId's claim first (the notification's lead: its
 * lease, and what a takeover needs), then the message's claim, then the
 * channel, then the record, written once as SENT. Of any number of concurrent
 * identical requests exactly one holds the claims and sends. A repeat of a
 * SENT notification is recorded SKIPPED with the reason and the original's
 * id; a repeat while the original is still being sent is a 409 with
 * Retry-After (never a 200: the caller must not take it as delivered). The
 * lead's lease ends a holder that died: the next repeat after it takes the
 * lead over and finishes that very notification (same id, same channel
 * idempotency key: the eventId), so the user gets it once. If the channel
 * fails, the claims are given back (FAILED) and a 503 lets the caller retry.
 */
export async function sendNotification(
  deps: NotificationServiceDeps,
  input: SendNotificationInput,
  context: NotificationContext,
): Promise<SendNotificationResult> {
  const send = new SendOnce(deps, input, context);
  return retryOnConflict(() => send.attempt(), {
    maxAttempts: deps.maxAttempts ?? 10,
    sleep: deps.sleep ?? realSleep,
    onExhausted: () =>
      new ServiceUnavailableError('NOTIFICATION_CONTENDED', 'Too many concurrent requests; retry', {
        headers: { 'Retry-After': '1' },
      }),
  });
}

/** What a claim's holder has come to, as a repeat finds it. */
type HolderState =
  /** Its record is SENT: the repeat is a duplicate. */
  | { kind: 'sent' }
  /** Its lead's lease is live: it is being sent. */
  | { kind: 'sending'; leftMs: number }
  /** Its lease has run out and nothing was recorded SENT: its holder died; take the lead over. */
  | { kind: 'abandoned'; lead: NotificationClaim }
  /** No lead points to it any more (given back): the claim may be overwritten. */
  | { kind: 'released' };

/** How many dead holders one attempt takes over in a chain (each found on the next one's claim). */
const MAX_TAKEOVERS = 2;

/** One request of {@link sendNotification}: its attempts, and the takeovers they make. */
class SendOnce {
  readonly #deps: NotificationServiceDeps;
  readonly #repository: NotificationRepository;
  readonly #input: SendNotificationInput;
  readonly #context: NotificationContext;
  readonly #now: () => Date;
  readonly #newId: () => string;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #leaseMs: number;

  constructor(
    deps: NotificationServiceDeps,
    input: SendNotificationInput,
    context: NotificationContext,
  ) {
    this.#deps = deps;
    this.#repository = deps.repository;
    this.#input = input;
    this.#context = context;
    this.#now = deps.now ?? (() => new Date());
    this.#newId = deps.newId ?? randomUUID;
    this.#sleep = deps.sleep ?? realSleep;
    this.#leaseMs = (deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
  }

  /** One try: claim the eventId (if any), then the message; or settle with whoever holds it. */
  async attempt(): Promise<SendNotificationResult | typeof CONFLICT> {
    const at = this.#now();
    const pending: PendingNotification = {
      notificationId: this.#newId(),
      userId: this.#input.userId,
      message: this.#input.message,
      ...(this.#input.eventId === undefined ? {} : { eventId: this.#input.eventId }),
      dedupeKey: dedupeKey(this.#input.userId, this.#input.message),
      correlationId: this.#context.correlationId,
      caller: this.#context.caller,
      createdAt: at.toISOString(),
      leaseUntil: at.getTime() + this.#leaseMs,
    };
    if (pending.eventId === undefined) return this.#claimMessageAndSend(pending, 0);
    const holder = await this.#repository.claimEvent(pending);
    if (holder === 'claimed') return this.#claimMessageAndSend(pending, 0);
    // The eventId is taken: its claim is its holder's lead.
    const key = {
      notificationId: holder.notificationId,
      eventId: pending.eventId,
      dedupeKey: pending.dedupeKey,
    };
    const state = await this.#watch(holder, key, holder);
    switch (state.kind) {
      case 'sent':
        return this.#skip(pending, 'DUPLICATE_EVENT', holder.notificationId, false);
      case 'sending':
        throw inProgress(holder.notificationId, state.leftMs);
      case 'abandoned':
        return this.#takeOver(state.lead, key, 1);
      case 'released':
        return CONFLICT;
    }
  }

  /**
   * Claims the message for `pending` (whose eventId, if any, is already
   * claimed) and sends it; or settles with the message's holder, giving
   * `pending`'s event claim back unless it stays as a SKIPPED record's.
   */
  async #claimMessageAndSend(
    pending: PendingNotification,
    takeovers: number,
  ): Promise<SendNotificationResult | typeof CONFLICT> {
    const holdsEvent = pending.eventId !== undefined;
    const nowSeconds = Math.floor(this.#now().getTime() / 1000);
    const window = this.#deps.dedupeWindowSeconds;
    const expiresAt = window > 0 ? nowSeconds + window : undefined;
    let replacing: string | undefined;
    for (let tries = 0; tries < 3; tries++) {
      const holder = await this.#repository.claimMessage(pending, {
        expiresAt,
        nowSeconds,
        replacing,
      });
      if (holder === 'claimed') return this.#deliver(pending);
      // With an eventId, the holder's lead is its event claim; without, this claim.
      const key = {
        notificationId: holder.notificationId,
        eventId: holder.eventId,
        dedupeKey: pending.dedupeKey,
      };
      const state = await this.#watch(
        holder,
        key,
        holder.eventId === undefined ? holder : undefined,
      );
      if (state.kind === 'released') {
        replacing = holder.notificationId;
        continue;
      }
      if (state.kind === 'sent') {
        return this.#skip(pending, 'DUPLICATE_MESSAGE', holder.notificationId, holdsEvent);
      }
      if (holdsEvent) await this.#repository.release(pending, { message: false });
      if (state.kind === 'sending') throw inProgress(holder.notificationId, state.leftMs);
      return this.#takeOver(state.lead, key, takeovers + 1);
    }
    if (holdsEvent) await this.#repository.release(pending, { message: false });
    return CONFLICT;
  }

  /**
   * Takes over the lead of a notification whose holder died and finishes it
   * as that notification (its id, createdAt, message and channel key), so
   * that the holder's own send, had it reached the channel, is not repeated.
   */
  async #takeOver(
    lead: NotificationClaim,
    key: LeadKey,
    takeovers: number,
  ): Promise<SendNotificationResult | typeof CONFLICT> {
    if (takeovers > MAX_TAKEOVERS) return CONFLICT;
    const nowMs = this.#now().getTime();
    // A message claim leads only without an eventId, and then its message is this request's.
    const message = lead.message ?? this.#input.message;
    const pending: PendingNotification = {
      notificationId: lead.notificationId,
      userId: lead.userId,
      message,
      ...(key.eventId === undefined ? {} : { eventId: key.eventId }),
      dedupeKey: dedupeKey(lead.userId, message),
      correlationId: lead.correlationId ?? this.#context.correlationId,
      caller: lead.caller ?? this.#context.caller,
      createdAt: lead.createdAt,
      leaseUntil: nowMs + this.#leaseMs,
    };
    if (!(await this.#repository.renewLease(key, pending.leaseUntil, nowMs))) return CONFLICT;
    return this.#claimMessageAndSend(pending, takeovers);
  }

  /** Sends a notification whose claims this request holds, and records it SENT (or FAILED, giving the claims back). */
  async #deliver(pending: PendingNotification): Promise<SendNotificationResult> {
    try {
      await this.#deps.channel.send({
        notificationId: pending.notificationId,
        userId: pending.userId,
        message: pending.message,
        correlationId: pending.correlationId,
        // A send repeated after a takeover must not reach the user twice.
        idempotencyKey: pending.eventId ?? pending.notificationId,
      });
    } catch (error) {
      // Recorded first: a SENT record (a slower holder's) is never contradicted
      // nor its claims given back.
      if (await this.#repository.put(recordOf(pending, { status: 'FAILED' }))) {
        await this.#repository.release(pending, { message: true });
      }
      throw new ServiceUnavailableError('NOTIFICATION_NOT_SENT', 'The message could not be sent', {
        cause: error,
        headers: { 'Retry-After': '1' },
      });
    }
    const record = recordOf(pending, {
      status: 'SENT',
      sentAt: this.#now().toISOString(),
      channel: this.#deps.channel.name,
    });
    await this.#repository.put(record);
    return { status: 'SENT', record };
  }

  /** Records `pending` SKIPPED, then gives its event claim back if it holds one. */
  async #skip(
    pending: PendingNotification,
    reason: SkipReason,
    originalNotificationId: string,
    holdsEvent: boolean,
  ): Promise<SendNotificationResult | typeof CONFLICT> {
    const record = recordOf(pending, { status: 'SKIPPED', reason, originalNotificationId });
    // Refused only for a takeover whose slower holder has recorded it SENT since: look again.
    if (!(await this.#repository.put(record))) return CONFLICT;
    if (holdsEvent) await this.#repository.release(pending, { message: false });
    return { status: 'SKIPPED', record };
  }

  /**
   * The state of the holder of `claim`, once it is no longer being sent, or
   * as it stands after `inProgressWaitMs`. `lead` is its lead claim when
   * the caller has just read it.
   */
  async #watch(
    claim: NotificationClaim,
    key: LeadKey,
    lead: NotificationClaim | undefined,
  ): Promise<HolderState> {
    const waitMs = this.#deps.inProgressWaitMs ?? 1500;
    let waited = 0;
    let known = lead;
    for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
      const state = await this.#inspect(claim, key, known);
      if (state.kind !== 'sending' || waited + pause > waitMs) return state;
      await this.#sleep(pause);
      waited += pause;
      known = undefined;
    }
  }

  async #inspect(
    claim: NotificationClaim,
    key: LeadKey,
    known: NotificationClaim | undefined,
  ): Promise<HolderState> {
    const [record, lead] = await Promise.all([
      this.#repository.get(claim),
      known ??
        (key.eventId === undefined
          ? this.#repository.messageClaim(key.dedupeKey)
          : this.#repository.eventClaim(key.eventId)),
    ]);
    if (record?.status === 'SENT') return { kind: 'sent' };
    if (lead?.notificationId !== claim.notificationId) return { kind: 'released' };
    const leftMs = (lead.leaseUntil ?? 0) - this.#now().getTime();
    return leftMs > 0 ? { kind: 'sending', leftMs } : { kind: 'abandoned', lead };
  }
}

/** The record of a pending notification, as it ends. */
function recordOf(
  pending: PendingNotification,
  outcome: Pick<NotificationRecord, 'status'> &
    Partial<Pick<NotificationRecord, 'reason' | 'originalNotificationId' | 'sentAt' | 'channel'>>,
): NotificationRecord {
  const { leaseUntil: _lease, ...record } = pending;
  return { ...record, ...outcome };
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
