import type { Logger } from '@aws-lambda-powertools/logger';
import { type BackoffOptions, fullJitterBackoff } from '../shared/backoff.js';
import { logAction } from '../shared/logger.js';
import { forEachConcurrently } from '../shared/pool.js';
import type { ShardSlice } from '../shared/shards.js';
import type { DeliveryOutcome, EventDeliverer, OutboxEvent, OutboxStore } from './types.js';

/** What one run of the engine over the outbox did with the events it saw. */
export interface RelayRunResult {
  /** Events this run took a lease on. */
  claimed: number;
  delivered: number;
  /** Failed this time, scheduled again. */
  retried: number;
  /** Parked as DEAD (gave up, or the consumer refused for good). */
  dead: number;
  /** Due events left alone: another run held them, time ran short, or their consumer's breaker was open. */
  skipped: number;
}

/** What the engine reports, for metrics; logs are written anyway. */
export interface DeliveryHooks {
  onDelivered?(event: OutboxEvent): void;
  onRetry?(event: OutboxEvent, nextAttemptAt: Date): void;
  onDead?(event: OutboxEvent, error: string): void;
}

/** Options of {@link DeliveryEngine}. */
export interface DeliveryEngineOptions {
  store: OutboxStore;
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
  /** Deliveries in flight at once, per run (default 8). */
  concurrency?: number;
  /** How long a claimed event is ours; longer than one delivery can take. */
  leaseMs?: number;
  /** Due events read per listing (a run lists again until none is left or its time is spent). */
  batchSize?: number;
  /** Stop claiming when less than this is left of the run's time, in ms: more than one delivery can take. */
  reserveMs?: number;
  /** Source of jitter; injectable for tests. */
  random?: () => number;
  hooks?: DeliveryHooks;
}

/** Options of one {@link DeliveryEngine.drain}. */
export interface DrainOptions {
  /** Time left to this run, in ms (the Lambda's `context.getRemainingTimeInMillis`). */
  remainingTimeMs?: () => number;
  /** The shards this run owns (one of several runs at once); all of them without it. */
  slice?: ShardSlice;
}

/** Options of one {@link DeliveryEngine.deliverOwned}. */
export interface OwnedDeliveryOptions {
  /**
   * Records every event's new state at once (delivered, rescheduled or
   * DEAD), instead of one store write per event: the fast path writes them
   * where its payment keeps them. When it rejects, nothing was recorded and
   * the events are returned as they were: the caller's recovery owns them.
   */
  record?: (events: OutboxEvent[], at: Date) => Promise<void>;
}

type Kind = 'delivered' | 'retried' | 'dead';

/** One event's attempt, recorded: what it came to and the event as it now stands. */
interface Settled {
  kind: Kind;
  event: OutboxEvent;
}

/**
 * What one attempt comes to, before anything is written: the event's new
 * state, the store write that records it, and the report (log line and
 * hook) once it is recorded.
 */
interface Decision extends Settled {
  write: () => Promise<void>;
  report: () => void;
}

/**
 * The one delivery engine of the outbox, for the fast path and for recovery
 * alike: one attempt per event through an {@link EventDeliverer}, at most
 * `concurrency` in flight, each outcome recorded by the same rules
 * (delivered; retried with capped backoff, not counted when the call never
 * left; DEAD only when refused for good, after `maxAuthAttempts` 401/403s,
 * or past the horizon). Recovery ({@link drain}) lists due events page by
 * page and works until none is left or its time is nearly spent; a
 * conditional claim on each event (on what was read: PENDING, due, the same
 * attempts, no live lease) lets several runs work at once without
 * delivering one event twice. Every step is logged with the event's own
 * correlation id, so a late delivery joins its original request.
 */
export class DeliveryEngine {
  private readonly store: OutboxStore;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly horizonMs: number;
  private readonly maxAuthAttempts: number;
  private readonly backoff: BackoffOptions;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly reserveMs: number;
  private readonly random: () => number;
  private readonly hooks: DeliveryHooks;

  constructor(options: DeliveryEngineOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.clock = options.clock ?? (() => new Date());
    this.horizonMs = options.horizonMs ?? 24 * 60 * 60_000;
    this.maxAuthAttempts = options.maxAuthAttempts ?? 10;
    this.backoff = options.backoff ?? { baseMs: 1000, capMs: 5 * 60_000 };
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batchSize = Math.max(1, options.batchSize ?? 25);
    this.reserveMs = options.reserveMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.hooks = options.hooks ?? {};
  }

  /**
   * Recovery: lists the due events (of `run.slice`'s shards), claims and
   * delivers them `concurrency` at a time, and lists on from where the last
   * page ended, until nothing new is due or the run is short of time. An
   * event is tried at most once per run. A consumer is proven before it
   * gets `concurrency` at once: its events go one at a time until one is
   * answered (delivered, or refused for good), then all together. Two
   * failures in a run (or one call that never left: its breaker is open)
   * and its other events are left as they are for the next run (no claim,
   * no write, no attempt counted): an outage costs each run two attempts,
   * not one per event, so the backlog does not climb to the longest
   * backoffs and comes due soon after the consumer is back; one failing
   * event still does not hold up the others. One consumer down never holds
   * up another. Throws only when the outbox cannot be listed.
   */
  async drain(deliver: EventDeliverer, run: DrainOptions = {}): Promise<RelayRunResult> {
    const result: RelayRunResult = { claimed: 0, delivered: 0, retried: 0, dead: 0, skipped: 0 };
    const shortOfTime = () =>
      run.remainingTimeMs !== undefined && run.remainingTimeMs() < this.reserveMs;
    const seen = new Set<string>();
    const down = new Set<string>();
    // Per consumer: answered once this run (then concurrent), its failures, its queue until then.
    const proven = new Set<string>();
    const failures = new Map<string, number>();
    const queue = new Map<string, Promise<void>>();
    // Where the next page starts: the latest nextAttemptAt listed (inclusive; `seen` dedupes).
    let after: string | undefined;
    let due = 0;
    let pages = 0;
    do {
      const listed = await this.store.listDue(this.clock(), this.batchSize, {
        slice: run.slice,
        after,
      });
      const fresh = listed.filter((event) => !seen.has(event.eventId));
      if (fresh.length === 0) break;
      for (const event of fresh) {
        seen.add(event.eventId);
        if (after === undefined || event.nextAttemptAt > after) after = event.nextAttemptAt;
      }
      due += fresh.length;
      pages += 1;
      await forEachConcurrently(fresh, this.concurrency, async (event) => {
        let release: (() => void) | undefined;
        if (!proven.has(event.target)) {
          // Unproven: wait for the consumer's previous event of this run.
          const previous = queue.get(event.target) ?? Promise.resolve();
          const mine = new Promise<void>((resolve) => {
            release = resolve;
          });
          queue.set(
            event.target,
            previous.then(() => mine),
          );
          await previous;
        }
        try {
          if (shortOfTime() || down.has(event.target)) {
            // Unclaimed events stay pending for the next run; nothing is lost.
            result.skipped += 1;
            return;
          }
          const now = this.clock();
          const claimed = await this.store.claim(
            event,
            new Date(now.getTime() + this.leaseMs),
            now,
          );
          if (!claimed) {
            result.skipped += 1;
            return;
          }
          result.claimed += 1;
          const attempt = await this.attempt(event, deliver);
          const { outcome } = attempt;
          if (outcome.outcome !== 'retry') proven.add(event.target);
          else if (outcome.reason === 'not-sent') down.add(event.target);
          else {
            const failed = (failures.get(event.target) ?? 0) + 1;
            failures.set(event.target, failed);
            if (failed >= 2 && !proven.has(event.target)) down.add(event.target);
          }
          const settled = await this.settle(event, attempt);
          result[settled.kind] += 1;
        } finally {
          release?.();
        }
      });
    } while (!shortOfTime());
    if (due > 0) {
      logAction(this.logger, {
        action: 'outbox.relay',
        outcome: 'success',
        due,
        pages,
        ...(run.slice && { slice: `${run.slice.index}/${run.slice.of}` }),
        ...(down.size > 0 && { consumersDown: [...down] }),
        ...result,
      });
    }
    return result;
  }

  /**
   * The fast path: events this caller owns (it just made them, and no relay
   * has them), one attempt each, `concurrency` at a time, decided by the same
   * rules as recovery: recorded all at once by `options.record`, or each by
   * the store. Returns the events as they now stand (no re-read); what could
   * not be recorded is returned as it was, still PENDING for recovery.
   */
  async deliverOwned(
    events: OutboxEvent[],
    deliver: EventDeliverer,
    options: OwnedDeliveryOptions = {},
  ): Promise<OutboxEvent[]> {
    const { record } = options;
    if (!record) {
      const settled: Settled[] = new Array(events.length);
      await forEachConcurrently(events, this.concurrency, async (event, i) => {
        settled[i] = await this.settle(event, await this.attempt(event, deliver));
      });
      return settled.map((s) => s.event);
    }
    const decided: Decision[] = new Array(events.length);
    await forEachConcurrently(events, this.concurrency, async (event, i) => {
      // The request that wrote it delivered it: its own lines and the consumer's tell it.
      decided[i] = this.decide(event, await this.attempt(event, deliver), true);
    });
    try {
      await record(
        decided.map((d) => d.event),
        this.clock(),
      );
    } catch (error) {
      // Not recorded: the caller's recovery delivers them again (consumers dedupe on eventId).
      this.recordFailed(events[0] as OutboxEvent, error);
      return events;
    }
    for (const d of decided) d.report();
    return decided.map((d) => d.event);
  }

  /** One call to the consumer; a deliverer that throws counts as a transient failure. */
  private async attempt(
    event: OutboxEvent,
    deliver: EventDeliverer,
  ): Promise<{ outcome: DeliveryOutcome; durationMs: number }> {
    const started = Date.now();
    let outcome: DeliveryOutcome;
    try {
      outcome = await deliver(event);
    } catch (error) {
      // A deliverer should answer, not throw; if it does, treat it as a failed attempt.
      outcome = {
        outcome: 'retry',
        error: String((error as Error)?.message ?? error),
        reason: 'transient',
      };
    }
    return { outcome, durationMs: Date.now() - started };
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

  /** Records one attempt's outcome on its event; a record that fails leaves it to a later run. */
  private async settle(
    event: OutboxEvent,
    attempt: { outcome: DeliveryOutcome; durationMs: number },
  ): Promise<Settled> {
    const decision = this.decide(event, attempt);
    try {
      await decision.write();
    } catch (error) {
      // The outcome could not be recorded: the lease expires and a later run
      // tries again; the consumer dedupes on eventId if it was delivered.
      this.recordFailed(event, error);
      return { kind: 'retried', event };
    }
    decision.report();
    return { kind: decision.kind, event: decision.event };
  }

  /**
   * What an attempt comes to by the engine's rules: delivered; DEAD when
   * refused for good or given up ({@link giveUpReason}); otherwise
   * rescheduled with capped backoff and full jitter (not counted when the
   * call never left). `owned`: a fast-path delivery, logged at DEBUG.
   */
  private decide(
    event: OutboxEvent,
    { outcome, durationMs }: { outcome: DeliveryOutcome; durationMs: number },
    owned = false,
  ): Decision {
    const ids = eventIds(event);
    if (outcome.outcome === 'delivered') {
      const at = this.clock();
      return {
        kind: 'delivered',
        event: deliveredEvent(event, at),
        write: () => this.store.markDelivered(event, at),
        report: () => this.logDelivered(event, owned ? undefined : durationMs, owned),
      };
    }
    const error = outcome.outcome === 'retry' ? this.giveUpReason(event, outcome) : outcome.error;
    if (error !== undefined) {
      return {
        kind: 'dead',
        event: { ...event, status: 'DEAD', attempts: event.attempts + 1, lastError: error },
        write: () => this.store.markDead(event, error),
        report: () => {
          logAction(this.logger, {
            action: 'outbox.dead',
            outcome: 'failed',
            ...ids,
            durationMs,
            error: new Error(error),
          });
          this.hooks.onDead?.(event, error);
        },
      };
    }
    const retry = outcome as Extract<DeliveryOutcome, { outcome: 'retry' }>;
    const delayMs = Math.max(
      fullJitterBackoff(event.attempts + 1, this.backoff, this.random),
      Math.min(retry.retryAfterMs ?? 0, this.backoff.capMs),
    );
    const nextAttemptAt = new Date(this.clock().getTime() + delayMs);
    const countAttempt = retry.reason !== 'not-sent';
    return {
      kind: 'retried',
      event: {
        ...event,
        attempts: event.attempts + (countAttempt ? 1 : 0),
        lastError: retry.error,
        nextAttemptAt: nextAttemptAt.toISOString(),
      },
      write: () =>
        this.store.markFailed(event, { error: retry.error, nextAttemptAt, countAttempt }),
      report: () => {
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
      },
    };
  }

  /** `detail`: a fast-path delivery, at DEBUG; a recovery's is the story of the event's second chance, at INFO. */
  private logDelivered(event: OutboxEvent, durationMs: number | undefined, detail = false): void {
    logAction(this.logger, {
      action: 'outbox.deliver',
      outcome: 'success',
      detail,
      ...eventIds(event),
      ...(durationMs !== undefined && { durationMs }),
    });
    this.hooks.onDelivered?.(event);
  }

  private recordFailed(event: OutboxEvent, error: unknown): void {
    logAction(this.logger, {
      action: 'outbox.record',
      outcome: 'failed',
      ...eventIds(event),
      error,
    });
  }
}

/** The ids every line about one event carries. */
function eventIds(event: OutboxEvent) {
  return {
    eventId: event.eventId,
    transactionId: event.transactionId,
    correlation_id: event.correlationId,
    target: event.target,
    eventType: event.type,
    attempt: event.attempts + 1,
  };
}

/** The event as a recorded delivery at `at` leaves it. */
function deliveredEvent(event: OutboxEvent, at: Date): OutboxEvent {
  return {
    ...event,
    status: 'DELIVERED',
    attempts: event.attempts + 1,
    deliveredAt: at.toISOString(),
  };
}
