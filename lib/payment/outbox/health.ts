import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { byCodeUnit } from '../../shared/compare.js';
import { collectShards, type Key, readShardsMerged } from '../../shared/shards.js';
import { unfinalizedChargesQuery } from '../charge-store.js';
import {
  OUTBOX_DUE_INDEX,
  outboxDueKeys,
  statusShardKeys,
  statusSinceQuery,
  unfinalizedMarkers,
} from '../indexes.js';
import { BACKLOG_READ_CAP, type DueEvent, oldestDueEvent, readDueEvents } from './backlog.js';
import { EVENTS_PER_PAYMENT } from './events.js';

/** A DEAD event as the operator sees it: enough to judge it and re-drive it. */
export interface DeadEvent {
  eventId: string;
  transactionId: string;
  type: string;
  target: string;
  attempts: number;
  lastError?: string;
  createdAt: string;
}

/** The outbox's health at one moment. */
export interface OutboxHealth {
  at: string;
  /**
   * PENDING and DEAD are exact up to {@link COUNT_CAP}. DELIVERED_LAST_HOUR is
   * derived, not read (a delivered event is in no index, which would cost a
   * write unit per event): the events of the payments made final in the last
   * hour ({@link EVENTS_PER_PAYMENT} each), less those of the last hour still
   * PENDING or DEAD in the outbox (an event its request is still delivering
   * counts as delivered: it is on its payment item, not in the outbox).
   */
  counts: { PENDING: number; DEAD: number; DELIVERED_LAST_HOUR: number };
  /** True when a count reached the cap and stopped there. */
  capped: boolean;
  oldestPending?: { eventId: string; transactionId: string; createdAt: string; ageSeconds: number };
  /** The most recently parked first, at most 50. */
  dead: DeadEvent[];
  /**
   * Charges still on the reconciler's list, oldest first: a payment not
   * final yet, or one whose events its request is still delivering (or
   * died delivering: past the grace, the reconciler hands them to the outbox).
   */
  unfinalizedCharges: { transactionId: string; createdAt: string; ageSeconds: number }[];
}

/** How far one count reads before it stops (the health view must stay cheap under a backlog): the backlog's one cap. */
export const COUNT_CAP = BACKLOG_READ_CAP;
const LIST_LIMIT = 50;

/**
 * Reads the outbox's health from indexes only, every shard of each in
 * parallel: the sparse `outbox-due` index (PENDING and DEAD events), the
 * status index (the payments made final in the last hour) and the charges'
 * unfinalized index.
 * Never a Scan; every read is bounded (counts by {@link COUNT_CAP} in all
 * shards together). A shard that cannot be read fails the whole view (503
 * for a store that is throttled or away): counts or lists silently short of
 * a shard would look healthy when they are not.
 */
export async function readOutboxHealth(deps: {
  doc: DynamoDBDocumentClient;
  paymentsTable: string;
  chargesTable: string;
  now?: Date;
}): Promise<OutboxHealth> {
  const now = deps.now ?? new Date();
  const ageSeconds = (iso: string) =>
    Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  const query = (input: QueryInput) => deps.doc.send(new QueryCommand(input));
  const byOutboxStatus = (shard: string): QueryInput => ({
    TableName: deps.paymentsTable,
    IndexName: OUTBOX_DUE_INDEX,
    KeyConditionExpression: 'outboxStatus = :shard',
    ExpressionAttributeValues: { ':shard': shard },
  });
  const page = async (input: QueryInput, startKey: Key | undefined) => {
    const out = await query({ ...input, ExclusiveStartKey: startKey });
    return { items: out.Items ?? [], count: out.Count, lastKey: out.LastEvaluatedKey };
  };
  const since = new Date(now.getTime() - 3_600_000).toISOString();

  const [pending, dead, finals, deadPage, charges] = await Promise.all([
    // The backlog is small when healthy; read it (capped) for its counts, its oldest event
    // and those of the last hour.
    readDueEvents(deps.doc, deps.paymentsTable, 'PENDING', COUNT_CAP),
    readDueEvents(deps.doc, deps.paymentsTable, 'DEAD', COUNT_CAP),
    collectShards(
      [...statusShardKeys('SUCCEEDED'), ...statusShardKeys('FAILED')],
      COUNT_CAP,
      (shard, startKey) =>
        page({ ...statusSinceQuery(deps.paymentsTable, shard, since), Select: 'COUNT' }, startKey),
    ),
    // The most recently parked first (their last attempt, which set nextAttemptAt).
    readShardsMerged<Record<string, unknown>>({
      shards: outboxDueKeys('DEAD'),
      limit: LIST_LIMIT,
      compare: (a, b) => byCodeUnit(String(b.nextAttemptAt), String(a.nextAttemptAt)),
      readPage: (shard, startKey, limit) =>
        page({ ...byOutboxStatus(shard), ScanIndexForward: false, Limit: limit }, startKey),
    }),
    readShardsMerged<Record<string, unknown>>({
      shards: unfinalizedMarkers(),
      limit: LIST_LIMIT,
      compare: (a, b) => byCodeUnit(String(a.createdAt), String(b.createdAt)),
      readPage: (marker, startKey, limit) =>
        page(
          {
            ...unfinalizedChargesQuery(deps.chargesTable, marker),
            ScanIndexForward: true,
            Limit: limit,
          },
          startKey,
        ),
    }),
  ]);

  const oldest = oldestDueEvent(pending.items);
  const ofLastHour = (events: readonly DueEvent[]) =>
    events.filter((event) => byCodeUnit(event.createdAt, since) >= 0).length;
  const delivered = Math.max(
    0,
    EVENTS_PER_PAYMENT * finals.count - ofLastHour(pending.items) - ofLastHour(dead.items),
  );
  return {
    at: now.toISOString(),
    counts: {
      PENDING: pending.count,
      DEAD: dead.count,
      DELIVERED_LAST_HOUR: delivered,
    },
    capped: pending.capped || dead.capped || finals.capped,
    ...(oldest && {
      oldestPending: { ...oldest, ageSeconds: ageSeconds(oldest.createdAt) },
    }),
    dead: deadPage.items.map((item) => ({
      eventId: String(item.eventId),
      transactionId: String(item.transactionId),
      type: String(item.type),
      target: String(item.target),
      attempts: Number(item.attempts ?? 0),
      ...(typeof item.lastError === 'string' && { lastError: item.lastError }),
      createdAt: String(item.createdAt),
    })),
    unfinalizedCharges: charges.items.map((item) => ({
      transactionId: String(item.transactionId),
      createdAt: String(item.createdAt),
      ageSeconds: ageSeconds(String(item.createdAt)),
    })),
  };
}

type QueryInput = ConstructorParameters<typeof QueryCommand>[0];
