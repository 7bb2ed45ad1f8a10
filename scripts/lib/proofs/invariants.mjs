// @ts-check
/**
 * The promises of the system, checked against what the tables hold after a
 * run (never against what the responses claimed):
 *
 * 1. one charge per transactionId, and no charge for anything else;
 * 2. every payment reached a final status (SUCCEEDED or FAILED);
 * 3. the order follows its payments: at most one payment per order succeeds
 *    (the order is the arbiter), an order with a succeeded payment is PAID,
 *    one whose payments all failed is PAYMENT_FAILED;
 * 4. exactly one notification was SENT per payment (repeats are SKIPPED);
 * 5. every outbox event was delivered: none left PENDING or parked DEAD;
 * 6. every order's audit trail is complete: contiguous sequence numbers, its
 *    creation, exactly one applied change to PAID if it is PAID, and one
 *    applied decline per failed payment if it is PAYMENT_FAILED;
 * 7. no notification is left half-sent: every lead claim (the one that
 *    carries a send's lease) has its record (a claim whose holder died was
 *    recovered), and no record says SENDING (the shape before issue 24);
 * 8. when the snapshot has them: the gateway's own ledger charged each
 *    transactionId once, with the outcome our payment records, and nothing
 *    else (a voided key is no charge); per order it shows at most one
 *    successful charge; no idempotency record is left IN_PROGRESS past its expiry.
 *
 * `checkInvariants` is pure (a snapshot in, counts and violations out) so it
 * is unit-tested on hand-made snapshots; `normalizeTables` maps the raw items
 * of each service's tables to that snapshot.
 */

/**
 * @typedef {{ transactionId: string, orderId: string, userId: string }} ExpectedPayment
 * @typedef {{ transactionId: string }} Charge
 * @typedef {{ transactionId: string, orderId?: string, userId?: string, status: string, failureReason?: string }} Payment
 * @typedef {{ transactionId: string, eventId: string, type: string, status: string, attempts?: number }} OutboxEvent
 * @typedef {{ orderId: string, status: string, version?: number }} Order
 * @typedef {{ orderId: string, seq: number, operation?: string, outcome?: string, newStatus?: string }} AuditEntry
 * @typedef {{ userId: string, status: string, message?: string, eventId?: string, notificationId?: string }} Notification
 * @typedef {{ transactionId: string, outcome: string }} LedgerEntry the gateway's record of one key
 * @typedef {{ id: string, status: string, inProgressExpiry?: number }} IdempotencyRecord
 * @typedef {{
 *   charges: Charge[], payments: Payment[], events: OutboxEvent[],
 *   orders: Order[], audit: AuditEntry[], notifications: Notification[],
 *   ledger?: LedgerEntry[], idempotency?: IdempotencyRecord[], checkedAt?: number,
 *   notificationLeads?: { userId: string, notificationId: string }[],
 * }} Snapshot
 * @typedef {{ invariant: string, id: string, detail: string }} Violation
 */

/** The final payment statuses and the order status each must lead to. */
export const ORDER_STATUS_FOR = /** @type {Record<string, string>} */ ({
  SUCCEEDED: 'PAID',
  FAILED: 'PAYMENT_FAILED',
});

/**
 * @template T
 * @param {T[]} items
 * @param {(item: T) => string} key
 * @returns {Map<string, T[]>}
 */
function groupBy(items, key) {
  /** @type {Map<string, T[]>} */
  const groups = new Map();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** @param {string} text */
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Checks every invariant for the payments a run expected.
 * @param {Snapshot} snapshot the rows of this run only
 * @param {ExpectedPayment[]} expected one entry per unique transactionId sent
 */
export function checkInvariants(snapshot, expected) {
  /** @type {Violation[]} */
  const violations = [];
  const fail = (
    /** @type {string} */ invariant,
    /** @type {string} */ id,
    /** @type {string} */ detail,
  ) => violations.push({ invariant, id, detail });

  const expectedIds = new Set(expected.map((e) => e.transactionId));
  const charges = groupBy(snapshot.charges, (c) => c.transactionId);
  const payments = groupBy(snapshot.payments, (p) => p.transactionId);
  const events = groupBy(snapshot.events, (e) => e.transactionId);
  const orders = new Map(snapshot.orders.map((o) => [o.orderId, o]));
  const audit = groupBy(snapshot.audit, (a) => a.orderId);
  const sentByUser = groupBy(
    snapshot.notifications.filter((n) => n.status === 'SENT'),
    (n) => n.userId,
  );

  // 1. one charge per transactionId, none for anything else
  for (const [id, list] of charges) {
    if (!expectedIds.has(id)) fail('one charge per transaction', id, 'charged but never requested');
    else if (list.length > 1)
      fail('one charge per transaction', id, `charged ${list.length} times`);
  }
  let succeeded = 0;
  let failed = 0;
  for (const want of expected) {
    const id = want.transactionId;
    if (!charges.has(id)) fail('one charge per transaction', id, 'no charge recorded');

    // 2. a final status
    const payment = payments.get(id)?.[0];
    const finalOrder = payment ? ORDER_STATUS_FOR[payment.status] : undefined;
    if (!payment) {
      fail('payment final', id, 'no payment recorded');
    } else if (!finalOrder) {
      fail('payment final', id, `payment left ${payment.status}`);
    } else if (payment.status === 'SUCCEEDED') succeeded++;
    else failed++;

    // 4. exactly one notification sent for this payment
    const eventIds = new Set((events.get(id) ?? []).map((e) => e.eventId));
    const named = new RegExp(`(^|[^A-Za-z0-9._:-])${escapeRegExp(id)}($|[^A-Za-z0-9._:-])`);
    // By the event that sent it; by the message naming the payment (as a whole id) otherwise.
    const mine = (sentByUser.get(want.userId) ?? []).filter((n) =>
      n.eventId ? eventIds.has(n.eventId) : named.test(n.message ?? ''),
    );
    if (mine.length !== 1)
      fail('one notification per payment', id, `${mine.length} notifications sent`);

    // 5. every event delivered, one of each kind
    const own = events.get(id) ?? [];
    for (const type of ['order.status', 'notification.send']) {
      const ofType = own.filter((e) => e.type === type);
      if (payment && finalOrder && ofType.length !== 1) {
        fail('events delivered', id, `${ofType.length} ${type} events (want 1)`);
      }
    }
    for (const event of own) {
      if (event.status !== 'DELIVERED') {
        fail(
          'events delivered',
          id,
          `${event.type} ${event.eventId} left ${event.status} after ${event.attempts ?? '?'} attempts`,
        );
      }
    }
  }

  // 3. and 6., per order: the order follows its payments, and its trail is complete.
  for (const [orderId, wanted] of groupBy(expected, (e) => e.orderId)) {
    const statuses = wanted.map((w) => payments.get(w.transactionId)?.[0]?.status);
    const won = wanted.filter((_w, i) => statuses[i] === 'SUCCEEDED').map((w) => w.transactionId);
    const lost = statuses.filter((s) => s === 'FAILED').length;
    if (won.length > 1) fail('one success per order', orderId, `paid by ${won.join(', ')}`);
    const finalOrder =
      won.length > 0 ? 'PAID' : lost === statuses.length ? 'PAYMENT_FAILED' : undefined;
    const order = orders.get(orderId);
    if (!order) fail('order follows payment', orderId, 'order not found');
    else if (finalOrder && order.status !== finalOrder) {
      fail(
        'order follows payment',
        orderId,
        `payments ${statuses.join('/')} but order ${order.status} (${wanted.map((w) => w.transactionId).join(', ')})`,
      );
    }
    const trail = [...(audit.get(orderId) ?? [])].sort((a, b) => a.seq - b.seq);
    if (trail.length === 0) {
      fail('audit trail complete', orderId, 'no audit entries');
      continue;
    }
    const first = trail[0]?.seq ?? 0;
    const gap = trail.findIndex((a, i) => a.seq !== first + i);
    if (gap !== -1)
      fail('audit trail complete', orderId, `sequence gap before seq ${trail[gap]?.seq}`);
    if (!trail.some((a) => /create/i.test(a.operation ?? ''))) {
      fail('audit trail complete', orderId, 'no creation entry');
    }
    if (finalOrder) {
      const applied = trail.filter(
        (a) =>
          a.outcome === 'applied' &&
          (a.operation ?? 'status') === 'status' &&
          a.newStatus === finalOrder,
      );
      // A voided payment that no longer held the order is answered unchanged:
      // it may or may not have an applied decline of its own.
      const voided = wanted.filter(
        (w) => payments.get(w.transactionId)?.[0]?.failureReason === 'voided',
      ).length;
      const want = finalOrder === 'PAID' ? 1 : lost;
      const fewest = finalOrder === 'PAID' ? 1 : Math.max(1, lost - voided);
      if (applied.length < fewest || applied.length > want) {
        fail(
          'audit trail complete',
          orderId,
          `${applied.length} applied changes to ${finalOrder} (want ${fewest === want ? want : `${fewest}-${want}`})`,
        );
      }
    }
  }

  // 7. nothing left half-sent
  for (const n of snapshot.notifications) {
    if (n.status === 'SENDING') {
      fail(
        'nothing left half-sent',
        n.userId,
        `notification ${n.notificationId ?? '?'} left SENDING`,
      );
    }
  }
  const recorded = new Set(snapshot.notifications.map((n) => n.notificationId));
  for (const lead of snapshot.notificationLeads ?? []) {
    if (!recorded.has(lead.notificationId)) {
      fail(
        'nothing left half-sent',
        lead.userId,
        `notification ${lead.notificationId} claimed, and never recorded`,
      );
    }
  }

  // 8. the gateway's ledger, and the idempotency records, when the snapshot has them
  if (snapshot.ledger) {
    const ledger = groupBy(snapshot.ledger, (l) => l.transactionId);
    for (const [id, list] of ledger) {
      // A voided key is the gateway's refusal to ever charge it: no money moved.
      if (!expectedIds.has(id) && list.some((l) => l.outcome !== 'voided'))
        fail('charged once at the gateway', id, 'charged but never requested');
      else if (list.length > 1)
        fail('charged once at the gateway', id, `charged ${list.length} times`);
    }
    for (const want of expected) {
      const entry = ledger.get(want.transactionId)?.[0];
      const payment = payments.get(want.transactionId)?.[0];
      if (!entry) {
        fail('charged once at the gateway', want.transactionId, 'not in the gateway ledger');
      } else if (
        payment &&
        ORDER_STATUS_FOR[payment.status] &&
        (entry.outcome === 'succeeded') !== (payment.status === 'SUCCEEDED')
      ) {
        fail(
          'charged once at the gateway',
          want.transactionId,
          `gateway says ${entry.outcome}, payment ${payment.status}`,
        );
      }
    }
  }
  if (snapshot.ledger) {
    const ledger = new Map(snapshot.ledger.map((l) => [l.transactionId, l.outcome]));
    for (const [orderId, wanted] of groupBy(expected, (e) => e.orderId)) {
      const charged = wanted.filter((w) => ledger.get(w.transactionId) === 'succeeded');
      if (charged.length > 1) {
        fail(
          'one charge per order at the gateway',
          orderId,
          `the gateway charged ${charged.map((w) => w.transactionId).join(', ')}`,
        );
      }
    }
  }
  if (snapshot.idempotency) {
    const now = snapshot.checkedAt ?? Date.now();
    for (const r of snapshot.idempotency) {
      if (r.status === 'INPROGRESS' && (r.inProgressExpiry ?? 0) < now) {
        fail('no idempotency record stuck in progress', r.id, 'IN_PROGRESS past its expiry');
      }
    }
  }

  const statusCount = (/** @type {OutboxEvent[]} */ list, /** @type {string} */ s) =>
    list.filter((e) => e.status === s).length;
  const counts = {
    transactions: expected.length,
    charges: snapshot.charges.length,
    succeeded,
    failed,
    ordersPaid: snapshot.orders.filter((o) => o.status === 'PAID').length,
    ordersPaymentFailed: snapshot.orders.filter((o) => o.status === 'PAYMENT_FAILED').length,
    notificationsSent: snapshot.notifications.filter((n) => n.status === 'SENT').length,
    notificationsSkipped: snapshot.notifications.filter((n) => n.status === 'SKIPPED').length,
    eventsDelivered: statusCount(snapshot.events, 'DELIVERED'),
    eventsPending: statusCount(snapshot.events, 'PENDING'),
    eventsDead: statusCount(snapshot.events, 'DEAD'),
    auditEntries: snapshot.audit.length,
    notificationsSending: snapshot.notifications.filter((n) => n.status === 'SENDING').length,
    notificationsHalfSent: (snapshot.notificationLeads ?? []).filter(
      (lead) => !snapshot.notifications.some((n) => n.notificationId === lead.notificationId),
    ).length,
    ...(snapshot.ledger ? { ledgerCharges: snapshot.ledger.length } : {}),
    ...(snapshot.idempotency
      ? {
          idempotencyInProgress: snapshot.idempotency.filter((r) => r.status === 'INPROGRESS')
            .length,
        }
      : {}),
  };
  return { counts, violations };
}

/**
 * Summarises violations per invariant, with up to `examples` examples each.
 * @param {Violation[]} violations
 * @param {number} [examples]
 */
export function describeViolations(violations, examples = 5) {
  const lines = [];
  for (const [invariant, list] of groupBy(violations, (v) => v.invariant)) {
    lines.push(`  ${invariant}: ${list.length} violation(s)`);
    for (const v of list.slice(0, examples)) lines.push(`    - ${v.id}: ${v.detail}`);
    if (list.length > examples) lines.push(`    ... and ${list.length - examples} more`);
  }
  return lines.join('\n');
}
