/** Status of one recorded notification request. */
export type NotificationStatus = 'SENDING' | 'SENT' | 'SKIPPED' | 'FAILED';

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
  /** While SENDING: epoch ms until which the claim is its holder's (then it may be taken over). */
  leaseUntil?: number;
}

/** The claim on a dedupe key or an eventId: who sent it, and until when it blocks a repeat. */
export interface DedupeClaim {
  notificationId: string;
  /** The user of the claimed record (with createdAt and notificationId: its key). */
  userId?: string;
  createdAt: string;
  /** Epoch seconds after which the claim no longer blocks; absent means forever. */
  expiresAt?: number;
}

/** A page of a user's notifications, newest first. */
export interface NotificationPage {
  items: NotificationRecord[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}
