import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { DynamoChargeStore } from '../../lib/payment/charge-store.js';
import { composePaymentService } from '../../lib/payment/compose.js';
import type { PaymentGateway } from '../../lib/payment/gateway-port.js';
import {
  OUTBOX_DUE_INDEX,
  OUTBOX_DUE_SHARDS,
  outboxDueKey,
  outboxDueKeys,
  STATUS_INDEX,
  STATUS_SHARDS,
  UNFINALIZED_INDEX,
  UNFINALIZED_SHARDS,
  unfinalizedMarker,
} from '../../lib/payment/indexes.js';
import { DynamoOutboxStore } from '../../lib/payment/outbox/store.js';
import { createLogger } from '../../lib/shared/logger.js';
import {
  collectShards,
  readShardsMerged,
  type ShardPage,
  shardKey,
  shardKeys,
  shardOf,
} from '../../lib/shared/shards.js';
import { SHARD_COUNTS } from '../../scripts/lib/measure/shard-counts.mjs';
import { busiestSharedKey } from '../../scripts/lib/measure/write-units.mjs';

type Key = Record<string, unknown>;

/** A stand-in for shards of one index: sorted numbers per shard, paged by Limit and a start index. */
function shardsOf(data: Record<string, number[]>, failing: string[] = []) {
  const reads: { shard: string; limit: number }[] = [];
  const readPage = async (
    shard: string,
    startKey: Key | undefined,
    limit: number,
  ): Promise<ShardPage<number>> => {
    reads.push({ shard, limit });
    if (failing.includes(shard)) throw new Error(`shard ${shard} is throttled`);
    const rows = data[shard] ?? [];
    const from = startKey ? Number(startKey.at) : 0;
    const items = rows.slice(from, from + limit);
    const next = from + items.length;
    return { items, lastKey: next < rows.length ? { at: next } : undefined };
  };
  return { readPage, reads };
}

const ascending = (a: number, b: number) => a - b;

describe('Function: shardOf', () => {
  it('gives an id the same shard every time, from the id alone', () => {
    // Pinned: writers and readers of a deployed table must agree forever.
    // FNV-1a 32 of the ids, modulo the count (computed once, 2026-12-06).
    expect([shardOf('tx-1', 64), shardOf('evt-42', 32), shardOf('', 64)]).toEqual([47, 27, 5]);
    expect(shardKey('PENDING', 'a', 64)).toBe(
      `PENDING#${String(shardOf('a', 64)).padStart(2, '0')}`,
    );
  });

  it('spreads 64,000 ids evenly over 64 shards (each within 15 % of its share)', () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 64_000; i++) {
      const shard = shardOf(`t-${i}:${(i * 7919) % 1000}`, 64);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });

  it('names every shard of a value, two digits each', () => {
    expect(shardKeys('Y', 32)).toHaveLength(32);
    expect(shardKeys('Y', 32)[0]).toBe('Y#00');
    expect(shardKeys('Y', 32)[31]).toBe('Y#31');
    expect(outboxDueKeys('PENDING')).toContain(outboxDueKey('PENDING', 'e-1'));
  });

  it("is each index's shard count the bench's write-unit meter divides by and the chaos run reads", () => {
    expect(SHARD_COUNTS).toEqual({
      [OUTBOX_DUE_INDEX]: OUTBOX_DUE_SHARDS,
      [STATUS_INDEX]: STATUS_SHARDS,
      [UNFINALIZED_INDEX]: UNFINALIZED_SHARDS,
    });
  });
});

describe('Function: busiestSharedKey (the bench)', () => {
  it("spreads a sharded value's write units over its index's shards, and not an unsharded one", () => {
    const byKey = {
      'payments/outbox-due PENDING#07': 30,
      'payments/outbox-due PENDING#12': 50,
      'charges/charges-unfinalized Y#01': 40,
      'payments/other-index ALL': 20,
    };
    // 20 payments: PENDING 4 per payment over 64 shards, Y 2 over 32, ALL 1 on one key.
    expect(busiestSharedKey(byKey, 20, SHARD_COUNTS)).toEqual({
      key: 'payments/other-index ALL',
      perPayment: 1,
      shards: 1,
    });
    const sharded = busiestSharedKey({ 'payments/outbox-due PENDING#07': 80 }, 20, SHARD_COUNTS);
    expect(sharded).toEqual({
      key: 'payments/outbox-due PENDING#NN',
      perPayment: 4 / 64,
      shards: 64,
    });
  });
});

describe('Function: readShardsMerged', () => {
  it('merges the shards in order, whatever shard holds the next item', async () => {
    const { readPage } = shardsOf({ a: [1, 4, 7], b: [2, 5, 8], c: [3, 6, 9] });
    const read = await readShardsMerged({
      shards: ['a', 'b', 'c'],
      readPage,
      compare: ascending,
      limit: 20,
    });
    expect(read.items).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(read.exhausted).toBe(true);
  });

  it('reads a shard that is empty once and merges the others', async () => {
    const { readPage, reads } = shardsOf({ a: [1, 3], b: [], c: [2] });
    const read = await readShardsMerged({
      shards: ['a', 'b', 'c'],
      readPage,
      compare: ascending,
      limit: 5,
    });
    expect(read.items).toEqual([1, 2, 3]);
    expect(reads.filter((r) => r.shard === 'b')).toHaveLength(1);
    expect(read.exhausted).toBe(true);
  });

  it('stops at the limit, reading a shard again only when its page ran out first', async () => {
    // All the smallest items sit in one shard: its small pages are read again.
    const { readPage, reads } = shardsOf({ a: [1, 2, 3, 4, 5, 6], b: [10, 11], c: [12] });
    const read = await readShardsMerged({
      shards: ['a', 'b', 'c'],
      readPage,
      compare: ascending,
      limit: 5,
      pageSize: 2,
    });
    expect(read.items).toEqual([1, 2, 3, 4, 5]);
    expect(read.exhausted).toBe(false);
    expect(reads.filter((r) => r.shard === 'b')).toHaveLength(1);
    expect(reads.filter((r) => r.shard === 'a')).toHaveLength(3);
  });

  it('asks each shard its share of the limit, not the whole limit', async () => {
    const data = Object.fromEntries(
      Array.from({ length: 32 }, (_, s) => [
        String(s),
        Array.from({ length: 50 }, (_, i) => i * 32 + s),
      ]),
    );
    const { readPage, reads } = shardsOf(data);
    const read = await readShardsMerged({
      shards: Object.keys(data),
      readPage,
      compare: ascending,
      limit: 25,
    });
    expect(read.items).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(Math.max(...reads.map((r) => r.limit))).toBeLessThanOrEqual(4);
    expect(reads.reduce((sum, r) => sum + r.limit, 0)).toBeLessThan(32 * 4 + 25);
  });

  it('fails the whole read when a shard fails and no one takes the failure', async () => {
    const { readPage } = shardsOf({ a: [1], b: [2] }, ['b']);
    await expect(
      readShardsMerged({ shards: ['a', 'b'], readPage, compare: ascending, limit: 5 }),
    ).rejects.toThrow('shard b is throttled');
  });

  it('leaves a failing shard out and reports it when told to, and says it is not exhausted', async () => {
    const { readPage } = shardsOf({ a: [1, 3], b: [2], c: [4] }, ['b']);
    const failed: string[] = [];
    const read = await readShardsMerged({
      shards: ['a', 'b', 'c'],
      readPage,
      compare: ascending,
      limit: 5,
      onShardFailure: (shard) => failed.push(shard),
    });
    expect(read.items).toEqual([1, 3, 4]);
    expect(read.failedShards).toEqual(['b']);
    expect(failed).toEqual(['b']);
    expect(read.exhausted).toBe(false);
  });

  it('fails when every shard fails, even when told to skip', async () => {
    const { readPage } = shardsOf({ a: [1], b: [2] }, ['a', 'b']);
    await expect(
      readShardsMerged({
        shards: ['a', 'b'],
        readPage,
        compare: ascending,
        limit: 5,
        onShardFailure: () => {},
      }),
    ).rejects.toThrow('throttled');
  });
});

describe('Function: collectShards', () => {
  it('counts every shard exactly below the cap', async () => {
    const { readPage } = shardsOf({ a: [1, 2, 3], b: [], c: [4, 5] });
    const counted = await collectShards(['a', 'b', 'c'], 100, (shard, start) =>
      readPage(shard, start, 2),
    );
    expect(counted).toMatchObject({ count: 5, capped: false });
    expect(counted.items.sort(ascending)).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops near the cap in all shards together, and says so', async () => {
    const many = Array.from({ length: 100 }, (_, i) => i);
    const { readPage, reads } = shardsOf({ a: many, b: many, c: many });
    const counted = await collectShards(['a', 'b', 'c'], 30, (shard, start) =>
      readPage(shard, start, 5),
    );
    expect(counted).toMatchObject({ count: 30, capped: true });
    expect(reads.length).toBeLessThan(12);
  });

  it('fails when a shard fails (a count without it would be wrong)', async () => {
    const { readPage } = shardsOf({ a: [1], b: [2] }, ['b']);
    await expect(
      collectShards(['a', 'b'], 10, (shard, start) => readPage(shard, start, 5)),
    ).rejects.toThrow('throttled');
  });
});

/** A DynamoDB stand-in for the due and unfinalized indexes: items by their sharded key. */
function indexDoc(items: Key[], failing: string[]) {
  const send = async (command: { input: Record<string, unknown> }) => {
    const values = command.input.ExpressionAttributeValues as Record<string, string>;
    const shard = values[':shard'] ?? values[':marker'] ?? '';
    if (failing.includes(shard))
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const range = command.input.IndexName === 'outbox-due' ? 'nextAttemptAt' : 'createdAt';
    const rows = items
      .filter((i) => i.outboxStatus === shard || i.unfinalized === shard)
      .sort((a, b) => (String(a[range]) < String(b[range]) ? -1 : 1));
    return { Items: rows.slice(0, Number(command.input.Limit)) };
  };
  return { send } as unknown as DynamoDBDocumentClient;
}

describe('Class: DynamoOutboxStore, listDue over shards', () => {
  const event = (eventId: string, nextAttemptAt: string) => ({
    eventId,
    transactionId: 't',
    status: 'PENDING',
    outboxStatus: outboxDueKey('PENDING', eventId),
    nextAttemptAt,
    createdAt: nextAttemptAt,
  });
  const ids = ['e-a', 'e-b', 'e-c', 'e-d', 'e-e', 'e-f'];
  const events = ids.map((id, i) => event(id, `2026-01-01T00:00:0${9 - i}.000Z`));

  it('lists due events of every shard, the earliest due first, up to the limit', async () => {
    expect(new Set(events.map((e) => e.outboxStatus)).size).toBeGreaterThan(3);
    const store = new DynamoOutboxStore(indexDoc(events, []), 'payments');
    const due = await store.listDue(new Date('2026-01-02T00:00:00Z'), 4);
    expect(due.map((e) => e.eventId)).toEqual(['e-f', 'e-e', 'e-d', 'e-c']);
    expect(due[0]).not.toHaveProperty('outboxStatus');
  });

  it("skips a failing shard for this run, reports it, and lists the others' events", async () => {
    const failing = outboxDueKey('PENDING', 'e-f');
    const reported: string[] = [];
    const store = new DynamoOutboxStore(indexDoc(events, [failing]), 'payments', undefined, {
      onShardFailure: (shard) => reported.push(shard),
    });
    const due = await store.listDue(new Date('2026-01-02T00:00:00Z'), 10);
    const expected = events.filter((e) => e.outboxStatus !== failing).map((e) => e.eventId);
    expect(due.map((e) => e.eventId).sort()).toEqual(expected.sort());
    expect(reported).toEqual([failing]);
  });
});

describe('Class: DynamoChargeStore, listUnfinalized over shards', () => {
  const charges = ['t-1', 't-2', 't-3', 't-4', 't-5'].map((transactionId, i) => ({
    transactionId,
    unfinalized: unfinalizedMarker(transactionId),
    createdAt: `2026-01-01T00:00:0${i}.000Z`,
  }));

  it('lists the oldest first across shards, up to the limit', async () => {
    const store = new DynamoChargeStore(indexDoc(charges, []), 'charges');
    expect(await store.listUnfinalized(new Date('2026-01-02T00:00:00Z'), 3)).toEqual([
      't-1',
      't-2',
      't-3',
    ]);
  });

  it('leaves out a failing shard and reports it', async () => {
    const failing = unfinalizedMarker('t-2');
    const reported: string[] = [];
    const store = new DynamoChargeStore(indexDoc(charges, [failing]), 'charges', {
      onShardFailure: (shard) => reported.push(shard),
    });
    const listed = await store.listUnfinalized(new Date('2026-01-02T00:00:00Z'), 10);
    expect(listed).not.toContain('t-2');
    expect(listed).toContain('t-1');
    expect(reported).toEqual([failing]);
  });
});

describe('Function: composePaymentService, a shard the relay skips', () => {
  it('is logged at WARN with its index and shard, and the other shards are listed', async () => {
    const logger = createLogger('payment');
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const failing = outboxDueKey('PENDING', 'e-1');
    const event = {
      eventId: 'e-2',
      transactionId: 't',
      status: 'PENDING',
      outboxStatus: outboxDueKey('PENDING', 'e-2'),
      nextAttemptAt: '2026-01-01T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    expect(event.outboxStatus).not.toBe(failing);
    const { outbox } = composePaymentService({
      doc: indexDoc([event], [failing]),
      paymentsTable: 'payments',
      chargesTable: 'charges',
      gateway: {} as PaymentGateway,
      logger,
    });
    const due = await outbox.listDue(new Date('2026-01-02T00:00:00Z'), 10);
    expect(due.map((e) => e.eventId)).toEqual(['e-2']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toBe('outbox.list-due retrying');
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ index: 'outbox-due', shard: failing });
  });
});
