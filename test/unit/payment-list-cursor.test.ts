import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { STATUS_SHARDS, statusShardKey, unfinalizedMarker } from '../../lib/payment/indexes.js';
import {
  DynamoPaymentList,
  decodeListCursor,
  type ListedStatus,
} from '../../lib/payment/operator/payment-list.js';
import { shardOf } from '../../lib/shared/shards.js';

// The list's merge and cursors against a stand-in for the sharded indexes
// that pages as DynamoDB does (Limit, ExclusiveStartKey, LastEvaluatedKey,
// `createdAt <= :at`) and orders a tie on createdAt by its own rule, here the
// base key's bytes, newest first. (DynamoDB Local orders ties otherwise, so
// the integration test cannot choose the order.)

type Item = Record<string, unknown>;

/** The sharded key an item is indexed under (the status index, or the in-flight index). */
const keyOf = (item: Item) => String(item.statusShard ?? item.unfinalized);

function indexOf(items: Item[], options: { failing?: string } = {}) {
  const queries: Item[] = [];
  const send = async (command: { input: Record<string, unknown> }) => {
    const input = command.input;
    if (input.RequestItems) return { Responses: {} };
    queries.push(input);
    const values = input.ExpressionAttributeValues as Record<string, string>;
    const shard = values[':shard'] ?? values[':marker'];
    if (shard === options.failing) {
      throw Object.assign(new Error('Throughput exceeds the current capacity'), {
        name: 'ThrottlingException',
      });
    }
    const at = values[':at'];
    const rows = items
      .filter((item) => keyOf(item) === shard)
      .filter((item) => at === undefined || String(item.createdAt) <= at)
      .sort((a, b) =>
        a.createdAt === b.createdAt
          ? Buffer.compare(Buffer.from(String(b.pk)), Buffer.from(String(a.pk)))
          : String(a.createdAt) < String(b.createdAt)
            ? 1
            : -1,
      );
    const start = input.ExclusiveStartKey as Item | undefined;
    const from = start ? rows.findIndex((row) => row.pk === start.pk) + 1 : 0;
    const page = rows.slice(from, from + Number(input.Limit));
    const more = from + page.length < rows.length;
    const last = page.at(-1);
    return {
      Items: page,
      LastEvaluatedKey: more && last ? { pk: last.pk, createdAt: last.createdAt } : undefined,
    };
  };
  return { doc: { send } as unknown as DynamoDBDocumentClient, queries };
}

function payment(transactionId: string, status: ListedStatus, createdAt: string): Item {
  return {
    pk: `PAYMENT#${transactionId}`,
    sk: 'PAYMENT',
    transactionId,
    orderId: 'o',
    userId: 'u',
    amountMinor: 100,
    currency: 'USD',
    status,
    statusShard: statusShardKey(status, transactionId),
    createdAt,
  };
}

function inFlight(transactionId: string, createdAt: string): Item {
  return {
    pk: transactionId,
    transactionId,
    unfinalized: unfinalizedMarker(transactionId),
    createdAt,
  };
}

async function everyPage(list: DynamoPaymentList, query: { status?: ListedStatus; limit: number }) {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 200; page++) {
    const got = await list.list({ ...query, cursor });
    seen.push(...got.items.map((item) => item.transactionId));
    cursor = got.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error('the cursor never ended');
}

describe('Class: DynamoPaymentList, paging across shards', () => {
  // Same millisecond; ids whose order by bytes and by locale differ ('_' is
  // after '0' by bytes, before '-' by locale; 'B' is before 'a' by bytes).
  const tied = ['p_x', 'p-x', 'p.x', 'p0x', 'pB', 'pa'];
  const items = [
    payment('newest', 'SUCCEEDED', '2026-12-01T10:00:02.000Z'),
    ...tied.map((id) => payment(id, 'SUCCEEDED', '2026-12-01T10:00:01.000Z')),
    payment('failed-tied', 'FAILED', '2026-12-01T10:00:01.000Z'),
    inFlight('processing-tied', '2026-12-01T10:00:01.000Z'),
    payment('oldest', 'FAILED', '2026-12-01T10:00:00.000Z'),
  ];

  it('spreads the fixture over several shards (else the test proves nothing)', () => {
    const shards = new Set(tied.map((id) => shardOf(id, STATUS_SHARDS)));
    expect(shards.size).toBeGreaterThan(3);
  });

  it.each([1, 2, 3, 4])(
    'lists each payment of one status once, ties included, %i a page',
    async (limit) => {
      const seen = await everyPage(new DynamoPaymentList(indexOf(items).doc, 'p', 'c'), {
        status: 'SUCCEEDED',
        limit,
      });
      expect(seen[0]).toBe('newest');
      expect(seen.slice(1).sort()).toEqual([...tied].sort());
      expect(seen).toHaveLength(1 + tied.length);
    },
  );

  it.each([1, 2, 3, 5, 100])(
    'lists each payment of every status once, newest first, %i a page',
    async (limit) => {
      const seen = await everyPage(new DynamoPaymentList(indexOf(items).doc, 'p', 'c'), {
        limit,
      });
      expect(seen).toHaveLength(items.length);
      expect(new Set(seen).size).toBe(items.length);
      expect(seen[0]).toBe('newest');
      expect(seen.at(-1)).toBe('oldest');
    },
  );

  it('lists 300 payments over every shard once each, newest first, in pages of 25', async () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      payment(`m-${i}`, i % 3 === 0 ? 'FAILED' : 'SUCCEEDED', new Date(1e12 + i * 7).toISOString()),
    );
    const seen = await everyPage(new DynamoPaymentList(indexOf(many).doc, 'p', 'c'), {
      limit: 25,
    });
    expect(seen).toEqual(many.map((p) => String(p.transactionId)).reverse());
  });

  it('keeps a page bounded: a few items asked of each shard, never every item', async () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      payment(`m-${i}`, 'SUCCEEDED', new Date(1e12 + i).toISOString()),
    );
    const index = indexOf(many);
    await new DynamoPaymentList(index.doc, 'p', 'c').list({ status: 'SUCCEEDED', limit: 10 });
    const limits = index.queries.map((q) => Number(q.Limit));
    expect(Math.max(...limits)).toBeLessThanOrEqual(10);
    expect(
      new Set(index.queries.map((q) => JSON.stringify(q.ExpressionAttributeValues))).size,
    ).toBeGreaterThanOrEqual(STATUS_SHARDS);
  });

  it('fails the whole page when one shard cannot be read, rather than list it short', async () => {
    const failing = statusShardKey('SUCCEEDED', 'pa');
    const list = new DynamoPaymentList(indexOf(items, { failing }).doc, 'p', 'c');
    const error = await list.list({ limit: 5 }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('ThrottlingException');
  });

  it('makes a cursor that holds one position for every shard, and only the ties it listed', async () => {
    const list = new DynamoPaymentList(indexOf(items).doc, 'p', 'c');
    const first = await list.list({ limit: 3 });
    const cursor = decodeListCursor(String(first.nextCursor));
    expect(cursor.at).toBe('2026-12-01T10:00:01.000Z');
    expect(cursor.seen).toHaveLength(2);
    expect(String(first.nextCursor).length).toBeLessThan(120);
  });
});
