import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { byCodeUnit } from '../../shared/compare.js';
import { fromMinorUnits } from '../../shared/money.js';
import { readShardsMerged } from '../../shared/shards.js';
import {
  decodeCursorObject,
  encodeCursorObject,
  invalidCursor,
  TIMESTAMP_PATTERN,
} from '../../shared/validation.js';
import { unfinalizedChargesQuery } from '../charge-store.js';
import {
  STATUS_INDEX,
  STATUS_SHARD_ATTRIBUTE,
  statusShardKeys,
  type UNFINALIZED_INDEX,
  unfinalizedMarkers,
} from '../indexes.js';

export { STATUS_INDEX } from '../indexes.js';

/** What the operator list filters on: a final status, or PROCESSING (charged, not final yet). */
export type ListedStatus = 'SUCCEEDED' | 'FAILED' | 'PROCESSING';
/** Every status the list knows, in the order an unfiltered list merges them. */
export const LISTED_STATUSES: readonly ListedStatus[] = ['SUCCEEDED', 'FAILED', 'PROCESSING'];

/** One row of the operator list. */
export interface PaymentSummary {
  transactionId: string;
  orderId?: string;
  userId?: string;
  amount?: number;
  currency?: string;
  status: ListedStatus;
  createdAt: string;
  failureReason?: string;
}

/** A page of the list, newest first; `nextCursor` is absent on the last page. */
export interface PaymentPage {
  items: PaymentSummary[];
  nextCursor?: string;
}

/**
 * Where a page ended: every row after it is older than `at`, or as old and
 * not in `seen` (digests of the rows of `at` already listed, see
 * {@link rowDigest}). One position for every shard of every status: each
 * shard's query starts at `at`, so the cursor's size does not grow with the
 * shard count.
 */
export interface ListCursor {
  at: string;
  seen: string[];
}

/** Reads the operator's list of payments. */
export interface PaymentList {
  list(query: { status?: ListedStatus; limit: number; cursor?: string }): Promise<PaymentPage>;
}

/** A digest of a listed row (status and id), 11 base64url characters (66 bits): what a cursor remembers of a tie. */
export function rowDigest(status: ListedStatus, transactionId: string): string {
  return createHash('sha256')
    .update(`${status}:${transactionId}`)
    .digest('base64url')
    .slice(0, DIGEST_LENGTH);
}
const DIGEST_LENGTH = 11;

/**
 * {@link PaymentList} from two indexes, never a Scan: final payments from
 * {@link STATUS_INDEX} (32 shards per status), charges still in flight from
 * the charges table's {@link UNFINALIZED_INDEX} (32 shards). Every shard of
 * every listed status is queried in parallel and merged newest first. A
 * shard that cannot be read fails the whole page (the route answers 503 for
 * a store that is throttled or away): a page silently short of one shard's
 * payments would look complete to the operator.
 */
export class DynamoPaymentList implements PaymentList {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly paymentsTable: string,
    private readonly chargesTable: string,
  ) {}

  async list(query: {
    status?: ListedStatus;
    limit: number;
    cursor?: string;
  }): Promise<PaymentPage> {
    const statuses = query.status ? [query.status] : LISTED_STATUSES;
    const cursor = query.cursor ? decodeListCursor(query.cursor) : undefined;
    const statusOf = new Map<string, ListedStatus>();
    for (const status of statuses) {
      const keys = status === 'PROCESSING' ? unfinalizedMarkers() : statusShardKeys(status);
      for (const key of keys) statusOf.set(`${status}/${key}`, status);
    }
    const read = await readShardsMerged({
      shards: [...statusOf.keys()],
      limit: query.limit,
      // Newest first, by createdAt alone: a tie is told apart by the cursor's `seen`.
      compare: (a: PaymentSummary, b: PaymentSummary) => byCodeUnit(b.createdAt, a.createdAt),
      readPage: (shard, startKey, limit) =>
        this.fetch(statusOf.get(shard) as ListedStatus, shard.slice(shard.indexOf('/') + 1), {
          startKey,
          limit,
          cursor,
        }),
    });
    const items = await this.withChargeDetails(read.items);
    const last = items.at(-1);
    if (read.exhausted || !last) return { items };
    const seen = new Set(cursor?.at === last.createdAt ? cursor.seen : []);
    for (const item of items)
      if (item.createdAt === last.createdAt) seen.add(rowDigest(item.status, item.transactionId));
    return { items, nextCursor: encodeListCursor({ at: last.createdAt, seen: [...seen] }) };
  }

  /** One page of one shard of one status, newest first, from the cursor's position on. */
  private async fetch(
    status: ListedStatus,
    shardKey: string,
    page: { startKey?: Record<string, unknown>; limit: number; cursor?: ListCursor },
  ) {
    const processing = status === 'PROCESSING';
    const base = processing
      ? unfinalizedChargesQuery(this.chargesTable, shardKey)
      : {
          TableName: this.paymentsTable,
          IndexName: STATUS_INDEX,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': STATUS_SHARD_ATTRIBUTE },
          ExpressionAttributeValues: { ':shard': shardKey } as Record<string, unknown>,
        };
    const from = page.cursor;
    const out = await this.doc.send(
      new QueryCommand({
        ...base,
        ...(from && {
          KeyConditionExpression: `${base.KeyConditionExpression} AND createdAt <= :at`,
          ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ':at': from.at },
        }),
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: page.startKey,
      }),
    );
    const seen = new Set(from?.seen ?? []);
    const items = (out.Items ?? [])
      .map((item) => (processing ? processingSummary(item) : paymentSummary(item, status)))
      .filter(
        (row) =>
          !(row.createdAt === from?.at && seen.has(rowDigest(row.status, row.transactionId))),
      );
    return { items, lastKey: out.LastEvaluatedKey };
  }

  /** Fills in order, user and amount of in-flight rows from their charges (one batch read). */
  private async withChargeDetails(items: PaymentSummary[]): Promise<PaymentSummary[]> {
    const ids = items.filter((i) => i.status === 'PROCESSING').map((i) => i.transactionId);
    if (ids.length === 0) return items;
    const out = await this.doc.send(
      new BatchGetCommand({
        RequestItems: {
          [this.chargesTable]: { Keys: ids.map((transactionId) => ({ transactionId })) },
        },
      }),
    );
    const charges = new Map(
      (out.Responses?.[this.chargesTable] ?? []).map((c) => [String(c.transactionId), c]),
    );
    return items.map((item) => {
      const charge = charges.get(item.transactionId);
      if (item.status !== 'PROCESSING' || !charge) return item;
      return {
        ...item,
        orderId: charge.orderId,
        userId: charge.userId,
        currency: charge.currency,
        amount: fromMinorUnits(Number(charge.amountMinor), charge.currency),
      };
    });
  }
}

function paymentSummary(item: Record<string, unknown>, status: ListedStatus): PaymentSummary {
  const summary: PaymentSummary = {
    transactionId: String(item.transactionId),
    orderId: item.orderId as string,
    userId: item.userId as string,
    currency: item.currency as string,
    amount: fromMinorUnits(Number(item.amountMinor), item.currency as never),
    status,
    createdAt: String(item.createdAt),
  };
  if (typeof item.failureReason === 'string') summary.failureReason = item.failureReason;
  return summary;
}

function processingSummary(item: Record<string, unknown>): PaymentSummary {
  return {
    transactionId: String(item.transactionId),
    status: 'PROCESSING',
    createdAt: String(item.createdAt),
  };
}

/** Encodes a {@link ListCursor} as an opaque cursor (base64url JSON). */
export function encodeListCursor(cursor: ListCursor): string {
  return encodeCursorObject(cursor);
}

const DIGEST = new RegExp(`^[A-Za-z0-9_-]{${DIGEST_LENGTH}}$`);

/** Decodes a cursor of {@link encodeListCursor}; anything else is a 400 naming `cursor`. */
export function decodeListCursor(text: string): ListCursor {
  const { at, seen, ...rest } = decodeCursorObject(text, 2048);
  if (
    Object.keys(rest).length > 0 ||
    typeof at !== 'string' ||
    !TIMESTAMP_PATTERN.test(at) ||
    !Array.isArray(seen) ||
    seen.length === 0 ||
    !seen.every((digest) => typeof digest === 'string' && DIGEST.test(digest))
  )
    throw invalidCursor();
  return { at, seen: seen as string[] };
}
