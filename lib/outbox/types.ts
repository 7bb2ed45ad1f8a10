import type { ServiceName } from '../shared/logger.js';
import type { ShardSlice } from '../shared/shards.js';

/** The kinds of downstream effect a payment emits. */
export type OutboxEventType = 'order.status' | 'notification.send';

/** Where an outbox event is in its life. */
export type OutboxStatus = 'PENDING' | 'DELIVERED' | 'DEAD';

/**
 * One downstream effect of a payment, written in the same conditional write as
 * the payment's final status and delivered at least once (consumers dedupe on eventId).
 */
export interface OutboxEvent {
  eventId: string;
  transactionId: string;
  type: OutboxEventType;
  /** The service that consumes it. */
  target: ServiceName;
  /** The body the consumer receives (it includes eventId). */
  payload: Record<string, unknown>;
  /** The correlation id of the request that created it; every delivery carries it. */
  correlationId: string;
  status: OutboxStatus;
  attempts: number;
  /** ISO time before which no relay should try it again. */
  nextAttemptAt: string;
  createdAt: string;
  deliveredAt?: string;
  lastError?: string;
  /** ISO time until which one relay holds it (a lease, so two relays rarely work on one event). */
  leaseUntil?: string;
}

/** Which part of the due events a listing reads. */
export interface DueListing {
  /** Only the shards this slice owns (one of several runs at once). */
  slice?: ShardSlice;
  /** Only events due at or after this ISO time (where a run's previous page ended). */
  after?: string;
}

/** Persistence of outbox events, as the fast path and the relay need it. */
export interface OutboxStore {
  /**
   * Pending events whose nextAttemptAt has passed, the earliest due first,
   * none under a live lease; see {@link DueListing} for a part of them.
   */
  listDue(now: Date, limit: number, listing?: DueListing): Promise<OutboxEvent[]>;
  /** Takes a lease on a pending event; false when another relay holds it or it is no longer pending. */
  claim(event: OutboxEvent, leaseUntil: Date, now: Date): Promise<boolean>;
  markDelivered(event: OutboxEvent, at: Date): Promise<void>;
  /**
   * Records a failed attempt, releases the lease and schedules the next one.
   * `countAttempt: false` reschedules without counting (the call never left:
   * an open breaker, no time left).
   */
  markFailed(
    event: OutboxEvent,
    failure: { error: string; nextAttemptAt: Date; countAttempt?: boolean },
  ): Promise<void>;
  /** Parks the event as DEAD: no more automatic attempts until re-driven. */
  markDead(event: OutboxEvent, error: string): Promise<void>;
  /** Puts DEAD events of a payment (or one event) back to PENDING with attempts reset. */
  redrive(transactionId: string, eventId?: string): Promise<OutboxEvent[]>;
}

/** What one delivery attempt came to. */
export type DeliveryOutcome =
  | { outcome: 'delivered'; status: number }
  | {
      outcome: 'retry';
      error: string;
      retryAfterMs?: number;
      /**
       * Why a later attempt may succeed: `transient` (timeouts, 5xx, a 404 of
       * something that may yet appear, an in-progress duplicate), `auth` (a
       * 401/403: keys rotate and recover, but a bounded number of times), or
       * `not-sent` (the call never left: an open breaker, no time left; it
       * does not count as an attempt).
       */
      reason?: 'transient' | 'auth' | 'not-sent';
    }
  | { outcome: 'dead'; error: string };

/** Delivers one event to its consumer (one call through the internal client). */
export type EventDeliverer = (event: OutboxEvent) => Promise<DeliveryOutcome>;
