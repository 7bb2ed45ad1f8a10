import { describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../lib/outbox/relay.js';
import { RelayRunFailedError, relayHandler } from '../../lib/outbox/relay-handler.js';
import type { RunLease } from '../../lib/outbox/run-lease.js';
import type { OutboxEvent, OutboxStore } from '../../lib/outbox/types.js';
import { createLogger } from '../../lib/shared/logger.js';
import { fakeContext } from '../support/lambda.js';

const logger = createLogger('payment');

/** A store with one due event, or one that cannot be reached. */
function store(options: { unreachable?: boolean } = {}): OutboxStore {
  const event: OutboxEvent = {
    eventId: 'e-1',
    transactionId: 'tx-1',
    type: 'order.status',
    target: 'order',
    payload: {},
    correlationId: 'corr-relay-handler',
    status: 'PENDING',
    attempts: 1,
    nextAttemptAt: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  return {
    listDue: async () => {
      if (options.unreachable) throw new Error('connect ECONNREFUSED 127.0.0.1:8000');
      return [event];
    },
    claim: async () => true,
    markDelivered: async () => undefined,
    markFailed: async () => undefined,
    markDead: async () => undefined,
    redrive: async () => [],
  };
}

/** A lease in memory: free, held by someone else, or unreachable. */
function fakeLease(options: { heldBy?: string; unreachable?: boolean } = {}) {
  let holder = options.heldBy;
  const acquiredUntil: number[] = [];
  const lease: RunLease = {
    acquire: async (owner, untilMs) => {
      if (options.unreachable) throw new Error('connect ECONNREFUSED 127.0.0.1:8000');
      if (holder && holder !== owner) return false;
      holder = owner;
      acquiredUntil.push(untilMs);
      return true;
    },
    release: async (owner) => {
      if (holder === owner) holder = undefined;
    },
  };
  return Object.assign(lease, { holder: () => holder, acquiredUntil });
}

describe('Function: relayHandler', () => {
  it('runs the relay once within the invocation time and answers its counts', async () => {
    const relay = new OutboxRelay({
      store: store(),
      deliver: async () => ({ outcome: 'delivered', status: 200 }),
      logger,
    });
    const result = await relayHandler(relay, logger)({}, fakeContext(60_000));
    expect(result).toEqual({
      claimed: 1,
      delivered: 1,
      retried: 0,
      dead: 0,
      skipped: 0,
      failed: false,
    });
  });

  it('claims nothing when the invocation is already short of time', async () => {
    const relay = new OutboxRelay({
      store: store(),
      deliver: async () => ({ outcome: 'delivered', status: 200 }),
      logger,
      reserveMs: 10_000,
    });
    const result = await relayHandler(relay, logger)({}, fakeContext(5000));
    expect(result).toMatchObject({ claimed: 0, skipped: 1, failed: false });
  });

  it('fails the invocation when the store is unreachable, so that Lambda counts an error', async () => {
    const relay = new OutboxRelay({
      store: store({ unreachable: true }),
      deliver: async () => ({ outcome: 'delivered', status: 200 }),
      logger,
    });
    const run = relayHandler(relay, logger)({}, fakeContext());
    await expect(run).rejects.toBeInstanceOf(RelayRunFailedError);
    await expect(run).rejects.toMatchObject({ cause: { message: /ECONNREFUSED/ } });
  });

  it('runs the pass when the work before it fails, then fails the invocation', async () => {
    let delivered = 0;
    const relay = new OutboxRelay({
      store: store(),
      deliver: async () => {
        delivered += 1;
        return { outcome: 'delivered', status: 200 };
      },
      logger,
    });
    const run = relayHandler(relay, logger, {
      beforeRun: async () => {
        throw new Error('charges index unreachable');
      },
    })({}, fakeContext(60_000));
    await expect(run).rejects.toThrow('the work before the relay pass failed');
    expect(delivered).toBe(1);
  });

  it('does nothing while another run holds the lease, and says so', async () => {
    const lease = fakeLease({ heldBy: 'another-run' });
    let listed = false;
    const relay = new OutboxRelay({
      store: {
        ...store(),
        listDue: async () => {
          listed = true;
          return [];
        },
      },
      deliver: async () => ({ outcome: 'delivered', status: 200 }),
      logger,
    });
    const result = await relayHandler(relay, logger, { lease })({}, fakeContext(60_000));
    expect(result).toMatchObject({ claimed: 0, failed: false, leaseHeld: true });
    expect(listed).toBe(false);
    expect(lease.holder()).toBe('another-run');
  });

  it('takes the lease until past its own deadline, and gives it back after the run', async () => {
    const lease = fakeLease();
    const context = fakeContext(60_000);
    const relay = new OutboxRelay({
      store: store(),
      deliver: async () => {
        expect(lease.holder()).toBe(context.awsRequestId);
        return { outcome: 'delivered', status: 200 };
      },
      logger,
    });
    const before = Date.now();
    const result = await relayHandler(relay, logger, { lease })({}, context);
    expect(result).toMatchObject({ delivered: 1, failed: false });
    expect(lease.acquiredUntil[0]).toBeGreaterThanOrEqual(before + 60_000);
    expect(lease.holder()).toBeUndefined();
  });

  it('fails the invocation when the lease cannot be taken (its table unreachable)', async () => {
    const lease = fakeLease({ unreachable: true });
    const relay = new OutboxRelay({
      store: store(),
      deliver: async () => ({ outcome: 'delivered', status: 200 }),
      logger,
    });
    await expect(relayHandler(relay, logger, { lease })({}, fakeContext())).rejects.toThrow(
      'the relay lease could not be taken',
    );
  });
});
