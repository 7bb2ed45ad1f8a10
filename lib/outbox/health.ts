import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { unfinalizedChargesQuery } from '../payment/charge-store.js';
import { OUTBOX_DUE_INDEX } from '../payment/outbox-store.js';
import { STATUS_INDEX } from '../payment/payment-list.js';
import { byCodeUnit } from '../shared/compare.js';

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
  /** PENDING and DEAD are exact up to {@link COUNT_CAP}; DELIVERED counts the last hour only. */
  counts: { PENDING: number; DEAD: number; DELIVERED_LAST_HOUR: number };
  /** True when a count reached the cap and stopped there. */
  capped: boolean;
  oldestPending?: { eventId: string; transactionId: string; createdAt: string; ageSeconds: number };
  /** The most recently parked first, at most 50. */
  dead: DeadEvent[];
  /** Charges whose payment is not final yet (the reconciler finishes the old ones), oldest first. */
  unfinalizedCharges: { transactionId: string; createdAt: string; ageSeconds: number }[];
}

/** How far one count reads before it stops (the health view must stay cheap under a backlog). */
export const COUNT_CAP = 10_000;
const LIST_LIMIT = 50;

/**
 * Reads the outbox's health from indexes only: the sparse `outbox-due` index
 * (PENDING and DEAD events), the status index (recent deliveries) and the
 * charges' unfinalized index. Never a Scan; every read is bounded.
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
  const query = (input: ConstructorParameters<typeof QueryCommand>[0]) =>
    deps.doc.send(new QueryCommand(input));
  const byOutboxStatus = (status: 'PENDING' | 'DEAD') => ({
    TableName: deps.paymentsTable,
    IndexName: OUTBOX_DUE_INDEX,
    KeyConditionExpression: 'outboxStatus = :status',
    ExpressionAttributeValues: { ':status': status },
  });

  const [pending, dead, delivered, deadPage, charges] = await Promise.all([
    // The backlog is small when healthy; read it (capped) for its count and its oldest event.
    collect(query, {
      ...byOutboxStatus('PENDING'),
      ProjectionExpression: 'eventId, transactionId, createdAt',
    }),
    count(query, byOutboxStatus('DEAD')),
    count(query, {
      TableName: deps.paymentsTable,
      IndexName: STATUS_INDEX,
      KeyConditionExpression: '#status = :delivered AND createdAt >= :since',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':delivered': 'DELIVERED',
        ':since': new Date(now.getTime() - 3_600_000).toISOString(),
      },
    }),
    // The most recently parked first (their last attempt, which set nextAttemptAt).
    query({ ...byOutboxStatus('DEAD'), ScanIndexForward: false, Limit: LIST_LIMIT }),
    query({
      ...unfinalizedChargesQuery(deps.chargesTable),
      ScanIndexForward: true,
      Limit: LIST_LIMIT,
    }),
  ]);

  const oldest = pending.items
    .filter((i) => typeof i.createdAt === 'string')
    .sort((a, b) => byCodeUnit(String(a.createdAt), String(b.createdAt)))[0];
  return {
    at: now.toISOString(),
    counts: {
      PENDING: pending.items.length,
      DEAD: dead.count,
      DELIVERED_LAST_HOUR: delivered.count,
    },
    capped: pending.capped || dead.capped || delivered.capped,
    ...(oldest && {
      oldestPending: {
        eventId: String(oldest.eventId),
        transactionId: String(oldest.transactionId),
        createdAt: String(oldest.createdAt),
        ageSeconds: ageSeconds(String(oldest.createdAt)),
      },
    }),
    dead: (deadPage.Items ?? []).map((item) => ({
      eventId: String(item.eventId),
      transactionId: String(item.transactionId),
      type: String(item.type),
      target: String(item.target),
      attempts: Number(item.attempts ?? 0),
      ...(typeof item.lastError === 'string' && { lastError: item.lastError }),
      createdAt: String(item.createdAt),
    })),
    unfinalizedCharges: (charges.Items ?? []).map((item) => ({
      transactionId: String(item.transactionId),
      createdAt: String(item.createdAt),
      ageSeconds: ageSeconds(String(item.createdAt)),
    })),
  };
}

type Query = (input: ConstructorParameters<typeof QueryCommand>[0]) => Promise<{
  Items?: Record<string, unknown>[];
  Count?: number;
  LastEvaluatedKey?: Record<string, unknown>;
}>;

/** Counts the items of a query, page by page, up to {@link COUNT_CAP}. */
async function count(query: Query, input: ConstructorParameters<typeof QueryCommand>[0]) {
  let total = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await query({ ...input, Select: 'COUNT', ExclusiveStartKey: startKey });
    total += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey && total < COUNT_CAP);
  return { count: Math.min(total, COUNT_CAP), capped: Boolean(startKey) };
}

/** Reads the items of a query, page by page, up to {@link COUNT_CAP}. */
async function collect(query: Query, input: ConstructorParameters<typeof QueryCommand>[0]) {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await query({ ...input, ExclusiveStartKey: startKey });
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey && items.length < COUNT_CAP);
  return { items: items.slice(0, COUNT_CAP), capped: Boolean(startKey) };
}
