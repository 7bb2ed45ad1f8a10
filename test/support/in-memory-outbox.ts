import type { DueListing, OutboxEvent, OutboxStore } from '../../lib/outbox/types.js';
import { shardOf } from '../../lib/shared/shards.js';

/** The shards the in-memory store spreads events over (the due index's count). */
const SHARDS = 64;

/**
 * An OutboxStore in memory with the semantics the DynamoDB one promises:
 * listDue leaves leased events out and reads only a slice's shards from
 * its `after` on; claim
 * is an atomic compare-and-set on what was read (status, due, attempts) and
 * on the lease.
 */
export class InMemoryOutboxStore implements OutboxStore {
  readonly events = new Map<string, OutboxEvent>();
  /** Every listing, in order. */
  readonly listings: DueListing[] = [];

  add(event: OutboxEvent): void {
    this.events.set(event.eventId, structuredClone(event));
  }

  get(eventId: string): OutboxEvent {
    const event = this.events.get(eventId);
    if (!event) throw new Error(`no event ${eventId}`);
    return event;
  }

  async listDue(now: Date, limit: number, listing: DueListing = {}): Promise<OutboxEvent[]> {
    this.listings.push(listing);
    const { slice, after } = listing;
    const at = now.toISOString();
    return [...this.events.values()]
      .filter((e) => e.status === 'PENDING' && e.nextAttemptAt <= at)
      .filter((e) => after === undefined || e.nextAttemptAt >= after)
      .filter((e) => !e.leaseUntil || e.leaseUntil < at)
      .filter((e) => !slice || shardOf(e.eventId, SHARDS) % slice.of === slice.index)
      .sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt))
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }

  async claim(event: OutboxEvent, leaseUntil: Date, now: Date): Promise<boolean> {
    const stored = this.get(event.eventId);
    if (stored.status !== 'PENDING') return false;
    // As the DynamoDB store: conditioned on what was read (due, same attempts) and on the lease.
    if (stored.nextAttemptAt > now.toISOString() || stored.attempts !== event.attempts)
      return false;
    if (stored.leaseUntil && stored.leaseUntil > now.toISOString()) return false;
    stored.leaseUntil = leaseUntil.toISOString();
    return true;
  }

  async markDelivered(event: OutboxEvent, at: Date): Promise<void> {
    const stored = this.get(event.eventId);
    if (stored.status !== 'PENDING') return;
    stored.status = 'DELIVERED';
    stored.attempts += 1;
    stored.deliveredAt = at.toISOString();
    stored.leaseUntil = undefined;
  }

  async markFailed(
    event: OutboxEvent,
    failure: { error: string; nextAttemptAt: Date; countAttempt?: boolean },
  ): Promise<void> {
    const stored = this.get(event.eventId);
    if (stored.status !== 'PENDING') return;
    if (failure.countAttempt !== false) stored.attempts += 1;
    stored.lastError = failure.error;
    stored.nextAttemptAt = failure.nextAttemptAt.toISOString();
    stored.leaseUntil = undefined;
  }

  async markDead(event: OutboxEvent, error: string): Promise<void> {
    const stored = this.get(event.eventId);
    if (stored.status !== 'PENDING') return;
    stored.status = 'DEAD';
    stored.attempts += 1;
    stored.lastError = error;
    stored.leaseUntil = undefined;
  }

  async redrive(transactionId: string, eventId?: string): Promise<OutboxEvent[]> {
    const redriven: OutboxEvent[] = [];
    for (const stored of this.events.values()) {
      if (stored.transactionId !== transactionId || stored.status !== 'DEAD') continue;
      if (eventId && stored.eventId !== eventId) continue;
      stored.status = 'PENDING';
      stored.attempts = 0;
      redriven.push(structuredClone(stored));
    }
    return redriven;
  }
}

/** A clock that only moves when the test says so. */
export class ManualClock {
  constructor(private ms = Date.parse('2026-11-24T08:00:00Z')) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A PENDING event, due a minute before the ManualClock's start. */
export function pendingEvent(eventId: string, overrides: Partial<OutboxEvent> = {}): OutboxEvent {
  return {
    eventId,
    transactionId: 'tx-1',
    type: 'order.status',
    target: 'order',
    payload: { eventId, status: 'PAID' },
    correlationId: 'corr-relay-1',
    status: 'PENDING',
    attempts: 1,
    nextAttemptAt: '2026-11-24T07:59:00.000Z',
    createdAt: '2026-11-24T07:58:00.000Z',
    ...overrides,
  };
}
