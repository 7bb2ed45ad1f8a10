// @ts-check
/**
 * Reads what every service wrote, straight from its tables, for the rows of
 * one run (every id of a run starts with its run prefix), and maps the items
 * to the service-neutral snapshot that scripts/lib/proofs/invariants.mjs checks.
 * The item layouts are each service's own (see lib/<service>/); this file is
 * the one place that knows them from the outside.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

/**
 * A document client for `endpoint` (DynamoDB Local takes any credentials), or
 * for AWS with the default credential chain when no endpoint is given.
 * @param {string | undefined} endpoint
 */
export function documentClient(endpoint) {
  const client = new DynamoDBClient(
    endpoint
      ? {
          endpoint,
          region: process.env.AWS_REGION ?? 'eu-west-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : { region: process.env.AWS_REGION ?? 'eu-west-1' },
  );
  return DynamoDBDocumentClient.from(client);
}

/**
 * Every item of `table` (paginated, consistent reads).
 * @param {DynamoDBDocumentClient} doc
 * @param {string} table
 * @returns {Promise<Record<string, any>[]>}
 */
export async function scanAll(doc, table) {
  /** @type {Record<string, any>[]} */
  const items = [];
  /** @type {Record<string, any> | undefined} */
  let start;
  do {
    const page = await doc.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * The raw items of every table the invariants need.
 * @param {DynamoDBDocumentClient} doc
 * @param {Record<string, string>} env the functions' environment (table names)
 */
export async function scanTables(doc, env) {
  const [charges, payments, orders, audit, notifications] = await Promise.all(
    [
      'CHARGES_TABLE',
      'PAYMENTS_TABLE',
      'ORDERS_TABLE',
      'ORDER_AUDIT_TABLE',
      'NOTIFICATIONS_TABLE',
    ].map((name) => {
      const table = env[name];
      if (!table) throw new Error(`${name} is not in the functions' environment`);
      return scanAll(doc, table);
    }),
  );
  return {
    charges: charges ?? [],
    payments: payments ?? [],
    orders: orders ?? [],
    audit: audit ?? [],
    notifications: notifications ?? [],
  };
}

/**
 * The gateway simulator's ledger, this run's keys only: what the gateway
 * itself says it charged (or voided) under each transactionId.
 * @param {DynamoDBDocumentClient} doc
 * @param {Record<string, string>} env the functions' environment (table names)
 * @param {string} prefix
 */
export async function scanLedger(doc, env, prefix) {
  const ledgerTable = env.GATEWAY_LEDGER_TABLE;
  if (!ledgerTable) throw new Error("GATEWAY_LEDGER_TABLE is not in the functions' environment");
  return (await scanAll(doc, ledgerTable))
    .filter((l) => within(l.idempotencyKey, prefix))
    .map((l) => ({ transactionId: l.idempotencyKey, outcome: String(l.result?.outcome) }));
}

/**
 * What the crash run checks besides the services' tables: the gateway
 * simulator's ledger (this run's keys only) and every idempotency record
 * (their keys are hashes, so only a database of the run's own is checked).
 * @param {DynamoDBDocumentClient} doc
 * @param {Record<string, string>} env the functions' environment (table names)
 * @param {string} prefix
 */
export async function scanLedgerAndIdempotency(doc, env, prefix) {
  const idempotencyTable = env.IDEMPOTENCY_TABLE;
  if (!idempotencyTable) throw new Error("IDEMPOTENCY_TABLE is not in the functions' environment");
  const [ledger, idempotency] = await Promise.all([
    scanLedger(doc, env, prefix),
    scanAll(doc, idempotencyTable),
  ]);
  return {
    ledger,
    idempotency: idempotency.map((r) => ({
      id: String(r.id),
      status: String(r.status),
      inProgressExpiry:
        r.in_progress_expiration === undefined ? undefined : Number(r.in_progress_expiration),
    })),
    checkedAt: Date.now(),
  };
}

/**
 * @param {unknown} value
 * @param {string} prefix
 */
const within = (value, prefix) => typeof value === 'string' && value.startsWith(prefix);

/**
 * The snapshot of one run: only rows whose ids start with `prefix`.
 * @param {Awaited<ReturnType<typeof scanTables>>} raw
 * @param {string} prefix
 * @returns {import('./invariants.mjs').Snapshot}
 */
export function normalizeTables(raw, prefix) {
  const charges = raw.charges
    .filter((c) => within(c.transactionId, prefix))
    .map((c) => ({ transactionId: c.transactionId }));
  const payments = raw.payments
    .filter((p) => p.sk === 'PAYMENT' && within(p.transactionId, prefix))
    .map((p) => ({
      transactionId: p.transactionId,
      orderId: p.orderId,
      userId: p.userId,
      status: String(p.status),
      ...(p.failureReason ? { failureReason: String(p.failureReason) } : {}),
    }));
  const inOutbox = raw.payments
    .filter(
      (e) =>
        typeof e.sk === 'string' && e.sk.startsWith('EVENT#') && within(e.transactionId, prefix),
    )
    .map((e) => ({
      transactionId: e.transactionId,
      eventId: e.eventId,
      type: e.type,
      status: String(e.status),
      attempts: e.attempts,
    }));
  // An event with no outbox item is where its payment item records it (lib/payment/payment-store.ts).
  const outboxIds = new Set(inOutbox.map((e) => e.eventId));
  const recorded = raw.payments
    .filter((p) => p.sk === 'PAYMENT' && within(p.transactionId, prefix))
    .flatMap((p) =>
      Object.entries(/** @type {Record<string, any>} */ (p.eventStates ?? {}))
        .filter(([eventId]) => !outboxIds.has(eventId))
        .map(([eventId, state]) => ({
          transactionId: p.transactionId,
          eventId,
          type: state.type,
          status: String(state.status),
          attempts: state.attempts,
        })),
    );
  const events = [...recorded, ...inOutbox];
  // Order items are keyed by orderId; other items in that table (event markers) are not orders.
  const orders = raw.orders
    .filter((o) => within(o.orderId, prefix) && typeof o.status === 'string')
    .map((o) => ({ orderId: o.orderId, status: o.status, version: o.version }));
  const audit = raw.audit
    .filter((a) => within(a.orderId, prefix))
    .map((a) => ({
      orderId: a.orderId,
      seq: Number(a.seq),
      operation: a.operation,
      outcome: a.outcome,
      newStatus: a.newStatus ?? a.requestedStatus,
    }));
  const notifications = raw.notifications
    .filter((n) => typeof n.pk === 'string' && n.pk.startsWith('USER#') && within(n.userId, prefix))
    .map((n) => ({
      userId: n.userId,
      status: String(n.status),
      message: n.message,
      eventId: n.eventId,
      notificationId: n.notificationId,
    }));
  // A notification's lead claim (its eventId's, else its message's) carries the
  // lease of its send until the record is written: a lead left without its
  // record is a send left half-done.
  const notificationLeads = raw.notifications
    .filter(
      (n) =>
        typeof n.pk === 'string' &&
        (n.pk.startsWith('EVENT#') || n.pk.startsWith('DEDUPE#')) &&
        n.leaseUntil !== undefined &&
        within(n.userId, prefix),
    )
    .map((n) => ({ userId: n.userId, notificationId: n.notificationId }));
  return { charges, payments, events, orders, audit, notifications, notificationLeads };
}
