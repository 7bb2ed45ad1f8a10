import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { STATUS_SHARDS } from '../../lib/payment/indexes.js';
import {
  aggregatePulse,
  type CappedRead,
  type PulseEvent,
  type PulsePayment,
  percentile,
  windowStart,
} from '../../lib/payment/operator/pulse.js';
import { readNewestFirst, readPulse } from '../../lib/payment/operator/pulse-store.js';
import { createPulseRoute } from '../../lib/payment/operator/routes.js';
import { isAppError } from '../../lib/shared/errors.js';
import type { HttpEvent } from '../../lib/shared/middleware/types.js';

const NOW = new Date('2027-01-05T10:30:20.000Z');
const none = <T>(): CappedRead<T> => ({ items: [], capped: false });

/** A payment created `at`, final `ms` later. */
const paid = (at: string, ms: number, outcome: PulsePayment['outcome'] = 'succeeded') => ({
  createdAt: at,
  finalizedAt: new Date(Date.parse(at) + ms).toISOString(),
  outcome,
});

const pulseOf = (payments: CappedRead<PulsePayment>, window: '15m' | '1h' | '6h' = '15m') =>
  aggregatePulse({
    now: NOW,
    window,
    payments,
    paymentCap: 100,
    pending: none<PulseEvent>(),
    dead: none<PulseEvent>(),
    outboxCap: 100,
  });

describe('Function: percentile', () => {
  it('takes the nearest rank: p50 of 1..10 is 5, p99 is 10, p99 of 1..1000 is 990', () => {
    const ten = Array.from({ length: 10 }, (_, i) => 10 - i); // unsorted on purpose
    expect(percentile(ten, 50)).toBe(5);
    expect(percentile(ten, 99)).toBe(10);
    const thousand = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(thousand, 50)).toBe(500);
    expect(percentile(thousand, 99)).toBe(990);
  });

  it('answers null for no values and the value itself for one', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('Function: windowStart', () => {
  it('ends the window with the bucket that holds now, on bucket boundaries', () => {
    expect(windowStart(NOW, '15m').toISOString()).toBe('2027-01-05T10:16:00.000Z');
    expect(windowStart(NOW, '1h').toISOString()).toBe('2027-01-05T09:31:00.000Z');
    // 5-minute buckets: the current one is 10:30-10:35.
    expect(windowStart(NOW, '6h').toISOString()).toBe('2027-01-05T04:35:00.000Z');
  });
});

describe('Function: aggregatePulse', () => {
  it('counts payments per minute by outcome, by the minute their charge started', () => {
    const pulse = pulseOf({
      items: [
        paid('2027-01-05T10:29:00.000Z', 100),
        paid('2027-01-05T10:29:59.999Z', 200),
        paid('2027-01-05T10:29:30.000Z', 300, 'declined'),
        paid('2027-01-05T10:30:05.000Z', 400, 'voided'),
        paid('2027-01-05T10:16:00.000Z', 500), // the window's first instant
        paid('2027-01-05T10:15:59.999Z', 600), // before the window: left out
      ],
      capped: false,
    });
    expect(pulse.bucketSeconds).toBe(60);
    expect(pulse.payments.buckets).toHaveLength(15);
    const at = (start: string) => pulse.payments.buckets.find((b) => b.start === start);
    expect(at('2027-01-05T10:29:00.000Z')).toMatchObject({
      complete: true,
      succeeded: 2,
      declined: 1,
      voided: 0,
      timed: 3,
    });
    expect(at('2027-01-05T10:30:00.000Z')).toMatchObject({ succeeded: 0, voided: 1 });
    expect(at('2027-01-05T10:16:00.000Z')).toMatchObject({ succeeded: 1 });
    expect(at('2027-01-05T10:20:00.000Z')).toMatchObject({ succeeded: 0, p50Ms: null });
    expect(pulse.payments.totals).toEqual({ succeeded: 3, declined: 1, voided: 1 });
  });

  it('gives p50 and p99 of finalizedAt - createdAt per bucket and over the window', () => {
    const minute = '2027-01-05T10:25';
    const items = Array.from({ length: 100 }, (_, i) =>
      paid(`${minute}:${String(i % 60).padStart(2, '0')}.000Z`, (i + 1) * 10),
    );
    items.push(paid('2027-01-05T10:26:00.000Z', 5000));
    const pulse = pulseOf({ items, capped: false });
    const bucket = pulse.payments.buckets.find((b) => b.start === `${minute}:00.000Z`);
    expect(bucket).toMatchObject({ timed: 100, p50Ms: 500, p99Ms: 990 });
    expect(pulse.payments.durationMs).toEqual({ timed: 101, p50: 510, p99: 1000 });
  });

  it('counts a payment without finalizedAt but does not time it', () => {
    const pulse = pulseOf({
      items: [{ createdAt: '2027-01-05T10:20:00.000Z', outcome: 'succeeded' }],
      capped: false,
    });
    expect(pulse.payments.totals.succeeded).toBe(1);
    expect(pulse.payments.durationMs).toEqual({ timed: 0, p50: null, p99: null });
  });

  it('uses 5-minute buckets over 6 hours', () => {
    const pulse = pulseOf(
      {
        items: [paid('2027-01-05T10:31:00.000Z', 1), paid('2027-01-05T10:34:59.000Z', 1)],
        capped: false,
      },
      '6h',
    );
    expect(pulse.bucketSeconds).toBe(300);
    expect(pulse.payments.buckets).toHaveLength(72);
    expect(pulse.payments.buckets.at(-1)).toMatchObject({
      start: '2027-01-05T10:30:00.000Z',
      succeeded: 2,
    });
  });

  it('draws nothing for the buckets a capped read may have missed, and leaves them out of the totals', () => {
    const pulse = pulseOf({
      items: [
        paid('2027-01-05T10:28:10.000Z', 10), // in the bucket of the frontier: incomplete
        paid('2027-01-05T10:28:30.000Z', 10),
        paid('2027-01-05T10:29:00.000Z', 20),
        paid('2027-01-05T10:30:00.000Z', 30, 'declined'),
      ],
      capped: true,
      incompleteUpTo: '2027-01-05T10:28:10.000Z',
    });
    expect(pulse.payments.capped).toBe(true);
    expect(pulse.payments.completeFrom).toBe('2027-01-05T10:29:00.000Z');
    const incomplete = pulse.payments.buckets.filter((b) => !b.complete);
    expect(incomplete.map((b) => b.start).at(-1)).toBe('2027-01-05T10:28:00.000Z');
    expect(incomplete).toHaveLength(13);
    for (const bucket of incomplete)
      expect(bucket).toMatchObject({ succeeded: null, declined: null, p50Ms: null, timed: null });
    expect(pulse.payments.totals).toEqual({ succeeded: 1, declined: 1, voided: 0 });
    expect(pulse.payments.durationMs).toEqual({ timed: 2, p50: 20, p99: 30 });
  });

  it('draws no bucket at all when a capped read knows no point it is whole from', () => {
    const pulse = pulseOf({ items: [paid('2027-01-05T10:29:00.000Z', 1)], capped: true });
    expect(pulse.payments.buckets.every((b) => !b.complete)).toBe(true);
    expect(pulse.payments.totals.succeeded).toBe(0);
    expect(pulse.payments.completeFrom).toBe(NOW.toISOString());
  });

  it('counts PENDING and DEAD events, buckets them by creation, and ages the oldest PENDING', () => {
    const event = (eventId: string, createdAt: string) => ({
      eventId,
      transactionId: 't',
      createdAt,
    });
    const pulse = aggregatePulse({
      now: NOW,
      window: '15m',
      payments: none(),
      paymentCap: 100,
      pending: {
        items: [
          event('e1', '2027-01-05T10:29:10.000Z'),
          event('e2', '2027-01-05T10:00:20.000Z'),
          event('e3', '2027-01-05T10:29:50.000Z'),
        ],
        capped: false,
      },
      dead: { items: [event('e4', '2027-01-05T10:29:00.000Z')], capped: true },
      outboxCap: 100,
    });
    expect(pulse.outbox).toMatchObject({
      pending: 3,
      dead: 1,
      capped: true,
      beforeWindow: { pending: 1, dead: 0 },
      oldestPending: { eventId: 'e2', createdAt: '2027-01-05T10:00:20.000Z', ageSeconds: 1800 },
    });
    expect(pulse.outbox.buckets.find((b) => b.start === '2027-01-05T10:29:00.000Z')).toEqual({
      start: '2027-01-05T10:29:00.000Z',
      pending: 2,
      dead: 1,
    });
  });
});

describe('Function: readNewestFirst', () => {
  /** Shards of items newest first, served `size` per page. */
  const pages =
    (shards: string[][], size: number) =>
    async (shard: number, startKey: Record<string, unknown> | undefined) => {
      const all = shards[shard] ?? [];
      const from = Number(startKey?.at ?? 0);
      const items = all.slice(from, from + size).map((createdAt) => ({ createdAt }));
      return {
        items,
        ...(from + size < all.length && { lastKey: { at: from + size } }),
      };
    };

  it('reads every shard to its end below the cap', async () => {
    const read = await readNewestFirst([0, 1], 10, pages([['c', 'b', 'a'], ['d']], 2));
    expect(read.capped).toBe(false);
    expect(read.items.map((i) => i.createdAt).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('stops at the cap and says from where the read is whole: the newest last item of a shard it stopped in', async () => {
    const read = await readNewestFirst(
      [0, 1, 2],
      4,
      pages(
        [
          ['10:30', '10:29', '10:28', '10:26', '10:05', '10:04'],
          ['10:24', '10:23', '10:20', '10:19'],
          ['10:25'],
        ],
        2,
      ),
    );
    expect(read.capped).toBe(true);
    // Shard 0 stopped after 10:26 (its second page), shard 1 after 10:23, shard 2 ended:
    // at 10:26 and before, something may be missing.
    expect(read.items.map((i) => i.createdAt).sort()).toEqual([
      '10:23',
      '10:24',
      '10:25',
      '10:26',
      '10:28',
      '10:29',
      '10:30',
    ]);
    expect(read.incompleteUpTo).toBe('10:26');
  });

  it('fails when a shard fails: a pulse short of a shard would look calm', async () => {
    await expect(
      readNewestFirst([0, 1], 10, async (shard) => {
        if (shard === 1) throw new Error('throttled');
        return { items: [] };
      }),
    ).rejects.toThrow('throttled');
  });
});

describe('Function: readPulse', () => {
  it('queries every shard of both final statuses and of PENDING and DEAD, bounded by the window, never a Scan', async () => {
    const inputs: Record<string, any>[] = [];
    const doc = {
      send: async (command: { constructor: { name: string }; input: Record<string, any> }) => {
        expect(command.constructor.name).toBe('QueryCommand');
        inputs.push(command.input);
        const shard = String(command.input.ExpressionAttributeValues[':shard']);
        if (shard === 'SUCCEEDED#00')
          return { Items: [paid('2027-01-05T10:29:00.000Z', 250)].map(({ outcome, ...i }) => i) };
        if (shard === 'FAILED#01')
          return {
            Items: [
              { createdAt: '2027-01-05T10:29:30.000Z', failureReason: 'insufficient_funds' },
              { createdAt: '2027-01-05T10:29:40.000Z', failureReason: 'voided' },
            ],
          };
        if (shard === 'PENDING#02')
          return {
            Items: [{ eventId: 'e', transactionId: 't', createdAt: '2027-01-05T10:29:00.000Z' }],
          };
        return { Items: [] };
      },
    } as unknown as DynamoDBDocumentClient;
    const pulse = await readPulse({ doc, paymentsTable: 'payments', window: '15m', now: NOW });
    const payments = inputs.filter((i) => i.IndexName === 'payments-by-status-shard');
    expect(payments).toHaveLength(2 * STATUS_SHARDS);
    for (const input of payments) {
      expect(input.KeyConditionExpression).toBe('#shard = :shard AND createdAt >= :from');
      expect(input.ExpressionAttributeValues[':from']).toBe('2027-01-05T10:16:00.000Z');
      expect(input.ScanIndexForward).toBe(false);
      expect(input.Limit).toBeGreaterThan(0);
    }
    expect(inputs.filter((i) => i.IndexName === 'outbox-due')).toHaveLength(128);
    expect(pulse.payments.totals).toEqual({ succeeded: 1, declined: 1, voided: 1 });
    expect(pulse.payments.durationMs.p50).toBe(250);
    expect(pulse.outbox).toMatchObject({ pending: 1, dead: 0 });
  });

  it('stops at its cap and says so', async () => {
    const doc = {
      send: async (command: { input: Record<string, any> }) => {
        if (command.input.IndexName !== 'payments-by-status-shard') return { Items: [] };
        const page = Number(command.input.ExclusiveStartKey?.page ?? 0);
        const at = new Date(NOW.getTime() - (page + 1) * 20_000).toISOString();
        return {
          Items: [{ createdAt: at, finalizedAt: at }],
          LastEvaluatedKey: { page: page + 1 },
        };
      },
    } as unknown as DynamoDBDocumentClient;
    const pulse = await readPulse({
      doc,
      paymentsTable: 'payments',
      window: '15m',
      now: NOW,
      paymentCap: 200,
    });
    expect(pulse.payments.capped).toBe(true);
    expect(pulse.payments.buckets.some((b) => !b.complete)).toBe(true);
    expect(pulse.payments.buckets.at(-1)?.complete).toBe(true);
  });
});

describe('Function: createPulseRoute (GET /pulse)', () => {
  const asked: string[] = [];
  const doc = {
    send: async (command: { input: Record<string, any> }) => {
      asked.push(String(command.input.ExpressionAttributeValues[':from'] ?? ''));
      return { Items: [] };
    },
  } as unknown as DynamoDBDocumentClient;
  const route = createPulseRoute({ doc, paymentsTable: 'payments' });
  const get = (query: Record<string, string> | null) =>
    route({ queryStringParameters: query } as unknown as HttpEvent, {} as never);

  it('answers the last hour by default, and the window asked for', async () => {
    const hour = await get(null);
    expect(hour.statusCode).toBe(200);
    expect(JSON.parse(String(hour.body))).toMatchObject({ window: '1h', bucketSeconds: 60 });
    const six = JSON.parse(String((await get({ window: '6h' })).body));
    expect(six).toMatchObject({ window: '6h', bucketSeconds: 300 });
    expect(six.payments.buckets).toHaveLength(72);
  });

  it('refuses a window it does not offer with a 400 naming it, before any read', async () => {
    asked.length = 0;
    let error: unknown;
    try {
      await get({ window: '24h' });
    } catch (caught) {
      error = caught;
    }
    expect(
      isAppError(error) && { status: error.status, fields: error.details.map((d) => d.field) },
    ).toEqual({
      status: 400,
      fields: ['window'],
    });
    expect(asked).toEqual([]);
  });
});
