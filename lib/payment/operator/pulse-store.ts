import type { DynamoDBDocumentClient, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { collectShards, type Key } from '../../shared/shards.js';
import { statusShardKeys, statusSinceQuery } from '../indexes.js';
import { BACKLOG_READ_CAP, readDueEvents } from '../outbox/backlog.js';
import { VOIDED_REASON } from '../types.js';
import {
  aggregatePulse,
  type CappedRead,
  type Pulse,
  type PulseEvent,
  type PulsePayment,
  type PulseWindow,
  windowStart,
} from './pulse.js';

/**
 * At most this many final payments are read for one pulse (both statuses,
 * every shard together): about 1 MB of index entries, a few seconds of
 * queries. Past it the pulse draws only the buckets read whole, and says so.
 */
export const PULSE_PAYMENT_CAP = 20_000;
/** At most this many PENDING, and as many DEAD, events (as the outbox health reads). */
export const PULSE_EVENT_CAP = BACKLOG_READ_CAP;
/** Items asked of one shard per query. */
const PAGE_LIMIT = 500;

type QueryInput = ConstructorParameters<typeof QueryCommand>[0];
type Query = (input: QueryInput) => Promise<QueryCommandOutput>;

/** Options of {@link readPulse}; the caps are settable for tests only. */
export interface PulseReadOptions {
  doc: DynamoDBDocumentClient;
  paymentsTable: string;
  window: PulseWindow;
  now?: Date;
  paymentCap?: number;
  eventCap?: number;
}

/**
 * Reads the pulse from indexes only, every shard in parallel, never a Scan:
 * final payments of the window from `payments-by-status-shard` (SUCCEEDED
 * and FAILED, `createdAt >= from`, newest first, 64 queries and their next
 * pages until the cap), PENDING and DEAD events from `outbox-due` (64 shards
 * each, capped). A shard that cannot be read fails the pulse (503 for a
 * store that is throttled or away): a chart short of a shard looks calm.
 */
export async function readPulse(options: PulseReadOptions): Promise<Pulse> {
  const now = options.now ?? new Date();
  const paymentCap = options.paymentCap ?? PULSE_PAYMENT_CAP;
  const eventCap = options.eventCap ?? PULSE_EVENT_CAP;
  const query: Query = (input) => options.doc.send(new QueryCommand(input));
  const from = windowStart(now, options.window).toISOString();

  const dueEvents = async (status: 'PENDING' | 'DEAD'): Promise<CappedRead<PulseEvent>> => {
    const read = await readDueEvents(
      options.doc,
      options.paymentsTable,
      status,
      eventCap,
      PAGE_LIMIT,
    );
    return { items: read.items, capped: read.capped };
  };
  const finalPayments = (status: 'SUCCEEDED' | 'FAILED') =>
    statusShardKeys(status).map((shard) => ({ shard, status }));
  const paymentShards = [...finalPayments('SUCCEEDED'), ...finalPayments('FAILED')];
  const [payments, pending, dead] = await Promise.all([
    readNewestFirst(paymentShards, paymentCap, async ({ shard, status }, startKey) => {
      const out = await query({
        ...statusSinceQuery(options.paymentsTable, shard, from),
        ProjectionExpression: 'createdAt, finalizedAt, failureReason',
        ScanIndexForward: false,
        Limit: PAGE_LIMIT,
        ExclusiveStartKey: startKey,
      });
      return {
        items: (out.Items ?? []).map((item) => toPulsePayment(item, status)),
        lastKey: out.LastEvaluatedKey,
      };
    }),
    dueEvents('PENDING'),
    dueEvents('DEAD'),
  ]);
  return aggregatePulse({
    now,
    window: options.window,
    payments,
    paymentCap,
    pending,
    dead,
    outboxCap: eventCap,
  });
}

function toPulsePayment(
  item: Record<string, unknown>,
  status: 'SUCCEEDED' | 'FAILED',
): PulsePayment {
  return {
    createdAt: String(item.createdAt),
    ...(typeof item.finalizedAt === 'string' && { finalizedAt: item.finalizedAt }),
    outcome:
      status === 'SUCCEEDED'
        ? 'succeeded'
        : item.failureReason === VOIDED_REASON
          ? 'voided'
          : 'declined',
  };
}

/**
 * Reads shards whose queries return their items newest first (by
 * `createdAt`), all of them in parallel, until every shard ends or `cap`
 * items were read in all ({@link collectShards}). When the cap stops it, the
 * newest `createdAt` among the shards' last items read is where the read may
 * have missed items: everything after it is whole.
 */
export async function readNewestFirst<S, T extends { createdAt: string }>(
  shards: readonly S[],
  cap: number,
  readPage: (shard: S, startKey: Key | undefined) => Promise<{ items: T[]; lastKey?: Key }>,
): Promise<CappedRead<T>> {
  const items: T[] = [];
  // Per shard: the oldest item read so far, and whether a page is left.
  const frontier = new Map<number, { oldest?: string; more: boolean }>();
  const ids = shards.map((_, i) => String(i));
  const read = await collectShards(ids, cap, async (id, startKey) => {
    const shard = shards[Number(id)] as S;
    const page = await readPage(shard, startKey);
    items.push(...page.items);
    const last = page.items.at(-1);
    const before = frontier.get(Number(id));
    frontier.set(Number(id), {
      oldest: last?.createdAt ?? before?.oldest,
      more: page.lastKey !== undefined,
    });
    return { count: page.items.length, lastKey: page.lastKey };
  });
  if (!read.capped) return { items, capped: false };
  let incompleteUpTo: string | undefined;
  for (const { oldest, more } of frontier.values()) {
    if (!more) continue;
    // A shard stopped before its first item: nothing of the window is known whole.
    if (oldest === undefined) return { items, capped: true };
    if (incompleteUpTo === undefined || oldest > incompleteUpTo) incompleteUpTo = oldest;
  }
  return { items, capped: true, ...(incompleteUpTo !== undefined && { incompleteUpTo }) };
}
