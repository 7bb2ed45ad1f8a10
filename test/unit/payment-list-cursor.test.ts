import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoPaymentList, type ListedStatus } from '../../lib/payment/payment-list.js';

// The list's merge and cursors against a stand-in for the status index that
// pages as DynamoDB does (Limit, ExclusiveStartKey, LastEvaluatedKey) and
// orders a tie on createdAt by its own rule, here the base key's bytes,
// newest first. (DynamoDB Local orders ties otherwise, so the integration
// test cannot choose the order.)

type Item = Record<string, unknown>;

function indexOf(items: Item[]): DynamoDBDocumentClient {
  const send = async (command: { input: Record<string, unknown> }) => {
    const input = command.input;
    const status = (input.ExpressionAttributeValues as Record<string, string>)[':status'];
    const rows = items
      .filter((item) => item.status === status)
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
      LastEvaluatedKey:
        more && last ? { pk: last.pk, sk: last.sk, status, createdAt: last.createdAt } : undefined,
    };
  };
  return { send } as unknown as DynamoDBDocumentClient;
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
    createdAt,
  };
}

async function everyPage(list: DynamoPaymentList, query: { status?: ListedStatus; limit: number }) {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const got = await list.list({ ...query, cursor });
    seen.push(...got.items.map((item) => item.transactionId));
    cursor = got.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error('the cursor never ended');
}

describe('Class: DynamoPaymentList, paging', () => {
  // Same millisecond; ids whose order by bytes and by locale differ ('_' is
  // after '0' by bytes, before '-' by locale; 'B' is before 'a' by bytes).
  const tied = ['p_x', 'p-x', 'p.x', 'p0x', 'pB', 'pa'];
  const items = [
    payment('newest', 'SUCCEEDED', '2026-12-01T10:00:02.000Z'),
    ...tied.map((id) => payment(id, 'SUCCEEDED', '2026-12-01T10:00:01.000Z')),
    payment('failed-tied', 'FAILED', '2026-12-01T10:00:01.000Z'),
    payment('oldest', 'FAILED', '2026-12-01T10:00:00.000Z'),
  ];
  const list = new DynamoPaymentList(indexOf(items), 'payments', 'charges');

  it.each([1, 2, 3, 4])(
    'lists each payment of one status once, ties included, %i a page',
    async (limit) => {
      const seen = await everyPage(list, { status: 'SUCCEEDED', limit });
      expect(seen[0]).toBe('newest');
      expect(seen.slice(1).sort()).toEqual([...tied].sort());
      expect(seen).toHaveLength(1 + tied.length);
    },
  );

  it.each([1, 2, 3, 5])(
    'lists each payment of every status once, newest first, %i a page',
    async (limit) => {
      const seen = await everyPage(list, { limit });
      expect(seen).toHaveLength(items.length);
      expect(new Set(seen).size).toBe(items.length);
      expect(seen[0]).toBe('newest');
      expect(seen.at(-1)).toBe('oldest');
    },
  );
});
