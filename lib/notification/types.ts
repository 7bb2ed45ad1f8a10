/** Status of one recorded notification request (a send in progress lives on its claims, not here). */
export type NotificationStatus = 'SENT' | 'SKIPPED' | 'FAILED';

/** Why a request was not sent. */
export type SkipReason = 'DUPLICATE_MESSAGE' | 'DUPLICATE_EVENT';

/** One recorded request to notify a user: sent, skipped, or (rarely) failed. */
export interface NotificationRecord {
  notificationId: string;
  userId: string;
  message: string;
  status: NotificationStatus;
  eventId?: string;
  reason?: SkipReason;
  /** For a SKIPPED record: the notification that was sent. */
  originalNotificationId?: string;
  /** The dedupe key (sha256 of userId + message). */
  dedupeKey: string;
  channel?: string;
  correlationId: string;
  caller: string;
  createdAt: string;
  sentAt?: string;
}

/**
 * A notification whose claims this request holds, until its record is
 * written: everything the record needs, and the lease that makes it ours.
 */
export interface PendingNotification {
  notificationId: string;
  userId: string;
  message: string;
  eventId?: string;
  dedupeKey: string;
  correlationId: string;
  caller: string;
  createdAt: string;
  /** Epoch ms until which the send is its holder's; past it a repeat may take it over. */
  leaseUntil: number;
}

/**
 * The claim on an eventId (`EVENT#`) or on a userId + message (`DEDUPE#`):
 * which notification holds it. A notification's first claim is its lead: the
 * eventId's when it has one, else the message's. The lead carries the lease
 * and what a takeover needs to finish the send; the other claim points to it.
 */
export interface NotificationClaim {
  notificationId: string;
  /** The holder's user (with createdAt and notificationId: its record's key). */
  userId: string;
  createdAt: string;
  /** Message claim: epoch seconds after which it no longer blocks; absent means forever. */
  expiresAt?: number;
  /** Message claim of a notification with an eventId: the eventId's claim is its lead. */
  eventId?: string;
  /** Lead: epoch ms until which the send is its holder's. */
  leaseUntil?: number;
  /** Event claim (lead): the message, for a takeover sent with another message under the same eventId. */
  message?: string;
  /** Lead: the holder's correlation id and caller, for its record. */
  correlationId?: string;
  caller?: string;
}

/** A page of a user's notifications, newest first. */
export interface NotificationPage {
  items: NotificationRecord[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}
