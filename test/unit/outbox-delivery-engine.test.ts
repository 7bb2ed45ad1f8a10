import { describe, expect, it } from 'vitest';
import { DeliveryEngine, type DeliveryEngineOptions } from '../../lib/outbox/delivery-engine.js';
import type { DeliveryOutcome, EventDeliverer, OutboxEvent } from '../../lib/outbox/types.js';
import { createLogger } from '../../lib/shared/logger.js';
import { InMemoryOutboxStore, ManualClock, pendingEvent } from '../support/in-memory-outbox.js';

const logger = createLogger('payment');

/** `n` due events, e-00 the earliest due (each a millisecond after the one before). */
function backlog(store: InMemoryOutboxStore, n: number): string[] {
  const ids = Array.from({ length: n }, (_, i) => `e-${String(i).padStart(2, '0')}`);
  for (const [i, id] of ids.entries()) {
    store.add(
      pendingEvent(id, {
        nextAttemptAt: new Date(Date.UTC(2026, 10, 24, 7, 59, 0, i)).toISOString(),
      }),
    );
  }
  return ids;
}

/**
 * A deliverer that answers from `script`, yields to the event loop before
 * answering (so deliveries overlap as real calls do), and records every call
 * and the most calls it ever had in flight.
 */
function trackingDeliverer(
  script: (event: OutboxEvent) => DeliveryOutcome = () => ({ outcome: 'delivered', status: 200 }),
) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const deliver: EventDeliverer = async (event) => {
    calls.push(event.eventId);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight -= 1;
    return script(event);
  };
  return { deliver, calls, maxInFlight: () => maxInFlight };
}

function engineOn(
  store: InMemoryOutboxStore,
  clock: ManualClock,
  options: Partial<DeliveryEngineOptions> = {},
) {
  return new DeliveryEngine({
    store,
    logger,
    clock: clock.now,
    backoff: { baseMs: 1000, capMs: 60_000 },
    random: () => 0.5,
    ...options,
  });
}

describe('Class: DeliveryEngine', () => {
  it('never has more deliveries in flight than its concurrency, and uses all of it', async () => {
    const store = new InMemoryOutboxStore();
    const ids = backlog(store, 30);
    const { deliver, calls, maxInFlight } = trackingDeliverer();

    const result = await engineOn(store, new ManualClock(), {
      concurrency: 4,
      batchSize: 10,
    }).drain(deliver);

    expect(maxInFlight()).toBe(4);
    expect(result).toEqual({ claimed: 30, delivered: 30, retried: 0, dead: 0, skipped: 0 });
    expect(calls.sort()).toEqual(ids);
  });

  it('keeps working past one batch: lists again until nothing is due', async () => {
    const store = new InMemoryOutboxStore();
    backlog(store, 23);
    const { deliver } = trackingDeliverer();

    const result = await engineOn(store, new ManualClock(), { batchSize: 5 }).drain(deliver);

    expect(result.delivered).toBe(23);
    // 5 full pages, then one of 3, then one that finds nothing left.
    expect(store.listings).toHaveLength(6);
    expect([...store.events.values()].every((e) => e.status === 'DELIVERED')).toBe(true);
  });

  it('stops claiming before the run runs out of time, leaving the rest pending and unleased', async () => {
    const store = new InMemoryOutboxStore();
    const ids = backlog(store, 20);
    // Each delivery takes 1 s of the run's 12 s; the engine keeps a 5 s reserve.
    let remaining = 12_000;
    const { deliver } = trackingDeliverer(() => {
      remaining -= 1000;
      return { outcome: 'delivered', status: 200 };
    });

    const result = await engineOn(store, new ManualClock(), {
      concurrency: 2,
      batchSize: 4,
      reserveMs: 5000,
    }).drain(deliver, { remainingTimeMs: () => remaining });

    // Claims start while 12, 12, 10, 10, 8, 8, 6, 6 s are left; at 4 s it stops.
    expect(result.delivered).toBe(8);
    expect(remaining).toBeGreaterThanOrEqual(4000);
    const left = ids.slice(8).map((id) => store.get(id));
    expect(left.every((e) => e.status === 'PENDING' && e.leaseUntil === undefined)).toBe(true);
    // It did not list a page it had no time for.
    expect(store.listings).toHaveLength(2);
  });

  it('lets two runs work at once without delivering one event twice', async () => {
    const store = new InMemoryOutboxStore();
    const ids = backlog(store, 40);
    const { deliver, calls } = trackingDeliverer();
    const clock = new ManualClock();

    const [a, b] = await Promise.all([
      engineOn(store, clock, { concurrency: 3, batchSize: 8 }).drain(deliver),
      engineOn(store, clock, { concurrency: 3, batchSize: 8 }).drain(deliver),
    ]);

    expect(calls.sort()).toEqual(ids);
    expect(a.delivered + b.delivered).toBe(40);
    expect(a.delivered).toBeGreaterThan(0);
    expect(b.delivered).toBeGreaterThan(0);
    expect(
      [...store.events.values()].every((e) => e.status === 'DELIVERED' && e.attempts === 2),
    ).toBe(true);
  });

  it('gives runs of different slices disjoint shards, which together cover every event', async () => {
    const store = new InMemoryOutboxStore();
    const ids = backlog(store, 40);
    const { deliver, calls } = trackingDeliverer();
    const clock = new ManualClock();

    const runs = await Promise.all(
      [0, 1, 2, 3].map((index) =>
        engineOn(store, clock).drain(deliver, { slice: { index, of: 4 } }),
      ),
    );

    expect(calls.sort()).toEqual(ids);
    expect(runs.every((r) => r.skipped === 0)).toBe(true);
    expect(store.listings.every((listing) => listing.slice?.of === 4)).toBe(true);
  });

  it('backs off an event that keeps failing without holding up the others, once per run', async () => {
    const store = new InMemoryOutboxStore();
    const ids = backlog(store, 12);
    const clock = new ManualClock();
    // The earliest due event, at the head of every listing, fails every time.
    const { deliver, calls } = trackingDeliverer((event) =>
      event.eventId === 'e-00'
        ? { outcome: 'retry', error: 'order answered 503', reason: 'transient' }
        : { outcome: 'delivered', status: 200 },
    );
    const engine = engineOn(store, clock, { concurrency: 2, batchSize: 3, random: () => 0 });

    const first = await engine.drain(deliver);

    // With random() = 0 its backoff is 0 ms: due again at once, yet tried once in this run.
    expect(first).toMatchObject({ delivered: 11, retried: 1, dead: 0 });
    expect(calls.filter((id) => id === 'e-00')).toHaveLength(1);
    expect(store.get('e-00')).toMatchObject({ status: 'PENDING', attempts: 2 });
    for (const id of ids.slice(1)) expect(store.get(id).status).toBe('DELIVERED');

    const second = await engineOn(store, clock, { random: () => 0.5 }).drain(deliver);
    expect(second).toMatchObject({ retried: 1 });
    // Its third attempt waits half of 1000 * 2^2 ms.
    expect(store.get('e-00').nextAttemptAt).toBe(
      new Date(clock.now().getTime() + 2000).toISOString(),
    );
  });

  it("leaves a consumer's events alone once its breaker is open, and delivers the others' in the same run", async () => {
    const store = new InMemoryOutboxStore();
    // The order's events are due first, the notifications' after them.
    const orders = backlog(store, 30);
    const notifications = Array.from({ length: 5 }, (_, i) => `n-${i}`);
    for (const [i, id] of notifications.entries()) {
      store.add(
        pendingEvent(id, {
          type: 'notification.send',
          target: 'notification',
          nextAttemptAt: new Date(Date.UTC(2026, 10, 24, 7, 59, 30, i)).toISOString(),
        }),
      );
    }
    const { deliver, calls } = trackingDeliverer((event) =>
      event.target === 'order'
        ? { outcome: 'retry', error: 'order circuit breaker is open', reason: 'not-sent' }
        : { outcome: 'delivered', status: 200 },
    );

    const result = await engineOn(store, new ManualClock(), {
      concurrency: 2,
      batchSize: 10,
    }).drain(deliver);

    // The calls already in flight when the breaker showed open, and no more.
    expect(calls.filter((id) => id.startsWith('e-')).length).toBeLessThanOrEqual(2);
    for (const id of notifications) expect(store.get(id).status).toBe('DELIVERED');
    expect(result.delivered).toBe(5);
    // The order's others were neither claimed nor rewritten: as they were, due for the next run.
    const untouched = orders.map((id) => store.get(id)).filter((e) => e.lastError === undefined);
    expect(untouched.length).toBeGreaterThanOrEqual(28);
    expect(untouched.every((e) => e.attempts === 1 && e.leaseUntil === undefined)).toBe(true);
    expect(result.skipped).toBe(untouched.length);
  });

  it('tries a failing consumer twice a run, not once per event, so an outage leaves its backlog due soon after', async () => {
    const store = new InMemoryOutboxStore();
    const orders = backlog(store, 20);
    const notifications = Array.from({ length: 4 }, (_, i) => `n-${i}`);
    for (const [i, id] of notifications.entries()) {
      store.add(
        pendingEvent(id, {
          type: 'notification.send',
          target: 'notification',
          nextAttemptAt: new Date(Date.UTC(2026, 10, 24, 7, 59, 30, i)).toISOString(),
        }),
      );
    }
    let orderUp = false;
    const { deliver, calls } = trackingDeliverer((event) =>
      event.target === 'order' && !orderUp
        ? { outcome: 'retry', error: 'order answered 503', reason: 'transient' }
        : { outcome: 'delivered', status: 200 },
    );
    const clock = new ManualClock();

    const during = await engineOn(store, clock, { concurrency: 4, batchSize: 10 }).drain(deliver);

    expect(calls.filter((id) => id.startsWith('e-'))).toHaveLength(2);
    expect(during).toMatchObject({ retried: 2, delivered: 4 });
    for (const id of notifications) expect(store.get(id).status).toBe('DELIVERED');
    // The 18 others: no attempt counted, no backoff: due as they were.
    const untouched = orders.map((id) => store.get(id)).filter((e) => e.lastError === undefined);
    expect(untouched).toHaveLength(18);
    expect(untouched.every((e) => e.attempts === 1)).toBe(true);

    // The order is back: the next run delivers every due event, all at once after the first.
    orderUp = true;
    clock.advance(60_000);
    const after = await engineOn(store, clock, { concurrency: 4, batchSize: 10 }).drain(deliver);
    expect(after.delivered).toBe(20);
    for (const id of orders) expect(store.get(id).status).toBe('DELIVERED');
  });

  it('lists on from where its last page ended, so events it left behind at the head never stall it', async () => {
    const store = new InMemoryOutboxStore();
    backlog(store, 12);
    const { deliver } = trackingDeliverer();

    await engineOn(store, new ManualClock(), { batchSize: 5 }).drain(deliver);

    expect(store.listings.map((l) => l.after)).toEqual([
      undefined,
      store.get('e-04').nextAttemptAt,
      store.get('e-09').nextAttemptAt,
      store.get('e-11').nextAttemptAt,
    ]);
  });

  it('decides the fast path by the same rules and records every outcome in one call, nothing in the store', async () => {
    const store = new InMemoryOutboxStore();
    const events = [
      pendingEvent('fp-1', { attempts: 0 }),
      pendingEvent('fp-2', { attempts: 0, type: 'notification.send', target: 'notification' }),
      pendingEvent('fp-3', { attempts: 0 }),
    ];
    for (const event of events) store.add(event);
    const clock = new ManualClock();
    const recorded: OutboxEvent[][] = [];
    const { deliver, maxInFlight } = trackingDeliverer((event) =>
      event.eventId === 'fp-2'
        ? { outcome: 'retry', error: 'notification answered 503', reason: 'transient' }
        : event.eventId === 'fp-3'
          ? { outcome: 'dead', error: 'order answered 409' }
          : { outcome: 'delivered', status: 200 },
    );

    const after = await engineOn(store, clock, { concurrency: 2 }).deliverOwned(events, deliver, {
      record: async (settled) => {
        recorded.push(settled);
      },
    });

    expect(maxInFlight()).toBe(2);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toEqual(after);
    expect(after.map((e) => [e.eventId, e.status, e.attempts])).toEqual([
      ['fp-1', 'DELIVERED', 1],
      ['fp-2', 'PENDING', 1],
      ['fp-3', 'DEAD', 1],
    ]);
    // Rescheduled with the engine's backoff (first retry: half of 1000 ms).
    expect(after[1]).toMatchObject({
      nextAttemptAt: new Date(clock.now().getTime() + 500).toISOString(),
      lastError: 'notification answered 503',
    });
    expect(after[2]).toMatchObject({ lastError: 'order answered 409' });
    expect(after[0]?.deliveredAt).toBe(clock.now().toISOString());
    // Nothing was written event by event: the caller records them where it keeps them.
    expect([...store.events.values()].map((e) => [e.status, e.attempts])).toEqual([
      ['PENDING', 0],
      ['PENDING', 0],
      ['PENDING', 0],
    ]);
  });

  it('records the fast path event by event in the store when no record is given', async () => {
    const store = new InMemoryOutboxStore();
    const events = [pendingEvent('fp-1', { attempts: 0 }), pendingEvent('fp-2', { attempts: 0 })];
    for (const event of events) store.add(event);
    const { deliver } = trackingDeliverer((event) =>
      event.eventId === 'fp-2'
        ? { outcome: 'retry', error: 'order answered 503', reason: 'transient' }
        : { outcome: 'delivered', status: 200 },
    );

    await engineOn(store, new ManualClock()).deliverOwned(events, deliver);

    expect(store.get('fp-1')).toMatchObject({ status: 'DELIVERED', attempts: 1 });
    expect(store.get('fp-2')).toMatchObject({ status: 'PENDING', attempts: 1 });
  });

  it('returns the events as they were when their record could not be written: recovery owns them', async () => {
    const event = pendingEvent('fp-1', { attempts: 0 });
    const { deliver } = trackingDeliverer();

    const [after] = await engineOn(new InMemoryOutboxStore(), new ManualClock()).deliverOwned(
      [event],
      deliver,
      {
        record: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
      },
    );

    expect(after).toEqual(event);
  });
});
