import type { Logger } from '@aws-lambda-powertools/logger';
import { type BackoffOptions, fullJitterBackoff } from '../shared/backoff.js';
import { logAction } from '../shared/logger.js';
import type {
  DeliveryOutcome,
  EventDeliverer,
  OutboxEvent,
  OutboxStore,
} from '../shared/outbox.js';

/** What one relay run did with the events it saw. */
export interface RelayRunResult {
  /** Events this relay took a lease on. */
  claimed: number;
  delivered: number;
  /** Failed this time, scheduled again. */
  retried: number;
  /** Parked as DEAD (gave up, or the consumer refused for good). */
  dead: number;
  /** Due events left alone: another relay held them, or time ran short. */
  skipped: number;
}

/** What the relay reports, for metrics; logs are written anyway. */
export interface OutboxRelayHooks {
  onDelivered?(event: OutboxEvent): void;
  onRetry?(event: OutboxEvent, nextAttemptAt: Date): void;
  onDead?(event: OutboxEvent, error: string): void;
}

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  store: OutboxStore;
  deliver: EventDeliverer;
  logger: Logger;
  /** The current time; injectable for tests. */
  clock?: () => Date;
  /**
   * How long a transient failure is retried, from the event's creation, in
   * ms (default 24 h): past it the event is parked as DEAD. Timeouts, 5xx,
   * 404 and open breakers never park an event before then.
   */
  horizonMs?: number;
  /** Attempts answered 401/403 (the fast path's included) before an event is parked as DEAD. */
  maxAuthAttempts?: number;
  /** Backoff between attempts (capped exponential, full jitter). */
  backoff?: BackoffOptions;
  /** How long a claimed event is ours; longer than one delivery can take. */
  leaseMs?: number;
  /** Events read per run. */
  batchSize?: number;
  /** Stop claiming when less than this is left of the run's time, in ms: more than one delivery can take. */
  reserveMs?: number;
  /** Source of jitter; injectable for tests. */
  random?: () => number;
  hooks?: OutboxRelayHooks;
}

/** Options of one {@link OutboxRelay.runOnce}. */
export interface RelayRunOptions {
  /** Time left to this run, in ms (the Lambda's `context.getRemainingTimeInMillis`). */
  remainingTimeMs?: () => number;
}

/**
 * Re-delivers pending outbox events until they are delivered or parked as DEAD.
 * Delivery is at least once: a lease on each event keeps two relays from
 * working on it at the same time, and consumers dedupe on eventId for the
 * rare case a lease expires mid-delivery. Every step is logged with the
 * event's own correlation id, so a late delivery joins its original request.
 */
export class OutboxRelay {
  private readonly store: OutboxStore;
  private readonly deliver: EventDeliverer;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly horizonMs: number;
  private readonly maxAuthAttempts: number;
  private readonly backoff: BackoffOptions;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly reserveMs: number;
  private readonly random: () => number;
  private readonly hooks: OutboxRelayHooks;

  constructor(options: OutboxRelayOptions) {
    this.store = options.store;
    this.deliver = options.deliver;
    this.logger = options.logger;
    this.clock = options.clock ?? (() => new Date());
    this.horizonMs = options.horizonMs ?? 24 * 60 * 60_000;
    this.maxAuthAttempts = options.maxAuthAttempts ?? 10;
    this.backoff = options.backoff ?? { baseMs: 1000, capMs: 5 * 60_000 };
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batchSize = options.batchSize ?? 25;
    this.reserveMs = options.reserveMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.hooks = options.hooks ?? {};
  }

  /** One pass over the due events: claim, deliver, record the outcome. */
  async runOnce(options: RelayRunOptions = {}): Promise<RelayRunResult> {
    const result: RelayRunResult = { claimed: 0, delivered: 0, retried: 0, dead: 0, skipped: 0 };
    const due = await this.store.listDue(this.clock(), this.batchSize);
    for (const event of due) {
      if (options.remainingTimeMs && options.remainingTimeMs() < this.reserveMs) {
        // Unclaimed events stay pending for the next run; nothing is lost.
        result.skipped += 1;
        continue;
      }
      const now = this.clock();
      const claimed = await this.store.claim(event, new Date(now.getTime() + this.leaseMs), now);
      if (!claimed) {
        result.skipped += 1;
        continue;
      }
      result.claimed += 1;
      const kind = await this.relayOne(event);
      result[kind] += 1;
    }
    if (due.length > 0) {
      logAction(this.logger, {
        action: 'outbox.relay',
        outcome: 'success',
        due: due.length,
        ...result,
      });
    }
    return result;
  }

  /** Puts a payment's DEAD events (or one of them) back in the queue: the operator's re-drive. */
  async redrive(transactionId: string, eventId?: string): Promise<OutboxEvent[]> {
    const events = await this.store.redrive(transactionId, eventId);
    logAction(this.logger, {
      action: 'outbox.redrive',
      outcome: events.length > 0 ? 'success' : 'skipped',
      transactionId,
      eventId,
      events: events.map((e) => e.eventId),
    });
    return events;
  }

  /**
   * Why a failed event is given up, if it is: a 401/403 that persisted for
   * `maxAuthAttempts`, or any failure past the horizon. Otherwise undefined:
   * trouble that passes never parks an event.
   */
  private giveUpReason(
    event: OutboxEvent,
    outcome: Extract<DeliveryOutcome, { outcome: 'retry' }>,
  ): string | undefined {
    const attempt = event.attempts + 1;
    if (outcome.reason === 'auth' && attempt >= this.maxAuthAttempts) {
      return `Refused by authentication ${attempt} times: ${outcome.error}`;
    }
    const ageMs = this.clock().getTime() - Date.parse(event.createdAt);
    if (ageMs >= this.horizonMs) {
      return `Gave up after ${Math.round(ageMs / 60_000)} min and ${attempt} attempts: ${outcome.error}`;
    }
    return undefined;
  }

  private async relayOne(event: OutboxEvent): Promise<'delivered' | 'retried' | 'dead'> {
    const attempt = event.attempts + 1;
    const ids = {
      eventId: event.eventId,
      transactionId: event.transactionId,
      correlation_id: event.correlationId,
      target: event.target,
      eventType: event.type,
      attempt,
    };
    const started = Date.now();
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.deliver(event);
    } catch (error) {
      // A deliverer should answer, not throw; if it does, treat it as a failed attempt.
      outcome = { outcome: 'retry', error: String((error as Error)?.message ?? error) };
    }
    const durationMs = Date.now() - started;

    try {
      if (outcome.outcome === 'delivered') {
        await this.store.markDelivered(event, this.clock());
        logAction(this.logger, {
          action: 'outbox.deliver',
          outcome: 'success',
          ...ids,
          durationMs,
        });
        this.hooks.onDelivered?.(event);
        return 'delivered';
      }
      const retry = outcome.outcome === 'retry' ? outcome : undefined;
      const error = retry ? this.giveUpReason(event, retry) : (outcome as { error: string }).error;
      if (error !== undefined) {
        await this.store.markDead(event, error);
        logAction(this.logger, {
          action: 'outbox.dead',
          outcome: 'failed',
          ...ids,
          durationMs,
          error: new Error(error),
        });
        this.hooks.onDead?.(event, error);
        return 'dead';
      }
      if (!retry) return 'retried'; // unreachable: delivered and dead returned above
      const delayMs = Math.max(
        fullJitterBackoff(attempt, this.backoff, this.random),
        Math.min(retry.retryAfterMs ?? 0, this.backoff.capMs),
      );
      const nextAttemptAt = new Date(this.clock().getTime() + delayMs);
      await this.store.markFailed(event, {
        error: retry.error,
        nextAttemptAt,
        countAttempt: retry.reason !== 'not-sent',
      });
      logAction(this.logger, {
        action: 'outbox.deliver',
        outcome: 'retrying',
        ...ids,
        durationMs,
        delayMs,
        nextAttemptAt: nextAttemptAt.toISOString(),
        error: retry.error,
      });
      this.hooks.onRetry?.(event, nextAttemptAt);
      return 'retried';
    } catch (error) {
      // The outcome could not be recorded: the lease expires and a later run
      // tries again; the consumer dedupes on eventId if it was delivered.
      logAction(this.logger, { action: 'outbox.record', outcome: 'failed', ...ids, error });
      return 'retried';
    }
  }
}
