import { describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../lib/outbox/relay.js';
import { relayHandler } from '../../lib/outbox/relay-handler.js';
import { createLogger } from '../../lib/shared/logger.js';
import type { OutboxEvent, OutboxStore } from '../../lib/shared/outbox.js';
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

  it('does not throw when the store is unreachable, and says the run failed', async () => {
    const relay = new OutboxRelay({
      store: store({ unreachable: true }),
      deliver: async () => ({ outcome: 'delivered', status: 200 }),
      logger,
    });
    const result = await relayHandler(relay, logger)({}, fakeContext());
    expect(result).toMatchObject({ claimed: 0, failed: true });
  });
});
