import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { byCodeUnit } from '../shared/compare.js';
import { isValidationException } from '../shared/dynamo.js';
import { fromMinorUnits } from '../shared/money.js';
import { ID_PATTERN, invalidCursor, TIMESTAMP_PATTERN } from '../shared/validation.js';
import {
  UNFINALIZED_ATTRIBUTE,
  type UNFINALIZED_INDEX,
  UNFINALIZED_MARKER,
  unfinalizedChargesQuery,
} from './charge-store.js';
import { paymentPk } from './outbox-store.js';
import { PAYMENT_SK } from './payment-store.js';

/**
 * The GSI that lists items by `status`, newest first (`createdAt`): payments
 * (SUCCEEDED, FAILED) and, under their own statuses, outbox events.
 */
export const STATUS_INDEX = 'payments-by-status';

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

/** Where each status' query stands: its next start key, or null once it is exhausted. */
type Cursor = Partial<Record<ListedStatus, Record<string, unknown> | null>>;

/** Reads the operator's list of payments. */
export interface PaymentList {
  list(query: { status?: ListedStatus; limit: number; cursor?: string }): Promise<PaymentPage>;
}

/**
 * {@link PaymentList} from two indexes, never a Scan: final payments from
 * {@link STATUS_INDEX} (one partition per status), charges still in flight
 * from the charges table's {@link UNFINALIZED_INDEX}. An unfiltered page
 * merges the three by time; the cursor keeps each query's own position.
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
    const cursor = query.cursor ? decodeListCursor(query.cursor, statuses) : {};
    const fetched = await Promise.all(
      statuses
        .filter((status) => cursor[status] !== null)
        .map(async (status) => ({
          status,
          ...(await this.fetch(status, cursor[status] ?? undefined, query.limit)),
        })),
    );
    const rows = fetched
      .flatMap((page) => page.rows.map((row) => ({ ...row, source: page.status })))
      // Newest first, by createdAt alone (ISO strings compare as they sort).
      // The sort is stable, so the rows of one status keep their index's
      // order, ties included, and each status' cursor points just past what
      // was taken from it. A tie-break of our own (it was transactionId, in
      // locale order) could reorder one status' rows against its index, and
      // its cursor then skipped a payment or listed one twice.
      .sort((a, b) => byCodeUnit(b.summary.createdAt, a.summary.createdAt))
      .slice(0, query.limit);
    const next: Cursor = { ...cursor };
    for (const page of fetched) {
      const taken = rows.filter((row) => row.source === page.status);
      const last = taken.at(-1);
      if (taken.length === page.rows.length && !page.lastKey) next[page.status] = null;
      else if (last) next[page.status] = last.key;
    }
    const done = statuses.every((status) => next[status] === null);
    const items = await this.withChargeDetails(rows.map((row) => row.summary));
    return done ? { items } : { items, nextCursor: encodeListCursor(next) };
  }

  /** One query of one status' index, newest first. */
  private async fetch(
    status: ListedStatus,
    startKey: Record<string, unknown> | undefined,
    limit: number,
  ) {
    const processing = status === 'PROCESSING';
    const out = await this.query(
      new QueryCommand(
        processing
          ? {
              ...unfinalizedChargesQuery(this.chargesTable),
              ScanIndexForward: false,
              Limit: limit,
              ExclusiveStartKey: startKey,
            }
          : {
              TableName: this.paymentsTable,
              IndexName: STATUS_INDEX,
              KeyConditionExpression: '#status = :status',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':status': status },
              ScanIndexForward: false,
              Limit: limit,
              ExclusiveStartKey: startKey,
            },
      ),
      startKey !== undefined,
    );
    const rows = (out.Items ?? []).map((item) => ({
      key: processing
        ? pick(item, ['transactionId', UNFINALIZED_ATTRIBUTE, 'createdAt'])
        : pick(item, ['pk', 'sk', 'status', 'createdAt']),
      summary: processing ? processingSummary(item) : paymentSummary(item, status),
    }));
    return { rows, lastKey: out.LastEvaluatedKey };
  }

  /**
   * Sends one query; DynamoDB refusing a start key that came from the
   * client's cursor is a 400 naming `cursor` (the decoder should have caught
   * it first), never a 500.
   */
  private async query(command: QueryCommand, fromCursor: boolean) {
    try {
      return await this.doc.send(command);
    } catch (error) {
      if (fromCursor && isValidationException(error)) throw invalidCursor(undefined, error);
      throw error;
    }
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

function pick(item: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => item[k] !== undefined).map((k) => [k, item[k]]));
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

/** Encodes where each status' query stands as an opaque cursor (base64url JSON). */
export function encodeListCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** True when `pk` is a payment's partition key, `paymentPk(<transactionId>)`. */
function isPaymentPk(pk: unknown): boolean {
  const prefix = paymentPk('');
  return (
    typeof pk === 'string' && pk.startsWith(prefix) && ID_PATTERN.test(pk.slice(prefix.length))
  );
}

/**
 * True when `key` is a start key of `status`' own query: exactly the
 * attributes {@link DynamoPaymentList} takes from that index's rows, in
 * that query's partition. Anything else (a key of the other index, of
 * another status, an empty one) would reach DynamoDB as the query's
 * ExclusiveStartKey and be refused there.
 */
function isStartKeyOf(status: ListedStatus, key: Record<string, unknown>): boolean {
  const names = Object.keys(key).sort();
  const createdAt = typeof key.createdAt === 'string' && TIMESTAMP_PATTERN.test(key.createdAt);
  if (status === 'PROCESSING') {
    return (
      names.join() === ['createdAt', 'transactionId', UNFINALIZED_ATTRIBUTE].sort().join() &&
      createdAt &&
      typeof key.transactionId === 'string' &&
      ID_PATTERN.test(key.transactionId) &&
      key[UNFINALIZED_ATTRIBUTE] === UNFINALIZED_MARKER
    );
  }
  return (
    names.join() === 'createdAt,pk,sk,status' &&
    createdAt &&
    isPaymentPk(key.pk) &&
    key.sk === PAYMENT_SK &&
    key.status === status
  );
}

/**
 * Decodes a cursor of {@link encodeListCursor} for these statuses; anything
 * else, a foreign key included, is a 400 naming `cursor`.
 */
export function decodeListCursor(text: string, statuses: readonly ListedStatus[]): Cursor {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(text)) throw invalidCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidCursor();
  const cursor: Cursor = {};
  for (const [name, key] of Object.entries(value)) {
    const status = name as ListedStatus;
    if (!statuses.includes(status)) throw invalidCursor();
    if (key === null) cursor[status] = null;
    else if (typeof key === 'object' && !Array.isArray(key) && isStartKeyOf(status, key))
      cursor[status] = key as Record<string, unknown>;
    else throw invalidCursor();
  }
  return cursor;
}
