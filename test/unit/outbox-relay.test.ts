import { describe, expect, it } from 'vitest';
import { OutboxRelay, type OutboxRelayOptions } from '../../lib/outbox/relay.js';
import type {
  DeliveryOutcome,
  EventDeliverer,
  OutboxEvent,
  OutboxStore,
} from '../../lib/outbox/types.js';
import { createLogger } from '../../lib/shared/logger.js';
import { InMemoryOutboxStore, ManualClock, pendingEvent } from '../support/in-memory-outbox.js';

/** A deliverer that answers from a script (per event) and counts calls. */
function scriptedDeliverer(script: (event: OutboxEvent, call: number) => DeliveryOutcome) {
  const calls = new Map<string, number>();
  const deliver: EventDeliverer = async (event) => {
    const call = (calls.get(event.eventId) ?? 0) + 1;
    calls.set(event.eventId, call);
    return script(event, call);
  };
  return { deliver, calls };
}

const logger = createLogger('payment');

function relayOn(
  store: OutboxStore,
  deliver: EventDeliverer,
  clock: ManualClock,
  options: Partial<OutboxRelayOptions> = {},
) {
  return new OutboxRelay({
    store,
    deliver,
    logger,
    clock: clock.now,
    horizonMs: 24 * 60 * 60_000,
    maxAuthAttempts: 4,
    backoff: { baseMs: 1000, capMs: 60_000 },
    leaseMs: 30_000,
    random: () => 0.5,
    ...options,
  });
}

describe('Class: OutboxRelay', () => {
  it('delivers due events and marks them delivered', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1'));
    store.add(pendingEvent('e-2', { type: 'notification.send', target: 'notification' }));
    const clock = new ManualClock();
    const { deliver, calls } = scriptedDeliverer(() => ({ outcome: 'delivered', status: 200 }));

    const result = await relayOn(store, deliver, clock).runOnce();

    expect(result).toEqual({ claimed: 2, delivered: 2, retried: 0, dead: 0, skipped: 0 });
    expect(store.get('e-1')).toMatchObject({ status: 'DELIVERED', attempts: 2 });
    expect(store.get('e-2').status).toBe('DELIVERED');
    expect([...calls.values()]).toEqual([1, 1]);
  });

  it('leaves events that are not yet due alone', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-later', { nextAttemptAt: '2026-11-24T09:00:00.000Z' }));
    const { deliver, calls } = scriptedDeliverer(() => ({ outcome: 'delivered', status: 200 }));

    const result = await relayOn(store, deliver, new ManualClock()).runOnce();

    expect(result.claimed).toBe(0);
    expect(calls.size).toBe(0);
  });

  it('reschedules a failed delivery with capped exponential backoff and full jitter', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1', { attempts: 2 }));
    const clock = new ManualClock();
    const { deliver } = scriptedDeliverer(() => ({
      outcome: 'retry',
      error: 'order answered 503',
    }));

    const result = await relayOn(store, deliver, clock, { random: () => 0.5 }).runOnce();

    expect(result).toMatchObject({ claimed: 1, retried: 1 });
    // Third attempt: ceiling 1000 * 2^2 = 4000, half of it with random 0.5.
    const expected = new Date(clock.now().getTime() + 2000).toISOString();
    expect(store.get('e-1')).toMatchObject({
      status: 'PENDING',
      attempts: 3,
      nextAttemptAt: expected,
      lastError: 'order answered 503',
    });
  });

  it('waits at least what the consumer asked for with Retry-After', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1'));
    const clock = new ManualClock();
    const { deliver } = scriptedDeliverer(() => ({
      outcome: 'retry',
      error: 'throttled',
      retryAfterMs: 45_000,
    }));

    await relayOn(store, deliver, clock).runOnce();

    expect(store.get('e-1').nextAttemptAt).toBe(
      new Date(clock.now().getTime() + 45_000).toISOString(),
    );
  });

  it('delivers an event that failed before once its next attempt is due', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1'));
    const clock = new ManualClock();
    const { deliver, calls } = scriptedDeliverer((_e, call) =>
      call === 1 ? { outcome: 'retry', error: 'timeout' } : { outcome: 'delivered', status: 200 },
    );
    const relay = relayOn(store, deliver, clock, { random: () => 0.999 });

    expect(await relay.runOnce()).toMatchObject({ retried: 1 });
    expect(await relay.runOnce()).toMatchObject({ claimed: 0 });
    clock.advance(60_000);
    expect(await relay.runOnce()).toMatchObject({ delivered: 1 });

    expect(calls.get('e-1')).toBe(2);
    expect(store.get('e-1')).toMatchObject({ status: 'DELIVERED', attempts: 3 });
  });

  it('keeps retrying trouble that passes within the horizon, however many attempts it took', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1', { attempts: 40 }));
    const { deliver } = scriptedDeliverer(() => ({
      outcome: 'retry',
      error: 'order answered 503',
      reason: 'transient',
    }));

    const result = await relayOn(store, deliver, new ManualClock()).runOnce();

    expect(result).toMatchObject({ retried: 1, dead: 0 });
    expect(store.get('e-1')).toMatchObject({ status: 'PENDING', attempts: 41 });
  });

  it('parks an event as DEAD once it is past the horizon, and counts it', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1', { attempts: 3, createdAt: '2026-11-23T07:00:00.000Z' }));
    const dead: string[] = [];
    const { deliver } = scriptedDeliverer(() => ({
      outcome: 'retry',
      error: 'order answered 503',
      reason: 'transient',
    }));

    const result = await relayOn(store, deliver, new ManualClock(), {
      hooks: { onDead: (event) => dead.push(event.eventId) },
    }).runOnce();

    expect(result).toMatchObject({ claimed: 1, dead: 1, retried: 0 });
    expect(store.get('e-1')).toMatchObject({ status: 'DEAD', attempts: 4 });
    expect(store.get('e-1').lastError).toMatch(/^Gave up after 1500 min and 4 attempts/);
    expect(dead).toEqual(['e-1']);
  });

  it('retries a 401/403 a bounded number of times, then parks it DEAD with the reason', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1', { attempts: 0 }));
    const clock = new ManualClock();
    const { deliver, calls } = scriptedDeliverer(() => ({
      outcome: 'retry',
      error: 'order answered 403',
      reason: 'auth',
    }));
    const relay = relayOn(store, deliver, clock, { maxAuthAttempts: 3 });

    for (let run = 0; run < 5 && store.get('e-1').status === 'PENDING'; run++) {
      await relay.runOnce();
      clock.advance(120_000);
    }

    expect(calls.get('e-1')).toBe(3);
    expect(store.get('e-1')).toMatchObject({ status: 'DEAD', attempts: 3 });
    expect(store.get('e-1').lastError).toContain('Refused by authentication 3 times');
  });

  it('does not count a call that never left (an open breaker) as an attempt', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1', { attempts: 3 }));
    const { deliver } = scriptedDeliverer(() => ({
      outcome: 'retry',
      error: 'order circuit breaker is open',
      reason: 'not-sent',
    }));

    await relayOn(store, deliver, new ManualClock()).runOnce();

    expect(store.get('e-1')).toMatchObject({ status: 'PENDING', attempts: 3 });
    expect(store.get('e-1').lastError).toContain('breaker');
  });

  it('never claims from a stale listing: an event another run tried in the meantime stays theirs', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1'));
    const clock = new ManualClock();
    const stale = await store.listDue(clock.now(), 10);
    const { deliver, calls } = scriptedDeliverer(() => ({
      outcome: 'retry',
      error: 'timeout',
      reason: 'transient',
    }));
    await relayOn(store, deliver, clock).runOnce();
    clock.advance(40_000); // the other run's lease is gone, but its backoff is not
    const [event] = stale;
    if (!event) throw new Error('nothing listed');
    expect(await store.claim(event, new Date(clock.now().getTime() + 30_000), clock.now())).toBe(
      false,
    );
    expect(calls.get('e-1')).toBe(1);
  });

  it('parks an event as DEAD at once when the consumer refuses it for good', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1', { attempts: 0 }));
    const { deliver } = scriptedDeliverer(() => ({ outcome: 'dead', error: 'order answered 400' }));

    const result = await relayOn(store, deliver, new ManualClock()).runOnce();

    expect(result.dead).toBe(1);
    expect(store.get('e-1')).toMatchObject({ status: 'DEAD', lastError: 'order answered 400' });
  });

  it('delivers a re-driven DEAD event on the next run', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1', { status: 'DEAD', attempts: 4 }));
    const clock = new ManualClock();
    const { deliver } = scriptedDeliverer(() => ({ outcome: 'delivered', status: 200 }));
    const relay = relayOn(store, deliver, clock);

    expect(await relay.runOnce()).toMatchObject({ claimed: 0 });
    expect((await relay.redrive('tx-1')).map((e) => e.eventId)).toEqual(['e-1']);
    expect(await relay.runOnce()).toMatchObject({ delivered: 1 });
    expect(store.get('e-1').status).toBe('DELIVERED');
  });

  it('counts a deliverer that throws as a failed attempt, not a crash', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1'));
    const deliver: EventDeliverer = async () => {
      throw new Error('socket hang up');
    };

    const result = await relayOn(store, deliver, new ManualClock()).runOnce();

    expect(result.retried).toBe(1);
    expect(store.get('e-1')).toMatchObject({ status: 'PENDING', lastError: 'socket hang up' });
  });

  it('stops claiming when the run is short of time, leaving events pending', async () => {
    const store = new InMemoryOutboxStore();
    for (const id of ['e-1', 'e-2', 'e-3']) store.add(pendingEvent(id));
    let remaining = 10_000;
    const { deliver } = scriptedDeliverer(() => {
      remaining -= 4000;
      return { outcome: 'delivered', status: 200 };
    });

    // One at a time, so each claim sees the time the delivery before it took.
    const result = await relayOn(store, deliver, new ManualClock(), {
      reserveMs: 5000,
      concurrency: 1,
    }).runOnce({
      remainingTimeMs: () => remaining,
    });

    expect(result).toEqual({ claimed: 2, delivered: 2, retried: 0, dead: 0, skipped: 1 });
    expect(store.get('e-3').status).toBe('PENDING');
    expect(store.get('e-3').leaseUntil).toBeUndefined();
  });

  it('never lets two relays running at once deliver one event while its lease holds', async () => {
    const store = new InMemoryOutboxStore();
    const ids = Array.from({ length: 10 }, (_, i) => `e-${i}`);
    for (const id of ids) store.add(pendingEvent(id));
    const clock = new ManualClock();
    const { deliver, calls } = scriptedDeliverer(() => ({ outcome: 'delivered', status: 200 }));
    // Each delivery yields, so the two runs interleave event by event.
    const slowDeliver: EventDeliverer = async (event) => {
      await new Promise((resolve) => setImmediate(resolve));
      return deliver(event);
    };

    const [a, b] = await Promise.all([
      relayOn(store, slowDeliver, clock).runOnce(),
      relayOn(store, slowDeliver, clock).runOnce(),
    ]);

    expect(a.claimed + b.claimed).toBe(10);
    expect(a.skipped + b.skipped).toBe(10);
    expect(a.claimed).toBeGreaterThan(0);
    expect(b.claimed).toBeGreaterThan(0);
    for (const id of ids) {
      expect(calls.get(id)).toBe(1);
      expect(store.get(id).status).toBe('DELIVERED');
    }
  });

  it('lets another relay take over an event whose lease expired', async () => {
    const store = new InMemoryOutboxStore();
    store.add(pendingEvent('e-1'));
    const clock = new ManualClock();
    // The first relay claims, then dies before recording anything.
    await store.claim(store.get('e-1'), new Date(clock.now().getTime() + 30_000), clock.now());
    const { deliver, calls } = scriptedDeliverer(() => ({ outcome: 'delivered', status: 200 }));
    const relay = relayOn(store, deliver, clock);

    // Leased, it is not even listed (as in the due index's filter).
    expect(await relay.runOnce()).toMatchObject({ claimed: 0, delivered: 0 });
    expect(calls.size).toBe(0);
    clock.advance(30_001);
    expect(await relay.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(calls.get('e-1')).toBe(1);
  });
});
